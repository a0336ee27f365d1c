"""An in-process store for tests, `flowbot chat` and single-process demos.

State and messages are kept as JSON text, exactly as the SQL store writes
them, so a caller sees the same copy-on-read and serialisation errors on
both, and mutating a returned dict never changes what is stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from flowbot.store.base import (
    BotVersion,
    ClaimedEvent,
    ConflictError,
    Conversation,
    ConversationExistsError,
    ConversationNotFoundError,
    DeliveryAnsweredError,
    Direction,
    EventStatus,
    OutboxEvent,
    StoredBot,
    TranscriptEntry,
    TurnTrace,
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
    transcript: list[tuple[Direction, str, datetime, str | None]] = field(default_factory=list)


@dataclass
class _OutboxRow:
    seq: int
    event: OutboxEvent
    created_at: datetime
    status: EventStatus = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    done_at: datetime | None = None
    last_error: str | None = None


class MemoryStore:
    """Dictionaries in one event loop: every method is atomic (it never awaits)."""

    def __init__(self) -> None:
        self._rows: dict[str, _Row] = {}
        self._by_user: dict[tuple[str, str, str], str] = {}
        # key → (record, stored at)
        self._payloads: dict[str, tuple[str, datetime]] = {}
        self._deliveries: dict[str, datetime] = {}
        self._answers: dict[str, str] = {}
        # bot id → (CLOSER JSON text, updated at)
        self._bots: dict[str, tuple[str, datetime]] = {}
        # seq → row, in seq order
        self._outbox: dict[int, _OutboxRow] = {}
        self._last_seq = 0
        # bot id → its versions, oldest first, each with its JSON text
        self._versions: dict[str, list[tuple[BotVersion, str]]] = {}

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
        events: Sequence[OutboxEvent] | None = None,
        answer: str | None = None,
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
            if answer is not None:
                self._answers[delivery] = answer
        if payloads:
            self._store_payloads(payloads, now)
        if events:
            self._add_events(events, now)
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
        events: Sequence[OutboxEvent] | None = None,
        answer: str | None = None,
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
            if answer is not None:
                self._answers[delivery] = answer
        if payloads:
            self._store_payloads(payloads, now)
        if events:
            self._add_events(events, now)
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
            for direction, message, at, _trace in row.transcript[-limit:]
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

    async def get_delivery(self, key: str) -> tuple[str | None] | None:
        return (self._answers.get(key),) if key in self._deliveries else None

    async def purge(self, payloads_before: datetime, deliveries_before: datetime) -> None:
        self._payloads = {k: v for k, v in self._payloads.items() if v[1] >= payloads_before}
        self._deliveries = {k: v for k, v in self._deliveries.items() if v >= deliveries_before}
        self._answers = {k: v for k, v in self._answers.items() if k in self._deliveries}

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

    async def add_events(self, events: Sequence[OutboxEvent]) -> None:
        self._add_events(events, utc_now())

    async def claim_events(
        self, webhook: str, claimer: str, limit: int, lease: float
    ) -> list[ClaimedEvent]:
        now = utc_now()
        claimed: list[ClaimedEvent] = []
        for row in self._outbox.values():
            if len(claimed) >= limit:
                break
            if row.event.webhook != webhook or row.status != "pending":
                continue
            if row.next_attempt_at is not None and row.next_attempt_at > now:
                break  # waiting for its retry: nothing newer is due either
            if row.claimed_until is not None and row.claimed_until >= now:
                continue
            row.claimed_by, row.claimed_until = claimer, now + timedelta(seconds=lease)
            event = row.event
            claimed.append(
                ClaimedEvent(row.seq, webhook, event.event_id, event.event, row.attempts)
            )
        return claimed

    async def mark_delivered(self, seqs: Sequence[int], claimer: str) -> None:
        now = utc_now()
        for row in self._claimed_by(seqs, claimer):
            row.status, row.done_at, row.last_error = "delivered", now, None
            row.attempts += 1
            row.claimed_by = row.claimed_until = None

    async def mark_sent(self, event_ids: Sequence[str]) -> None:
        wanted, now = set(event_ids), utc_now()
        for row in self._outbox.values():
            if row.event.event_id in wanted and row.status == "pending" and not row.claimed_by:
                row.status, row.done_at, row.next_attempt_at = "delivered", now, None
                row.attempts += 1

    async def mark_failed(
        self,
        seqs: Sequence[int],
        claimer: str,
        error: str,
        retry_in: float | None,
        max_attempts: int,
    ) -> list[int]:
        now = utc_now()
        given_up: list[int] = []
        for row in self._claimed_by(seqs, claimer):
            row.attempts += 1
            row.last_error = error
            row.claimed_by = row.claimed_until = None
            row.next_attempt_at = now + timedelta(seconds=retry_in or 0.0)
            if retry_in is None or row.attempts >= max_attempts:
                row.status, row.done_at = "failed", now
                given_up.append(row.seq)
        return given_up

    async def release_claims(self, claimer: str | None) -> None:
        for row in self._outbox.values():
            if row.claimed_by is not None and claimer in (None, row.claimed_by):
                row.claimed_by = row.claimed_until = None

    async def purge_events(self, delivered_before: datetime, failed_before: datetime) -> None:
        def expired(row: _OutboxRow) -> bool:
            if row.status == "pending":
                return row.created_at < failed_before
            assert row.done_at is not None
            return row.done_at < (delivered_before if row.status == "delivered" else failed_before)

        self._outbox = {seq: row for seq, row in self._outbox.items() if not expired(row)}

    async def count_events(self) -> dict[EventStatus, int]:
        counts: dict[EventStatus, int] = {}
        for row in self._outbox.values():
            counts[row.status] = counts.get(row.status, 0) + 1
        return counts

    async def add_bot_version(
        self,
        bot_id: str,
        bot: Mapping[str, Any],
        *,
        author: str,
        revision: str,
        flows: int,
        nodes: int,
    ) -> BotVersion:
        bot_json = dump_json(bot)
        versions = self._versions.setdefault(bot_id, [])
        number = versions[-1][0].number + 1 if versions else 1
        version = BotVersion(bot_id, number, author, utc_now(), revision, flows, nodes)
        versions.append((version, bot_json))
        return version

    async def list_bot_versions(self, bot_id: str, limit: int = 1000) -> list[BotVersion]:
        versions = self._versions.get(bot_id, [])
        return [version for version, _ in reversed(versions)][: max(limit, 0)]

    async def get_bot_version(self, bot_id: str, number: int) -> BotVersion | None:
        for version, bot_json in self._versions.get(bot_id, []):
            if version.number == number:
                return replace(version, bot=json.loads(bot_json))
        return None

    async def turn_traces(self, bot_id: str, since: datetime, until: datetime) -> list[TurnTrace]:
        rows = sorted(
            (row for row in self._rows.values() if row.conversation.bot_id == bot_id),
            key=lambda row: row.conversation.id,
        )
        return [
            TurnTrace(row.conversation.id, row.conversation.user_key, seq, at, trace)
            for row in rows
            for seq, (direction, _message, at, trace) in enumerate(row.transcript, 1)
            if direction == "in" and since <= at < until
        ]

    def _add_events(self, events: Sequence[OutboxEvent], now: datetime) -> None:
        for event in events:
            self._last_seq += 1
            self._outbox[self._last_seq] = _OutboxRow(
                self._last_seq, event, now, next_attempt_at=event.not_before
            )

    def _claimed_by(self, seqs: Sequence[int], claimer: str) -> list[_OutboxRow]:
        rows = (self._outbox.get(seq) for seq in seqs)
        return [row for row in rows if row is not None and row.claimed_by == claimer]

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


def _encode(entries: list[TranscriptEntry]) -> list[tuple[Direction, str, datetime, str | None]]:
    return [encode_entry(entry) for entry in entries]
