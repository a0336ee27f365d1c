"""An in-process store for tests, `flowbot chat` and single-process demos.

State and messages are kept as JSON text, exactly as the SQL store writes
them, so a caller sees the same copy-on-read and serialisation errors on
both, and mutating a returned dict never changes what is stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flowbot.store.base import (
    ConflictError,
    Conversation,
    ConversationExistsError,
    ConversationNotFoundError,
    DeliveryAnsweredError,
    Direction,
    StoredBot,
    TranscriptEntry,
    dump_json,
    encode_entry,
    new_conversation,
    utc_now,
)

__all__ = ["MemoryStore"]


@dataclass
class _Row:
    conversation: Conversation
    state_json: str | None = None
    transcript: list[tuple[Direction, str, datetime]] = field(default_factory=list)


class MemoryStore:
    """Dictionaries in one event loop: every method is atomic (it never awaits)."""

    def __init__(self) -> None:
        self._rows: dict[str, _Row] = {}
        self._by_user: dict[tuple[str, str, str], str] = {}
        # key → (record, stored at)
        self._payloads: dict[str, tuple[str, datetime]] = {}
        self._deliveries: dict[str, datetime] = {}
        # bot id → (CLOSER JSON text, updated at)
        self._bots: dict[str, tuple[str, datetime]] = {}

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def ping(self) -> bool:
        return True

    async def create_conversation(
        self, bot_id: str, channel: str, user_key: str, token: str
    ) -> Conversation:
        user = (bot_id, channel, user_key)
        if user in self._by_user:
            raise ConversationExistsError.for_user(bot_id, channel, user_key)
        conversation = new_conversation(bot_id, channel, user_key, token)
        self._rows[conversation.id] = _Row(conversation)
        self._by_user[user] = conversation.id
        return self._read(self._rows[conversation.id])

    async def find_conversation(
        self, bot_id: str, channel: str, user_key: str
    ) -> Conversation | None:
        conversation_id = self._by_user.get((bot_id, channel, user_key))
        return None if conversation_id is None else self._read(self._rows[conversation_id])

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        row = self._rows.get(conversation_id)
        return None if row is None else self._read(row)

    async def list_conversations(self, bot_id: str, limit: int = 100) -> list[Conversation]:
        rows = [row for row in self._rows.values() if row.conversation.bot_id == bot_id]
        # The SQL order: updated_at descending, then id (two stable sorts).
        rows.sort(key=lambda row: row.conversation.id)
        rows.sort(key=lambda row: row.conversation.updated_at, reverse=True)
        return [self._read(row) for row in rows[: max(limit, 0)]]

    async def save_turn(
        self,
        conversation_id: str,
        state: dict[str, Any],
        entries: list[TranscriptEntry],
        expected_version: int,
        *,
        payloads: Mapping[str, str] | None = None,
        delivery: str | None = None,
    ) -> int:
        row = self._row(conversation_id)
        # Serialise before changing anything: a bad value must leave the row as it was.
        state_json = dump_json(state)
        lines = _encode(entries)
        if row.conversation.version != expected_version:
            raise ConflictError(
                f"conversation {conversation_id} is at version {row.conversation.version}, "
                f"not {expected_version}"
            )
        if delivery is not None and delivery in self._deliveries:
            raise DeliveryAnsweredError(f"delivery {delivery!r} was answered before")
        now = utc_now()
        if delivery is not None:
            self._deliveries[delivery] = now
        if payloads:
            self._store_payloads(payloads, now)
        row.state_json = state_json
        row.transcript.extend(lines)
        row.conversation.version += 1
        row.conversation.updated_at = utc_now()
        return row.conversation.version

    async def save_first_turn(
        self,
        conversation: Conversation,
        state: dict[str, Any],
        entries: list[TranscriptEntry],
        *,
        payloads: Mapping[str, str] | None = None,
        delivery: str | None = None,
    ) -> int:
        state_json = dump_json(state)
        lines = _encode(entries)
        user = (conversation.bot_id, conversation.channel, conversation.user_key)
        if delivery is not None and delivery in self._deliveries:
            raise DeliveryAnsweredError(f"delivery {delivery!r} was answered before")
        if user in self._by_user or conversation.id in self._rows:
            raise ConversationExistsError.for_user(*user)
        now = utc_now()
        if delivery is not None:
            self._deliveries[delivery] = now
        if payloads:
            self._store_payloads(payloads, now)
        stored = replace(conversation, state=None, version=1, updated_at=now)
        self._rows[conversation.id] = _Row(stored, state_json, list(lines))
        self._by_user[user] = conversation.id
        return 1

    async def append_transcript(self, conversation_id: str, entries: list[TranscriptEntry]) -> None:
        row = self._row(conversation_id)
        row.transcript.extend(_encode(entries))
        row.conversation.updated_at = utc_now()

    async def transcript(self, conversation_id: str, limit: int = 200) -> list[TranscriptEntry]:
        row = self._rows.get(conversation_id)
        if row is None or limit <= 0:
            return []
        return [
            TranscriptEntry(direction=direction, message=json.loads(message), at=at)
            for direction, message, at in row.transcript[-limit:]
        ]

    async def put_payload(self, key: str, payload: str) -> None:
        self._store_payloads({key: payload}, utc_now())

    async def put_payloads(self, payloads: Mapping[str, str]) -> None:
        self._store_payloads(payloads, utc_now())

    async def get_payload(self, key: str) -> str | None:
        found = self._payloads.get(key)
        return None if found is None else found[0]

    async def has_delivery(self, key: str) -> bool:
        return key in self._deliveries

    async def purge(self, payloads_before: datetime, deliveries_before: datetime) -> None:
        self._payloads = {k: v for k, v in self._payloads.items() if v[1] >= payloads_before}
        self._deliveries = {k: v for k, v in self._deliveries.items() if v >= deliveries_before}

    async def put_bot(self, bot_id: str, bot: Mapping[str, Any]) -> None:
        self._bots[bot_id] = (dump_json(bot), utc_now())

    async def get_bot(self, bot_id: str) -> StoredBot | None:
        found = self._bots.get(bot_id)
        return None if found is None else StoredBot(bot_id, json.loads(found[0]), found[1])

    async def list_bots(self) -> list[StoredBot]:
        return [
            StoredBot(bot_id, json.loads(text), at)
            for bot_id, (text, at) in sorted(self._bots.items())
        ]

    def _store_payloads(self, payloads: Mapping[str, str], now: datetime) -> None:
        for key, record in payloads.items():
            if not isinstance(key, str) or not isinstance(record, str):
                raise TypeError("payload keys and records are strings")
            self._payloads[key] = (record, now)

    def _row(self, conversation_id: str) -> _Row:
        row = self._rows.get(conversation_id)
        if row is None:
            raise ConversationNotFoundError(f"no conversation {conversation_id!r}")
        return row

    @staticmethod
    def _read(row: _Row) -> Conversation:
        state = None if row.state_json is None else json.loads(row.state_json)
        return replace(row.conversation, state=state)


def _encode(entries: list[TranscriptEntry]) -> list[tuple[Direction, str, datetime]]:
    return [encode_entry(entry) for entry in entries]
