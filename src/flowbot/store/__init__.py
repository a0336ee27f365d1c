"""Durable conversations: state, transcript and payload keys behind one ``Store`` port;
also the bots imported through the API that have no file (``put_bot``, ``list_bots``),
and the outbox of webhook events (``add_events``, ``claim_events``; ``flowbot.events``).

``open_store("memory://" | "sqlite:///flowbot.db" | "postgresql://…")`` gives
a store; ``await store.start()`` connects and migrates.
"""

from __future__ import annotations

from flowbot.store.base import (
    BotVersion,
    ClaimedEvent,
    ConflictError,
    Conversation,
    ConversationExistsError,
    ConversationNotFoundError,
    DeliveryAnsweredError,
    EventStatus,
    OutboxEvent,
    Store,
    StoredBot,
    StoreError,
    TranscriptEntry,
    TurnTrace,
)
from flowbot.store.memory import MemoryStore
from flowbot.store.retention import (
    DELIVERY_HOURS,
    OUTBOX_DELIVERED_HOURS,
    OUTBOX_FAILED_DAYS,
    PAYLOAD_KEY_DAYS,
    purge_expired,
)
from flowbot.store.sql import SQLStore
from flowbot.store.urls import database_url, open_store

__all__ = [
    "DELIVERY_HOURS",
    "OUTBOX_DELIVERED_HOURS",
    "OUTBOX_FAILED_DAYS",
    "PAYLOAD_KEY_DAYS",
    "BotVersion",
    "ClaimedEvent",
    "ConflictError",
    "Conversation",
    "ConversationExistsError",
    "ConversationNotFoundError",
    "DeliveryAnsweredError",
    "EventStatus",
    "MemoryStore",
    "OutboxEvent",
    "SQLStore",
    "Store",
    "StoreError",
    "StoredBot",
    "TranscriptEntry",
    "TurnTrace",
    "database_url",
    "open_store",
    "purge_expired",
]
