"""Every SQL store operation, written once over a sync SQLAlchemy ``Connection``.

The Core statements are built once at import, so SQLAlchemy compiles each
one once per dialect; a runner (``flowbot.store.runners``) decides where an
operation runs. ``save_turn`` is one version-checked UPDATE … RETURNING and
one executemany INSERT of the transcript rows.

``save_turn_sqlite`` is the same two statements as plain SQL on the
``sqlite3`` connection underneath: the turn's hot path, where SQLAlchemy's
per-statement work was about half of a save.

A turn with webhook events adds one executemany INSERT into ``outbox``; the
relay's claims and marks (``claim_events`` …) are statements of their own. On
PostgreSQL their times (a lease, a retry's due time) are the database's
``now()``, so relays on hosts whose clocks differ still agree on them; on
SQLite (one process) the caller's clock.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Interval,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import Insert, ReturningUpdate
from sqlalchemy.sql.elements import BindParameter

from flowbot.store.base import (
    ClaimedEvent,
    ConflictError,
    Conversation,
    ConversationNotFoundError,
    DeliveryAnsweredError,
    EventStatus,
    OutboxEvent,
    StoredBot,
    TranscriptEntry,
)
from flowbot.store.schema import (
    UTCDateTime,
    bots,
    conversations,
    deliveries,
    outbox,
    payload_keys,
    transcript,
)

__all__ = [
    "Line",
    "append_transcript",
    "claim_events",
    "conversation_of",
    "count_events",
    "find_conversation",
    "get_bot",
    "get_conversation",
    "get_delivery",
    "get_payload",
    "has_delivery",
    "insert_conversation",
    "insert_events",
    "insert_first_turn",
    "list_bots",
    "list_conversations",
    "mark_delivered",
    "mark_failed",
    "mark_sent",
    "not_saved",
    "ping",
    "purge",
    "purge_events",
    "put_bot",
    "put_payloads",
    "read_transcript",
    "release_claims",
    "save_turn",
    "save_turn_sqlite",
    "upgrade_to_head",
]

# A transcript entry as stored: (direction, message JSON text, UTC time, trace).
Line = tuple[str, str, datetime, str | None]

MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")
# Any fixed number: serialises migrations of processes sharing one PostgreSQL.
_MIGRATION_LOCK_ID = 0x666C6F77626F74

_CONVERSATION_COLUMNS = (
    conversations.c.id,
    conversations.c.bot_id,
    conversations.c.channel,
    conversations.c.user_key,
    conversations.c.token,
    conversations.c.state,
    conversations.c.version,
    conversations.c.created_at,
    conversations.c.updated_at,
)
_INSERT_CONVERSATION = insert(conversations)
_FIND_CONVERSATION = select(*_CONVERSATION_COLUMNS).where(
    conversations.c.bot_id == bindparam("bot_id"),
    conversations.c.channel == bindparam("channel"),
    conversations.c.user_key == bindparam("user_key"),
)
_GET_CONVERSATION = select(*_CONVERSATION_COLUMNS).where(conversations.c.id == bindparam("cid"))
_LIST_CONVERSATIONS = (
    select(*_CONVERSATION_COLUMNS)
    .where(conversations.c.bot_id == bindparam("bot_id"))
    .order_by(conversations.c.updated_at.desc(), conversations.c.id)
    .limit(bindparam("limit", type_=Integer))
)
_GET_VERSION = select(conversations.c.version).where(conversations.c.id == bindparam("cid"))
# Bind names differ from column names: SQLAlchemy reserves those for SET values.
_SAVE_TURN = (
    update(conversations)
    .where(
        conversations.c.id == bindparam("cid"),
        conversations.c.version == bindparam("expected"),
    )
    .values(
        state=bindparam("new_state"),
        version=conversations.c.version + 1,
        last_seq=conversations.c.last_seq + bindparam("count", type_=Integer),
        updated_at=bindparam("now", type_=UTCDateTime),
    )
    .returning(conversations.c.version, conversations.c.last_seq)
)
_RESERVE_SEQ = (
    update(conversations)
    .where(conversations.c.id == bindparam("cid"))
    .values(
        last_seq=conversations.c.last_seq + bindparam("count", type_=Integer),
        updated_at=bindparam("now", type_=UTCDateTime),
    )
    .returning(conversations.c.last_seq)
)
_INSERT_TRANSCRIPT = insert(transcript)
_READ_TRANSCRIPT = (
    select(transcript.c.direction, transcript.c.message, transcript.c.at)
    .where(transcript.c.conversation_id == bindparam("cid"))
    .order_by(transcript.c.seq.desc())
    .limit(bindparam("limit", type_=Integer))
)
_GET_PAYLOAD = select(payload_keys.c.payload).where(payload_keys.c.key == bindparam("key_"))
_HAS_DELIVERY = select(deliveries.c.key).where(deliveries.c.key == bindparam("key_"))
_GET_DELIVERY = select(deliveries.c.answer).where(deliveries.c.key == bindparam("key_"))
_INSERT_DELIVERY = insert(deliveries)
_PURGE_PAYLOADS = payload_keys.delete().where(payload_keys.c.stored_at < bindparam("before"))
_PURGE_DELIVERIES = deliveries.delete().where(deliveries.c.at < bindparam("before"))
_BOT_COLUMNS = (bots.c.bot_id, bots.c.bot, bots.c.updated_at)
_GET_BOT = select(*_BOT_COLUMNS).where(bots.c.bot_id == bindparam("bid"))
_LIST_BOTS = select(*_BOT_COLUMNS)


def _upsert_payload(insert_for: Callable[..., Any]) -> Insert:
    # A key names one record (content-addressed): storing it again renews it.
    statement = insert_for(payload_keys)
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=[payload_keys.c.key],
        set_={"payload": statement.excluded.payload, "stored_at": statement.excluded.stored_at},
    )
    return upsert


_UPSERT_PAYLOAD = {
    "sqlite": _upsert_payload(sqlite.insert),
    "postgresql": _upsert_payload(postgresql.insert),
}


def _upsert_bot(insert_for: Callable[..., Any]) -> Insert:
    statement = insert_for(bots)
    upsert: Insert = statement.on_conflict_do_update(
        index_elements=[bots.c.bot_id],
        set_={"bot": statement.excluded.bot, "updated_at": statement.excluded.updated_at},
    )
    return upsert


_UPSERT_BOT = {"sqlite": _upsert_bot(sqlite.insert), "postgresql": _upsert_bot(postgresql.insert)}

_INSERT_EVENT = insert(outbox)
# above every seq (a BIGINT, on PostgreSQL)
_NO_SEQ = literal(2**63 - 1, BigInteger)
_SEQS: BindParameter[int] = bindparam("seqs", expanding=True)


def _now(dialect: str) -> ColumnElement[datetime]:
    """The time leases and retries are measured by: the database's on PostgreSQL."""
    if dialect == "postgresql":
        return func.now()
    return bindparam("now", type_=UTCDateTime)


