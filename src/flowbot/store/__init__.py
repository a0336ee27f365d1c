"""Durable conversations: state, transcript and payload keys behind one ``Store`` port;
also the bots imported through the API that have no file (``put_bot``, ``list_bots``).

``open_store("memory://" | "sqlite:///flowbot.db" | "postgresql://…")`` gives
a store; ``await store.start()`` connects and migrates.
"""

from __future__ import annotations

from flowbot.store.base import (
    ConflictError,
    Conversation,
    ConversationExistsError,
    ConversationNotFoundError,
    DeliveryAnsweredError,
    Store,
    StoredBot,
    StoreError,
    TranscriptEntry,
)
from flowbot.store.memory import MemoryStore
from flowbot.store.retention import DELIVERY_HOURS, PAYLOAD_KEY_DAYS, purge_expired
from flowbot.store.sql import SQLStore
from flowbot.store.urls import database_url, open_store

__all__ = [
    "DELIVERY_HOURS",
    "PAYLOAD_KEY_DAYS",
    "ConflictError",
    "Conversation",
    "ConversationExistsError",
    "ConversationNotFoundError",
    "DeliveryAnsweredError",
    "MemoryStore",
    "SQLStore",
    "Store",
    "StoreError",
    "StoredBot",
    "TranscriptEntry",
    "database_url",
    "open_store",
    "purge_expired",
]
