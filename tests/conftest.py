"""Test-suite wide settings.

Hypothesis explores new examples on every local run (that is how the
differential tests find divergences from handlebars.js, Numeral and
Moment). In CI (`CI` set, as `.ci/run` runs) it is derandomized: the same
examples every run, so a submission is never failed by a divergence that it
did not introduce; a divergence found locally gets an `@example` and a fix.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