def _later(dialect: str, name: str) -> ColumnElement[datetime]:
    """``now`` plus the seconds in parameter ``name`` (a ``timedelta``)."""
    if dialect == "postgresql":
        return func.now() + bindparam(name, type_=Interval)
    return bindparam(f"{name}_at", type_=UTCDateTime)


def _claim(dialect: str) -> ReturningUpdate[Any]:
    now = _now(dialect)
    hook: BindParameter[str] = bindparam("hook")
    # the first pending row waiting for its retry: nothing from it onward is due
    held = (
        select(func.min(outbox.c.seq))
        .where(outbox.c.webhook == hook, outbox.c.status == "pending")
        .where(outbox.c.next_attempt_at > now)
        .scalar_subquery()
    )
    due = (
        select(outbox.c.seq)
        .where(outbox.c.webhook == hook, outbox.c.status == "pending")
        .where(or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now))
        .where(or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now))
        .where(outbox.c.seq < func.coalesce(held, _NO_SEQ))
        .order_by(outbox.c.seq)
        .limit(bindparam("limit", type_=Integer))
        # PostgreSQL: another relay's claim in progress is skipped, not waited
        # for (and a row it has just claimed fails the re-checked lease test)
        .with_for_update(skip_locked=True)
        # a CTE, computed once: `IN (… LIMIT … SKIP LOCKED)` may be rescanned
        # by a nested loop and claim more than `limit` rows
        .cte("due")
    )
    return (
        update(outbox)
        .where(outbox.c.seq == due.c.seq)
        .values(claimed_by=bindparam("me"), claimed_until=_later(dialect, "lease"))
        .returning(outbox.c.seq, outbox.c.event_id, outbox.c.event, outbox.c.attempts)
    )


