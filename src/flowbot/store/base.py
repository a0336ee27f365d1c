"""The store port: what the server needs to keep conversations between turns,
and the bots imported through the API under ids the config does not name.

Every implementation (``MemoryStore``, ``SQLStore``) passes the one contract
suite in ``tests/store/contract.py``; code outside this package depends only
on the ``Store`` protocol and the dataclasses here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, runtime_checkable

import orjson

__all__ = [
    "BotVersion",
    "ClaimedEvent",
    "ConflictError",
    "Conversation",
    "ConversationExistsError",
    "ConversationNotFoundError",
    "DeliveryAnsweredError",
    "Direction",
    "EventStatus",
    "OutboxEvent",
    "Store",
    "StoreError",
    "StoredBot",
    "TranscriptEntry",
    "TurnTrace",
    "dump_json",
    "encode_entry",
    "new_conversation",
    "to_utc",
    "utc_now",
]

Direction = Literal["in", "out"]
# An outbox row's state: waiting (for its first try or a retry), sent, given up.
EventStatus = Literal["pending", "delivered", "failed"]


class StoreError(Exception):
    """Base class of the errors a store raises on purpose."""


class ConflictError(StoreError):
    """Another writer changed the conversation first; nothing was written.

    The caller reloads the conversation and runs the turn again.
    """


class ConversationExistsError(ConflictError):
    """``create_conversation`` lost a race: (bot, channel, user) already has one.

    A subclass of ``ConflictError`` so that a "reload and retry" handler covers
    both races (two first messages of a new user arriving at once).
    """

    @classmethod
    def for_user(cls, bot_id: str, channel: str, user_key: str) -> ConversationExistsError:
        return cls(f"conversation for bot {bot_id!r} channel {channel!r} user {user_key!r} exists")


class ConversationNotFoundError(StoreError, LookupError):
    """The conversation id names no stored conversation."""


class DeliveryAnsweredError(StoreError):
    """``save_turn`` was given a delivery id that an earlier turn already saved.

    Nothing was written: the platform delivered the same event twice, and the
    first delivery's turn stands. Not a ``ConflictError``: running the turn
    again would answer the event a second time.
    """


@dataclass
class Conversation:
    id: str
    bot_id: str
    channel: str
    user_key: str
    token: str
    # ConversationState.to_json(); None until the first save_turn.
    state: dict[str, Any] | None
    # Bumped by every save_turn: the optimistic-concurrency token.
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass
class TranscriptEntry:
    direction: Direction
    message: dict[str, Any]
    at: datetime
    # a turn's "in" entry: the compact trace of what the turn ran
    # (flowbot.studio.traces), kept for the statistics; read back by `turn_traces` only
    trace: str | None = None


@dataclass(frozen=True, slots=True)
class TurnTrace:
    """One turn of a conversation, as the statistics read it (``turn_traces``)."""

    conversation_id: str
    user_key: str
    seq: int
    at: datetime
    # None: a turn saved before traces were kept
    trace: str | None


@dataclass(frozen=True, slots=True)
class BotVersion:
    """One saved version of a bot; ``bot`` (its CLOSER JSON) is None in listings."""

    bot_id: str
    number: int
    author: str
    created_at: datetime
    revision: str
    flows: int
    nodes: int
    bot: dict[str, Any] | None = None


@dataclass
class StoredBot:
    """A bot imported through the API that has no file: its CLOSER JSON, as imported."""

    bot_id: str
    # the bot file {"title", "flows", "preference"} or flow file {"id", "nodes", …}
    bot: dict[str, Any]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """One event for one webhook, as written to the outbox (``flowbot.events``).

    ``event`` is the event's JSON object as text, exactly as it goes into the
    ``{"events": [...]}`` body; ``event_id`` is its ``id``, the same in every
    attempt and every process that sends it.
    """

    webhook: str
    event_id: str
    event: str
    # not claimable before then: the writer sends it itself meanwhile
    # (`mark_sent`), a relay only if the writer died (flowbot.server.sends)
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClaimedEvent:
    """An outbox row a relay claimed: ``seq`` orders the rows of one webhook."""

    seq: int
    webhook: str
    event_id: str
    event: str
    # the attempts made before this one
    attempts: int


@runtime_checkable
class Store(Protocol):
    async def start(self) -> None:
        """Connect and create or migrate the schema; calling it twice is harmless."""

    async def close(self) -> None: ...

    async def ping(self) -> bool:
        """True when the database answers."""

    async def create_conversation(
        self, bot_id: str, channel: str, user_key: str, token: str
    ) -> Conversation:
        """Raises ``ConversationExistsError`` when (bot, channel, user) has one."""

    async def find_conversation(
        self, bot_id: str, channel: str, user_key: str
    ) -> Conversation | None: ...

    async def get_conversation(self, conversation_id: str) -> Conversation | None: ...

    async def list_conversations(self, bot_id: str, limit: int = 100) -> list[Conversation]:
        """The bot's conversations, most recently updated first."""

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
        """Store one turn in one transaction; return the conversation's new version.

        The turn is its state, its transcript rows, the payload keys its
        replies refer to (``put_payloads``), the platform delivery id it
        answered (``has_delivery``) and its webhook events (``add_events``:
        in the outbox if and only if the turn is saved). Raises
        ``ConflictError`` when the stored
        version is not ``expected_version``, ``ConversationNotFoundError`` for
        an unknown id and ``DeliveryAnsweredError`` when ``delivery`` was
        saved before; in each case nothing is written. ``answer`` is kept
        with ``delivery`` (``get_delivery``): the web's answer to a
        ``messageId``, for a retry that reaches another process.
        """

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
        """Create `conversation` with its first turn, in one transaction; return version 1.

        A conversation is never stored without a turn: a failed first save
        leaves nothing behind (and no token for anyone to pick up). Raises
        ``ConversationExistsError`` when (bot, channel, user) has one, and
        ``DeliveryAnsweredError`` as ``save_turn`` does; nothing is written then.
        """

    async def append_transcript(self, conversation_id: str, entries: list[TranscriptEntry]) -> None:
        """Add transcript rows without touching state or version (pushed messages)."""

    async def transcript(self, conversation_id: str, limit: int = 200) -> list[TranscriptEntry]:
        """The last ``limit`` entries, oldest first."""

    async def put_payload(self, key: str, payload: str) -> None:
        """Keep a long postback payload under a short key (LINE allows 300 chars)."""

    async def put_payloads(self, payloads: Mapping[str, str]) -> None:
        """Keep several payload keys at once; storing a key again renews it."""

    async def get_payload(self, key: str) -> str | None: ...

    async def has_delivery(self, key: str) -> bool:
        """True when a saved turn answered this platform delivery id."""

    async def get_delivery(self, key: str) -> tuple[str | None] | None:
        """``(answer,)`` when a saved turn answered this delivery id (``answer`` as saved)."""

    async def purge(self, payloads_before: datetime, deliveries_before: datetime) -> None:
        """Forget payload keys not renewed since, and delivery ids older than, these times."""

    async def put_bot(self, bot_id: str, bot: Mapping[str, Any]) -> None:
        """Keep a bot's CLOSER JSON under its id, replacing what that id held.

        The JSON is serialised first: a value that is not JSON raises
        ``TypeError`` or ``ValueError`` with nothing written.
        """

    async def get_bot(self, bot_id: str) -> StoredBot | None: ...

    async def list_bots(self) -> list[StoredBot]:
        """Every stored bot, ordered by id."""

    # -- the webhook events' outbox (flowbot.events) ----------------------------

    async def add_events(self, events: Sequence[OutboxEvent]) -> None:
        """Write events to the outbox in a transaction of their own (events outside a turn)."""

    async def claim_events(
        self, webhook: str, claimer: str, limit: int, lease: float
    ) -> list[ClaimedEvent]:
        """Claim up to ``limit`` of the webhook's pending events for ``lease`` seconds.

        Oldest first, and only those that are due: none from a pending row
        waiting for its retry onward (a failed batch holds back the newer
        events, so they arrive in order). A row another claimer holds is
        skipped until its lease runs out (then it was a dead process's).
        """

    async def mark_delivered(self, seqs: Sequence[int], claimer: str) -> None:
        """The claimed rows were delivered: kept until purged, never sent again.

        Rows no longer claimed by ``claimer`` (its lease ran out and another
        claimer took them) are left as they are.
        """

    async def mark_sent(self, event_ids: Sequence[str]) -> None:
        """Rows their writer sent itself before anyone claimed them: delivered.

        A row a relay has claimed meanwhile is left to the relay (it may be
        sent twice then: at least once).
        """

    async def mark_failed(
        self,
        seqs: Sequence[int],
        claimer: str,
        error: str,
        retry_in: float | None,
        max_attempts: int,
    ) -> list[int]:
        """An attempt failed: count it and release the claim; return the rows given up.

        A row is given up (status ``failed``) when ``retry_in`` is None (the
        receiver refused the body) or this was its ``max_attempts``-th
        attempt; the others are due again ``retry_in`` seconds from now.
        """

    async def release_claims(self, claimer: str | None) -> None:
        """Drop the claims of ``claimer`` (of everyone: None) without counting an attempt."""

    async def purge_events(self, delivered_before: datetime, failed_before: datetime) -> None:
        """Forget rows delivered before ``delivered_before``, and rows given up before
        (or still pending since before) ``failed_before``."""

    async def count_events(self) -> dict[EventStatus, int]:
        """How many outbox rows are in each status (absent: none)."""

    # -- the studio: bot versions and turn traces (flowbot.studio) ---------------

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
        """Record the bot's next version (the highest number + 1, from 1); return it."""

    async def list_bot_versions(self, bot_id: str, limit: int = 1000) -> list[BotVersion]:
        """The bot's versions, newest first, without their JSON (``bot`` None)."""

    async def get_bot_version(self, bot_id: str, number: int) -> BotVersion | None:
        """One version with its JSON."""

    async def turn_traces(self, bot_id: str, since: datetime, until: datetime) -> list[TurnTrace]:
        """The bot's turns (transcript "in" rows) from ``since`` up to (not at) ``until``,
        ordered by conversation, then turn."""


