"""Durable conversations: state, transcript and payload keys behind one ``Store`` port.

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
    "TranscriptEntry",
    "database_url",
    "open_store",
    "purge_expired",
]