def _failed(dialect: str) -> ReturningUpdate[Any]:
    given_up = or_(
        bindparam("give_up", type_=Integer) == 1,
        outbox.c.attempts + 1 >= bindparam("max_attempts", type_=Integer),
    )
    done = bindparam("done", type_=UTCDateTime)
    return (
        update(outbox)
        .where(outbox.c.seq.in_(_SEQS), outbox.c.claimed_by == bindparam("me"))
        .values(
            attempts=outbox.c.attempts + 1,
            status=case((given_up, "failed"), else_="pending"),
            done_at=case((given_up, done), else_=None),
            next_attempt_at=_later(dialect, "retry"),
            claimed_by=None,
            claimed_until=None,
            last_error=bindparam("error"),
        )
        .returning(outbox.c.seq, outbox.c.status)
    )


_CLAIM = {name: _claim(name) for name in ("sqlite", "postgresql")}
_FAILED = {name: _failed(name) for name in ("sqlite", "postgresql")}
_DELIVERED = (
    update(outbox)
    .where(outbox.c.seq.in_(_SEQS), outbox.c.claimed_by == bindparam("me"))
    .values(
        status="delivered",
        attempts=outbox.c.attempts + 1,
        done_at=bindparam("done", type_=UTCDateTime),
        claimed_by=None,
        claimed_until=None,
        last_error=None,
    )
)
_RELEASE = (
    update(outbox)
    .where(outbox.c.claimed_by == bindparam("me"))
    .values(claimed_by=None, claimed_until=None)
)
_RELEASE_ALL = (
    update(outbox)
    .where(outbox.c.claimed_by.is_not(None))
    .values(claimed_by=None, claimed_until=None)
)
_PURGE_DELIVERED = outbox.delete().where(
    outbox.c.status == "delivered", outbox.c.done_at < bindparam("before")
)
_PURGE_FAILED = outbox.delete().where(
    outbox.c.status == "failed", outbox.c.done_at < bindparam("before")
)
# rows no relay ever finishes: their webhook left the config
_PURGE_STRANDED = outbox.delete().where(
    outbox.c.status == "pending", outbox.c.created_at < bindparam("before")
)
_COUNT_EVENTS = select(outbox.c.status, func.count()).group_by(outbox.c.status)


