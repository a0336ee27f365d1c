"""How long the store keeps payload keys and delivery ids, and the purge that enforces it.

A payload key must outlive every button that carries it: a LINE chat keeps
old carousels clickable for as long as the user scrolls back. Keys are
renewed each time a button carrying them is sent again, and forgotten
PAYLOAD_KEY_DAYS after the last time (the issue asks for at least 30).
A click on a forgotten key goes to the fallback flow as plain text.

Delivery ids only need to outlive the platform's retries (Facebook retries
for hours, LINE's redelivery for a short while): DELIVERY_HOURS.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flowbot.store.base import Store, utc_now

__all__ = ["DELIVERY_HOURS", "PAYLOAD_KEY_DAYS", "purge_expired"]

PAYLOAD_KEY_DAYS = 90
DELIVERY_HOURS = 48

logger = logging.getLogger("flowbot.store")


async def purge_expired(store: Store, now: datetime | None = None) -> None:
    """Forget expired payload keys and delivery ids; a failure is logged, not raised."""
    moment = now if now is not None else utc_now()
    try:
        await store.purge(
            moment - timedelta(days=PAYLOAD_KEY_DAYS), moment - timedelta(hours=DELIVERY_HOURS)
        )
    except Exception as error:  # the next purge tries again; serving goes on
        logger.warning("purging expired payload keys and deliveries failed: %s", error)
