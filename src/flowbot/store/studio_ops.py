"""The studio's SQL operations: bot versions and the turns' traces (``flowbot.studio``).

Kept apart from ``operations`` (the turn's hot path); each function runs on a
sync SQLAlchemy ``Connection`` inside the runner's transaction, like those.

``turn_traces`` reads the turns of one bot over a time range: the
conversations by ``ix_conversations_bot_updated`` (bot, then updated at or
after the range's start: a conversation with a turn in the range was updated
then or later), their transcript rows by the primary key
(conversation id, seq). No index on the transcript itself: each turn's save
stays one INSERT with nothing more to maintain.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, func, insert, select
from sqlalchemy.engine import Connection

from flowbot.store.base import BotVersion, TurnTrace
from flowbot.store.schema import bot_versions, conversations, transcript

__all__ = ["add_bot_version", "get_bot_version", "list_bot_versions", "turn_traces"]

_VERSION_COLUMNS = (
    bot_versions.c.bot_id,
    bot_versions.c.number,
    bot_versions.c.author,
    bot_versions.c.created_at,
    bot_versions.c.revision,
    bot_versions.c.flows,
    bot_versions.c.nodes,
)
_LAST_NUMBER = select(func.max(bot_versions.c.number)).where(
    bot_versions.c.bot_id == bindparam("bid")
)
_INSERT_VERSION = insert(bot_versions)
_LIST_VERSIONS = (
    select(*_VERSION_COLUMNS)
    .where(bot_versions.c.bot_id == bindparam("bid"))
    .order_by(bot_versions.c.number.desc())
    .limit(bindparam("limit", type_=Integer))
)
_GET_VERSION = select(*_VERSION_COLUMNS, bot_versions.c.bot).where(
    bot_versions.c.bot_id == bindparam("bid"), bot_versions.c.number == bindparam("num")
)
_TURN_TRACES = (
    select(
        transcript.c.conversation_id,
        conversations.c.user_key,
        transcript.c.seq,
        transcript.c.at,
        transcript.c.trace,
    )
    .select_from(conversations)
    .join(transcript, transcript.c.conversation_id == conversations.c.id)
    .where(
        conversations.c.bot_id == bindparam("bid"),
        conversations.c.updated_at >= bindparam("since"),
        transcript.c.direction == "in",
        transcript.c.at >= bindparam("since"),
        transcript.c.at < bindparam("until"),
    )
    .order_by(transcript.c.conversation_id, transcript.c.seq)
)


def add_bot_version(
    connection: Connection,
    bot_id: str,
    bot_json: str,
    author: str,
    revision: str,
    flows: int,
    nodes: int,
    now: datetime,
) -> BotVersion:
    """The next number for the bot; two writers racing for it: IntegrityError (retried)."""
    last = connection.execute(_LAST_NUMBER, {"bid": bot_id}).scalar()
    number = int(last or 0) + 1
    connection.execute(
        _INSERT_VERSION,
        {
            "bot_id": bot_id,
            "number": number,
            "author": author,
            "created_at": now,
            "revision": revision,
            "flows": flows,
            "nodes": nodes,
            "bot": bot_json,
        },
    )
    return BotVersion(bot_id, number, author, now, revision, flows, nodes)


def list_bot_versions(connection: Connection, bot_id: str, limit: int) -> list[BotVersion]:
    rows = connection.execute(_LIST_VERSIONS, {"bid": bot_id, "limit": limit}).all()
    return [_version(row) for row in rows]


def get_bot_version(connection: Connection, bot_id: str, number: int) -> BotVersion | None:
    row = connection.execute(_GET_VERSION, {"bid": bot_id, "num": number}).first()
    if row is None:
        return None
    version = _version(row[:-1])
    bot: dict[str, Any] = json.loads(row[-1])
    return BotVersion(**{**_fields(version), "bot": bot})


def turn_traces(
    connection: Connection, bot_id: str, since: datetime, until: datetime
) -> list[TurnTrace]:
    rows = connection.execute(_TURN_TRACES, {"bid": bot_id, "since": since, "until": until})
    return [TurnTrace(cid, user_key, seq, at, trace) for cid, user_key, seq, at, trace in rows]


def _version(row: Sequence[Any]) -> BotVersion:
    bot_id, number, author, created_at, revision, flows, nodes = row
    return BotVersion(bot_id, number, author, created_at, revision, flows, nodes)


def _fields(version: BotVersion) -> dict[str, Any]:
    return {
        "bot_id": version.bot_id,
        "number": version.number,
        "author": version.author,
        "created_at": version.created_at,
        "revision": version.revision,
        "flows": version.flows,
        "nodes": version.nodes,
    }