def upgrade_to_head(connection: Connection, schema: str | None = None) -> None:
    """Alembic ``upgrade head`` on this connection (inside the caller's transaction)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        if schema is not None:
            quoted = connection.dialect.identifier_preparer.quote(schema)
            connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def ping(connection: Connection) -> None:
    connection.execute(text("SELECT 1"))


def insert_conversation(connection: Connection, conversation: Conversation) -> None:
    connection.execute(
        _INSERT_CONVERSATION,
        {
            "id": conversation.id,
            "bot_id": conversation.bot_id,
            "channel": conversation.channel,
            "user_key": conversation.user_key,
            "token": conversation.token,
            "state": None,
            "version": conversation.version,
            "last_seq": 0,
            "created_at": conversation.created_at,
            "updated_at": conversation.updated_at,
        },
    )


def insert_first_turn(
    connection: Connection,
    conversation: Conversation,
    state_json: str,
    lines: Sequence[Line],
    now: datetime,
    payloads: Mapping[str, str] | None = None,
    delivery: str | None = None,
    events: Sequence[OutboxEvent] | None = None,
    answer: str | None = None,
) -> int:
    """A new conversation and its first turn; IntegrityError when (bot, channel, user) has one."""
    if delivery is not None:
        _insert_delivery(connection, delivery, now, answer)
    connection.execute(
        _INSERT_CONVERSATION,
        {
            "id": conversation.id,
            "bot_id": conversation.bot_id,
            "channel": conversation.channel,
            "user_key": conversation.user_key,
            "token": conversation.token,
            "state": state_json,
            "version": 1,
            "last_seq": len(lines),
            "created_at": conversation.created_at,
            "updated_at": now,
        },
    )
    _insert_lines(connection, conversation.id, len(lines), lines)
    if payloads:
        put_payloads(connection, payloads, now)
    if events:
        insert_events(connection, events, now)
    return 1


def find_conversation(
    connection: Connection, bot_id: str, channel: str, user_key: str
) -> Conversation | None:
    row = connection.execute(
        _FIND_CONVERSATION, {"bot_id": bot_id, "channel": channel, "user_key": user_key}
    ).first()
    return None if row is None else conversation_of(row)


def get_conversation(connection: Connection, conversation_id: str) -> Conversation | None:
    row = connection.execute(_GET_CONVERSATION, {"cid": conversation_id}).first()
    return None if row is None else conversation_of(row)


def list_conversations(connection: Connection, bot_id: str, limit: int) -> list[Conversation]:
    rows = connection.execute(_LIST_CONVERSATIONS, {"bot_id": bot_id, "limit": limit}).all()
    return [conversation_of(row) for row in rows]


def save_turn(
    connection: Connection,
    conversation_id: str,
    state_json: str,
    lines: Sequence[Line],
    expected_version: int,
    now: datetime,
    payloads: Mapping[str, str] | None = None,
    delivery: str | None = None,
    events: Sequence[OutboxEvent] | None = None,
    answer: str | None = None,
) -> int:
    if delivery is not None:
        _insert_delivery(connection, delivery, now, answer)
    saved = connection.execute(
        _SAVE_TURN,
        {
            "cid": conversation_id,
            "expected": expected_version,
            "new_state": state_json,
            "count": len(lines),
            "now": now,
        },
    ).first()
    if saved is None:
        raise not_saved(connection, conversation_id, expected_version)
    version, last_seq = saved
    _insert_lines(connection, conversation_id, last_seq, lines)
    if payloads:
        put_payloads(connection, payloads, now)
    if events:
        insert_events(connection, events, now)
    return int(version)


_SQLITE_SAVE_TURN = (
    "UPDATE conversations SET state = ?, version = version + 1, last_seq = last_seq + ?,"
    " updated_at = ? WHERE id = ? AND version = ? RETURNING version, last_seq"
)
_SQLITE_INSERT_TRANSCRIPT = (
    "INSERT INTO transcript (conversation_id, seq, direction, message, at, trace)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_SQLITE_INSERT_DELIVERY = "INSERT INTO deliveries (key, at, answer) VALUES (?, ?, ?)"
_SQLITE_INSERT_EVENT = (
    "INSERT INTO outbox (webhook, event_id, event, created_at, next_attempt_at)"
    " VALUES (?, ?, ?, ?, ?)"
)
_SQLITE_UPSERT_PAYLOAD = (
    "INSERT INTO payload_keys (key, payload, stored_at) VALUES (?, ?, ?)"
    " ON CONFLICT (key) DO UPDATE SET payload = excluded.payload, stored_at = excluded.stored_at"
)


def save_turn_sqlite(
    connection: Connection,
    conversation_id: str,
    state_json: str,
    lines: Sequence[Line],
    expected_version: int,
    now: datetime,
    payloads: Mapping[str, str] | None = None,
    delivery: str | None = None,
    events: Sequence[OutboxEvent] | None = None,
    answer: str | None = None,
) -> int:
    """``save_turn`` on SQLite, inside the caller's transaction like every operation."""
    dbapi = connection.connection.driver_connection
    assert dbapi is not None
    if delivery is not None:
        try:
            dbapi.execute(_SQLITE_INSERT_DELIVERY, (delivery, _sqlite_time(now), answer))
        except sqlite3.IntegrityError:
            raise DeliveryAnsweredError(f"delivery {delivery!r} was answered before") from None
    saved = dbapi.execute(
        _SQLITE_SAVE_TURN,
        (state_json, len(lines), _sqlite_time(now), conversation_id, expected_version),
    ).fetchone()
    if saved is None:
        raise not_saved(connection, conversation_id, expected_version)
    version, last_seq = saved
    if lines:
        first = last_seq - len(lines) + 1
        # A turn's lines usually share one time: format each distinct one once.
        times: dict[datetime, str] = {}
        rows = []
        for offset, (direction, message, at, trace) in enumerate(lines):
            text = times.get(at)
            if text is None:
                text = times[at] = _sqlite_time(at)
            rows.append((conversation_id, first + offset, direction, message, text, trace))
        dbapi.executemany(_SQLITE_INSERT_TRANSCRIPT, rows)
    if payloads:
        stored_at = _sqlite_time(now)
        dbapi.executemany(
            _SQLITE_UPSERT_PAYLOAD, [(key, record, stored_at) for key, record in payloads.items()]
        )
    if events:
        created_at = _sqlite_time(now)
        dbapi.executemany(
            _SQLITE_INSERT_EVENT,
            [
                (
                    event.webhook,
                    event.event_id,
                    event.event,
                    created_at,
                    None if event.not_before is None else _sqlite_time(event.not_before),
                )
                for event in events
            ],
        )
    return int(version)


