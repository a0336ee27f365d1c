"""How long the store keeps payload keys, delivery ids and sent webhook events,
and the purge that enforces it.

A payload key must outlive every button that carries it: a LINE chat keeps
old carousels clickable for as long as the user scrolls back. Keys are
renewed each time a button carrying them is sent again, and forgotten
PAYLOAD_KEY_DAYS after the last time (the issue asks for at least 30).
A click on a forgotten key goes to the fallback flow as plain text.

Delivery ids only need to outlive the platform's retries (Facebook retries
for hours, LINE's redelivery for a short while): DELIVERY_HOURS.

Webhook events (the outbox, ``flowbot.events``): a delivered row is never
sent again, and is kept OUTBOX_DELIVERED_HOURS after its delivery (to look
up what a receiver was sent); a row given up after its last attempt is kept
OUTBOX_FAILED_DAYS after that, and so is a row still pending that long after
it was written (its webhook left the config: no relay will send it).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flowbot.store.base import Store, utc_now

__all__ = [
    "DELIVERY_HOURS",
    "OUTBOX_DELIVERED_HOURS",
    "OUTBOX_FAILED_DAYS",
    "PAYLOAD_KEY_DAYS",
    "purge_expired",
]

PAYLOAD_KEY_DAYS = 90
DELIVERY_HOURS = 48
OUTBOX_DELIVERED_HOURS = 24
OUTBOX_FAILED_DAYS = 7

logger = logging.getLogger("flowbot.store")


async def purge_expired(store: Store, now: datetime | None = None) -> None:
    """Forget expired payload keys, delivery ids and outbox rows; failures are logged."""
    moment = now if now is not None else utc_now()
    try:
        await store.purge(
            moment - timedelta(days=PAYLOAD_KEY_DAYS), moment - timedelta(hours=DELIVERY_HOURS)
        )
    except Exception as error:  # the next purge tries again; serving goes on
        logger.warning("purging expired payload keys and deliveries failed: %s", error)
    try:
        await store.purge_events(
            moment - timedelta(hours=OUTBOX_DELIVERED_HOURS),
            moment - timedelta(days=OUTBOX_FAILED_DAYS),
        )
    except Exception as error:
        logger.warning("purging sent webhook events failed: %s", error)
