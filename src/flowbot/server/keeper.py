"""Keeping an imported bot: written to its file, folder or the database, then swapped in.

`PUT /api/bots/{id}` (`flowbot.server.api`) and the studio's rollback and
flow import (`flowbot.server.studio_api`) all save through the one
`BotKeeper` of a server (`bot_keeper(ctx)`): one save at a time, each one's
write and swap together, then a version recorded (`flowbot.studio.versions`).

A save may name the revision it was edited from (`If-Match`): when the
running bot is another revision, it is refused with 412 and nothing is
written, checked under the same lock as the write.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from flowbot.engine import Program, load_program
from flowbot.format import BotLoadError, export_source
from flowbot.format.models import Bot
from flowbot.format.write import SourceWriteError, plan_write
from flowbot.server.bots import DATABASE, BotRegistry
from flowbot.server.context import ServerContext
from flowbot.server.errors import Refusal
from flowbot.server.http import logger
from flowbot.store import BotVersion
from flowbot.studio.versions import VersionBook

__all__ = ["BotKeeper", "Kept", "bot_keeper"]

UNCHANGED = "the running bot is unchanged"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Kept:
    """Where a save was kept: "file" or "folder" (`source` its path) or "database".

    `version`: the version recorded (None when the store did not take it: the
    bot is kept all the same, and the server log says why).
    """

    kind: str
    source: str
    program: Program
    existed: bool
    revision: str
    version: BotVersion | None = None


class BotKeeper:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.versions = VersionBook(ctx.store)
        self._lock = asyncio.Lock()

    async def start_versions(self, bot_id: str) -> None:
        """Record the running bot as version 1 if it has none (under the saves' lock)."""
        async with self._lock:
            program = self.ctx.bots.get(bot_id)
            if program is not None:
                await self.versions.start(bot_id, program)

    def revision(self, bot_id: str) -> str | None:
        program = self.ctx.bots.get(bot_id)
        return None if program is None else self.versions.revision(bot_id, program)

    async def keep(
        self,
        bot_id: str,
        bot: Bot,
        program: Program,
        *,
        expected: str | None = None,
        author: str = "api",
    ) -> Kept:
        """Save `bot` (shielded: a client that hangs up cannot leave it half done)."""
        keeping = asyncio.ensure_future(self._keep(bot_id, bot, program, expected, author))
        keeping.add_done_callback(lambda done: done.cancelled() or done.exception())
        return await asyncio.shield(keeping)

    async def _keep(
        self, bot_id: str, bot: Bot, program: Program, expected: str | None, author: str
    ) -> Kept:
        async with self._lock:
            loaded = self.ctx.bots.entry(bot_id)
            if expected is not None:
                await self._check_revision(bot_id, expected)
            if loaded is not None:
                await self._quietly(self.versions.start(bot_id, loaded.program), bot_id)
            kept = await self._write(bot_id, bot, program)
            version = await self._quietly(
                self.versions.record(bot_id, kept.program, author), bot_id
            )
            revision = self.versions.revision(bot_id, kept.program)
            return Kept(kept.kind, kept.source, kept.program, kept.existed, revision, version)

    async def _check_revision(self, bot_id: str, expected: str) -> None:
        current = self.revision(bot_id)
        if current == expected:
            return
        if current is None:
            raise Refusal(412, f"there is no bot {bot_id!r} any more: save it as a copy")
        latest = await self.versions.latest(bot_id)
        since = (
            ""
            if latest is None or latest.revision != current
            else f" (version {latest.number} by {latest.author} at "
            f"{latest.created_at.isoformat(timespec='seconds')})"
        )
        raise Refusal(
            412,
            f"the bot changed since you opened it{since}: reload, or save as a copy",
            code="stale_revision",
        )

    async def _quietly(self, work: Awaitable[T], bot_id: str) -> T | None:
        try:
            return await work
        except Exception as error:  # the database's errors: the bot is kept all the same
            logger.warning("bot %r: its version was not recorded: %r", bot_id, error)
            return None

    async def _write(self, bot_id: str, bot: Bot, program: Program) -> _Written:
        registry: BotRegistry = self.ctx.bots
        loaded = registry.entry(bot_id)
        existed = loaded is not None
        if loaded is None or loaded.path is None:
            try:
                await self.ctx.store.put_bot(bot_id, export_source(bot))
            except Exception as error:  # the database's own errors, or none answering
                logger.warning("bot %r: the database did not keep it: %r", bot_id, error)
                raise Refusal(
                    503,
                    "the bot could not be kept: the database did not take it "
                    f"({type(error).__name__}, see the server log); {UNCHANGED}",
                    code="database_unavailable",
                ) from error
            registry.put(bot_id, program, DATABASE)
            return _Written("database", DATABASE, program, existed)
        path = loaded.path
        try:
            plan = await asyncio.to_thread(plan_write, path, bot, current=loaded.program.bot)
            if plan.bot is not bot:  # a folder's order, a flow file: what a restart loads
                program = load_program(plan.bot, bot_id, source=str(path))
            await asyncio.to_thread(plan.apply)
        except BotLoadError as error:
            raise Refusal(
                422,
                f"the bot does not validate as {path} would read it back; {UNCHANGED}",
                [str(problem) for problem in error.problems],
            ) from error
        except (SourceWriteError, OSError) as error:
            if isinstance(error, SourceWriteError):
                message = str(error)
            else:
                message = f"cannot read {path}: {error.strerror or error}"
            raise Refusal(
                409,
                f"the bot could not be kept: {message}; {UNCHANGED}",
                code="source_not_writable",
            ) from error
        registry.put(bot_id, program, str(path), path=path)
        return _Written(plan.kind, str(path), program, existed)


@dataclass(frozen=True, slots=True)
class _Written:
    kind: str
    source: str
    program: Program
    existed: bool


_KEEPERS: weakref.WeakKeyDictionary[BotRegistry, BotKeeper] = weakref.WeakKeyDictionary()


def bot_keeper(ctx: ServerContext) -> BotKeeper:
    """The server's keeper (one per bot registry: the routes of one app share it)."""
    keeper = _KEEPERS.get(ctx.bots)
    if keeper is None:
        keeper = _KEEPERS[ctx.bots] = BotKeeper(ctx)
    return keeper