def _sqlite_time(moment: datetime) -> str:
    # What SQLAlchemy's SQLite DATETIME writes for UTCDateTime: naive UTC text.
    utc = moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d} "
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}"
    )


def append_transcript(
    connection: Connection, conversation_id: str, lines: Sequence[Line], now: datetime
) -> None:
    last_seq = connection.execute(
        _RESERVE_SEQ, {"cid": conversation_id, "count": len(lines), "now": now}
    ).scalar()
    if last_seq is None:
        raise ConversationNotFoundError(f"no conversation {conversation_id!r}")
    _insert_lines(connection, conversation_id, last_seq, lines)


def read_transcript(
    connection: Connection, conversation_id: str, limit: int
) -> list[TranscriptEntry]:
    rows = connection.execute(_READ_TRANSCRIPT, {"cid": conversation_id, "limit": limit}).all()
    return [
        TranscriptEntry(direction=direction, message=json.loads(message), at=at)
        for direction, message, at in reversed(rows)
    ]


def put_payloads(connection: Connection, payloads: Mapping[str, str], now: datetime) -> None:
    if not payloads:
        return
    # sorted: two transactions upserting the same keys take their row locks
    # in one order (PostgreSQL), so they cannot deadlock
    connection.execute(
        _UPSERT_PAYLOAD[connection.dialect.name],
        [{"key": key, "payload": payloads[key], "stored_at": now} for key in sorted(payloads)],
    )


def get_payload(connection: Connection, key: str) -> str | None:
    payload = connection.execute(_GET_PAYLOAD, {"key_": key}).scalar()
    return None if payload is None else str(payload)


def has_delivery(connection: Connection, key: str) -> bool:
    return connection.execute(_HAS_DELIVERY, {"key_": key}).first() is not None


def get_delivery(connection: Connection, key: str) -> tuple[str | None] | None:
    """(its answer,) of an answered delivery id, None for one never answered."""
    row = connection.execute(_GET_DELIVERY, {"key_": key}).first()
    return None if row is None else (row[0],)


def purge(
    connection: Connection, payloads_before: datetime, deliveries_before: datetime
) -> tuple[int, int]:
    """Delete payload keys not renewed since, and deliveries older than, the given times."""
    payloads = connection.execute(_PURGE_PAYLOADS, {"before": payloads_before}).rowcount
    answered = connection.execute(_PURGE_DELIVERIES, {"before": deliveries_before}).rowcount
    return int(payloads or 0), int(answered or 0)


def insert_events(connection: Connection, events: Sequence[OutboxEvent], now: datetime) -> None:
    if not events:
        return
    connection.execute(
        _INSERT_EVENT,
        [
            {
                "webhook": event.webhook,
                "event_id": event.event_id,
                "event": event.event,
                "created_at": now,
                "next_attempt_at": event.not_before,
            }
            for event in events
        ],
    )


def claim_events(
    connection: Connection,
    webhook: str,
    claimer: str,
    limit: int,
    lease: float,
    now: datetime,
) -> list[ClaimedEvent]:
    rows = connection.execute(
        _CLAIM[connection.dialect.name],
        {
            "hook": webhook,
            "me": claimer,
            "limit": limit,
            "now": now,
            "lease": timedelta(seconds=lease),
            "lease_at": now + timedelta(seconds=lease),
        },
    ).all()
    # RETURNING comes in no promised order
    return sorted(
        (
            ClaimedEvent(int(seq), webhook, event_id, event, int(attempts))
            for seq, event_id, event, attempts in rows
        ),
        key=lambda claimed: claimed.seq,
    )


def mark_delivered(
    connection: Connection, seqs: Sequence[int], claimer: str, now: datetime
) -> None:
    if seqs:
        connection.execute(_DELIVERED, {"seqs": list(seqs), "me": claimer, "done": now})


_SENT = (
    update(outbox)
    .where(
        outbox.c.event_id.in_(bindparam("ids", expanding=True)),
        outbox.c.status == "pending",
        outbox.c.claimed_by.is_(None),
    )
    .values(
        status="delivered",
        attempts=outbox.c.attempts + 1,
        done_at=bindparam("done", type_=UTCDateTime),
        next_attempt_at=None,
    )
)


def mark_sent(connection: Connection, event_ids: Sequence[str], now: datetime) -> None:
    if event_ids:
        connection.execute(_SENT, {"ids": list(event_ids), "done": now})


