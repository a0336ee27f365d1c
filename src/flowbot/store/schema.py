"""The SQL schema as SQLAlchemy Core tables: what the queries in ``sql.py`` use.

The database itself is created by the Alembic migrations in ``migrations/``;
a change here needs a new migration there (see ``flowbot.store.sql``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "UTCDateTime",
    "bot_versions",
    "bots",
    "conversations",
    "deliveries",
    "metadata",
    "outbox",
    "payload_keys",
    "transcript",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database.

    SQLite has no time zone type: it stores naive UTC text, and reads it back
    as UTC; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

conversations = Table(
    "conversations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("bot_id", String, nullable=False),
    Column("channel", String, nullable=False),
    Column("user_key", String, nullable=False),
    Column("token", String, nullable=False),
    Column("state", Text, nullable=True),
    Column("version", Integer, nullable=False, server_default="0"),
    # Highest transcript seq handed out: bumping it in the same UPDATE that
    # checks the version numbers the new rows without a max(seq) query.
    Column("last_seq", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("bot_id", "channel", "user_key", name="uq_conversations_user"),
    Index("ix_conversations_bot_updated", "bot_id", "updated_at"),
)

transcript = Table(
    "transcript",
    metadata,
    Column(
        "conversation_id",
        String(64),
        ForeignKey("conversations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("direction", String(3), nullable=False),
    Column("message", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    # a turn's "in" row: what the turn ran, for the studio's statistics
    # (flowbot.studio.traces); null on other rows
    Column("trace", Text, nullable=True),
)

# Postback payloads too long for a channel (LINE: 300 characters), under the
# short key its buttons carry (flowbot.channels.clicks). Keys are
# content-addressed, so storing one again only renews `stored_at`; rows not
# renewed for PAYLOAD_KEY_DAYS are purged.
payload_keys = Table(
    "payload_keys",
    metadata,
    Column("key", String, primary_key=True),
    Column("payload", Text, nullable=False),
    Column("stored_at", UTCDateTime, nullable=False),
    Index("ix_payload_keys_stored_at", "stored_at"),
)

# Platform delivery ids already answered (Facebook's mid, LINE's
# webhookEventId), written in the transaction of the turn they started, so a
# redelivery is answered once even after a restart; purged after DELIVERY_HOURS.
# `answer`: what a web request's messageId was answered with, so a retry on
# any process gets the same body (the messengers' answers are sent, not kept).
deliveries = Table(
    "deliveries",
    metadata,
    Column("key", String, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("answer", Text, nullable=True),
    Index("ix_deliveries_at", "at"),
)

# Bots imported through the API under an id the config names no file for
# (`PUT /api/bots/{id}`): the CLOSER JSON as imported, loaded at start-up. A bot
# the config names is kept in its own file instead, and a row under its id is
# ignored.
bots = Table(
    "bots",
    metadata,
    Column("bot_id", String(100), primary_key=True),
    Column("bot", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Webhook events waiting to be sent, or sent (flowbot.events): one row per
# event per webhook that wants it, written in the transaction of the turn that
# emitted it, so it exists if and only if the turn was saved. `webhook` is the
# webhook's URL; `event` the event's JSON object, sent as it is; `event_id` its
# id, the same in every attempt. A relay claims rows for a lease
# (`claimed_by`, `claimed_until`); `next_attempt_at` holds a failed batch back
# until its retry. Delivered rows are purged after OUTBOX_DELIVERED_HOURS,
# failed (and never-claimed) ones after OUTBOX_FAILED_DAYS.
outbox = Table(
    "outbox",
    metadata,
    # INTEGER PRIMARY KEY on SQLite (the rowid), BIGSERIAL on PostgreSQL
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("webhook", String, nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("event", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String(9), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("claimed_by", String, nullable=True),
    Column("claimed_until", UTCDateTime, nullable=True),
    # when it was delivered or given up
    Column("done_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_outbox_claim", "webhook", "status", "seq"),
    Index("ix_outbox_done", "status", "done_at"),
)

# Every bot saved through the API (PUT, rollback, flow import), numbered per
# bot from 1: its CLOSER JSON as exported, and its revision (sha256 of the
# canonical JSON), which the studio sends back as If-Match (flowbot.studio.versions).
bot_versions = Table(
    "bot_versions",
    metadata,
    Column("bot_id", String(100), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("author", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revision", String(64), nullable=False),
    Column("flows", Integer, nullable=False),
    Column("nodes", Integer, nullable=False),
    Column("bot", Text, nullable=False),
)
