"""flowbot."""