def mark_failed(
    connection: Connection,
    seqs: Sequence[int],
    claimer: str,
    error: str,
    retry_in: float | None,
    max_attempts: int,
    now: datetime,
) -> list[int]:
    if not seqs:
        return []
    delay = timedelta(seconds=retry_in or 0.0)
    rows = connection.execute(
        _FAILED[connection.dialect.name],
        {
            "seqs": list(seqs),
            "me": claimer,
            "error": error,
            "give_up": 1 if retry_in is None else 0,
            "max_attempts": max_attempts,
            "done": now,
            "now": now,
            "retry": delay,
            "retry_at": now + delay,
        },
    ).all()
    return sorted(int(seq) for seq, status in rows if status == "failed")


def release_claims(connection: Connection, claimer: str | None) -> None:
    if claimer is None:
        connection.execute(_RELEASE_ALL)
    else:
        connection.execute(_RELEASE, {"me": claimer})


def purge_events(
    connection: Connection, delivered_before: datetime, failed_before: datetime
) -> int:
    """Delete delivered rows older than, and given-up or stranded rows older than, the times."""
    deleted = connection.execute(_PURGE_DELIVERED, {"before": delivered_before}).rowcount
    deleted += connection.execute(_PURGE_FAILED, {"before": failed_before}).rowcount
    deleted += connection.execute(_PURGE_STRANDED, {"before": failed_before}).rowcount
    return int(deleted or 0)


def count_events(connection: Connection) -> dict[EventStatus, int]:
    return {status: int(count) for status, count in connection.execute(_COUNT_EVENTS).all()}


def put_bot(connection: Connection, bot_id: str, bot_json: str, now: datetime) -> None:
    connection.execute(
        _UPSERT_BOT[connection.dialect.name],
        {"bot_id": bot_id, "bot": bot_json, "updated_at": now},
    )


def get_bot(connection: Connection, bot_id: str) -> StoredBot | None:
    row = connection.execute(_GET_BOT, {"bid": bot_id}).first()
    return None if row is None else _stored_bot(row)


def list_bots(connection: Connection) -> list[StoredBot]:
    # sorted here, not by ORDER BY: PostgreSQL's collation would order ids
    # differently from SQLite's (and from the memory store)
    rows = connection.execute(_LIST_BOTS).all()
    return sorted((_stored_bot(row) for row in rows), key=lambda stored: stored.bot_id)


def _stored_bot(row: Sequence[Any]) -> StoredBot:
    bot_id, bot_json, updated_at = row
    return StoredBot(bot_id=bot_id, bot=json.loads(bot_json), updated_at=updated_at)


def _insert_delivery(
    connection: Connection, key: str, now: datetime, answer: str | None = None
) -> None:
    # First in the turn's transaction: a duplicate fails it before anything is written.
    try:
        connection.execute(_INSERT_DELIVERY, {"key": key, "at": now, "answer": answer})
    except IntegrityError:
        raise DeliveryAnsweredError(f"delivery {key!r} was answered before") from None


def conversation_of(row: Sequence[Any]) -> Conversation:
    """A conversation row, positional in the order of _CONVERSATION_COLUMNS."""
    id_, bot_id, channel, user_key, token, state, version, created_at, updated_at = row
    return Conversation(
        id=id_,
        bot_id=bot_id,
        channel=channel,
        user_key=user_key,
        token=token,
        state=None if state is None else json.loads(state),
        version=version,
        created_at=created_at,
        updated_at=updated_at,
    )


def not_saved(connection: Connection, conversation_id: str, expected_version: int) -> Exception:
    """Why the version-checked UPDATE matched no row."""
    version = connection.execute(_GET_VERSION, {"cid": conversation_id}).scalar()
    if version is None:
        return ConversationNotFoundError(f"no conversation {conversation_id!r}")
    return ConflictError(
        f"conversation {conversation_id} is at version {version}, not {expected_version}"
    )


def _insert_lines(
    connection: Connection, conversation_id: str, last_seq: int, lines: Sequence[Line]
) -> None:
    if not lines:
        return
    first = last_seq - len(lines) + 1
    connection.execute(
        _INSERT_TRANSCRIPT,
        [
            {
                "conversation_id": conversation_id,
                "seq": first + offset,
                "direction": direction,
                "message": message,
                "at": at,
                "trace": trace,
            }
            for offset, (direction, message, at, trace) in enumerate(lines)
        ],
    )