def dump_json(value: Any) -> str:
    """The one JSON text form every store writes: compact, UTF-8 kept readable.

    orjson writes it (several times faster than ``json`` on the per-turn
    state); what orjson refuses but ``json`` takes (integers over 64 bits) goes
    through ``json``, whose ``TypeError`` / ``ValueError`` then stand.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_conversation(bot_id: str, channel: str, user_key: str, token: str) -> Conversation:
    """What ``create_conversation`` stores: a fresh id, no state yet, version 0."""
    now = utc_now()
    return Conversation(
        id=uuid.uuid4().hex,
        bot_id=bot_id,
        channel=channel,
        user_key=user_key,
        token=token,
        state=None,
        version=0,
        created_at=now,
        updated_at=now,
    )


def to_utc(moment: datetime) -> datetime:
    # A naive datetime is local time (datetime.now()), as datetime.astimezone assumes.
    return moment.astimezone(UTC)


def encode_entry(entry: TranscriptEntry) -> tuple[Direction, str, datetime, str | None]:
    """(direction, message JSON text, UTC time, trace): the stored form of a transcript entry."""
    if entry.direction not in ("in", "out"):
        raise ValueError(f"transcript direction must be 'in' or 'out', not {entry.direction!r}")
    return entry.direction, dump_json(entry.message), to_utc(entry.at), entry.trace
