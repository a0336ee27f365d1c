"""A bot's revision (what `ETag` and `If-Match` name) and its saved versions.

The revision is the sha256 (hex) of the bot's canonical JSON: its export
(`flowbot.format.export_bot`, what `GET /api/bots/{id}` answers) with sorted
keys, no spaces, UTF-8. Two saves of the same bot have the same revision,
whatever file it is kept in.

`VersionBook` records versions in the store (`bot_versions`): every save
through the API, and a bot's first version, "start", the first time its
versions are asked for or it is saved.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from flowbot.engine import Program
from flowbot.format import export_bot
from flowbot.format.models import Bot
from flowbot.store import BotVersion, Store

__all__ = ["START_AUTHOR", "VersionBook", "canonical_json", "count_nodes", "revision_of"]

# the author of the version recorded for a bot as the server found it
START_AUTHOR: Final = "start"


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def revision_of(data: Any) -> str:
    """The sha256 hex of `data`'s canonical JSON."""
    return hashlib.sha256(canonical_json(data)).hexdigest()


def count_nodes(bot: Bot) -> int:
    return sum(len(flow.nodes) for flow in bot.flows)


class VersionBook:
    """One server's bot versions and revisions (revisions cached per running program)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # bot id → (the program the revision is of, its revision)
        self._revisions: dict[str, tuple[Program, str]] = {}
        # bots known to have a version already: no query before their next save
        self._started: set[str] = set()

    def revision(self, bot_id: str, program: Program) -> str:
        cached = self._revisions.get(bot_id)
        if cached is not None and cached[0] is program:
            return cached[1]
        revision = revision_of(export_bot(program.bot))
        self._revisions[bot_id] = (program, revision)
        return revision

    async def start(self, bot_id: str, program: Program) -> None:
        """Record `program` as the bot's version 1 unless it has versions."""
        if bot_id in self._started:
            return
        if not await self.store.list_bot_versions(bot_id, 1):
            await self.record(bot_id, program, START_AUTHOR)
        self._started.add(bot_id)

    async def record(self, bot_id: str, program: Program, author: str) -> BotVersion:
        bot = program.bot
        version = await self.store.add_bot_version(
            bot_id,
            export_bot(bot),
            author=author,
            revision=self.revision(bot_id, program),
            flows=len(bot.flows),
            nodes=count_nodes(bot),
        )
        self._started.add(bot_id)
        return version

    async def latest(self, bot_id: str) -> BotVersion | None:
        versions = await self.store.list_bot_versions(bot_id, 1)
        return versions[0] if versions else None
