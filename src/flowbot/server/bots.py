"""The bots a server runs, compiled once at load and swapped whole on import.

A bot the config names comes from its file or folder (`LoadedBot.path`), and
an import through the API is written back there. A bot imported under an id
the config does not name has no file: it is kept in the store's bots table
and loaded from there at start-up (`load_stored`), after the config's bots; a
stored bot whose id the config names is ignored (the config's file wins).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flowbot.config import BOT_ID, BotSource
from flowbot.engine import Program, load_program
from flowbot.format import BotLoadError, load_bot, load_bot_data
from flowbot.store import Store

__all__ = ["DATABASE", "BotRegistry", "LoadedBot"]

logger = logging.getLogger("flowbot.server")

# The `source` of a bot kept in the store's bots table.
DATABASE = "database"


@dataclass(frozen=True, slots=True)
class LoadedBot:
    program: Program
    source: str  # the file or folder it came from, or "database"
    # the file or folder an import is written to; None: the store keeps it
    path: Path | None = None


class BotRegistry:
    """Bot id → compiled program. Replacing a bot is one dict assignment, so a
    turn always runs against one whole bot, old or new."""

    def __init__(self) -> None:
        self._bots: dict[str, LoadedBot] = {}

    @classmethod
    def load(cls, sources: Iterable[BotSource]) -> BotRegistry:
        """Load every bot; raises `BotLoadError` listing the problems of all of them."""
        registry = cls()
        problems = []
        for source in sources:
            try:
                bot = load_bot(source.path)
                program = load_program(bot, source.bot_id, source=str(source.path))
            except BotLoadError as error:
                problems.extend(error.problems)
                continue
            registry.put(source.bot_id, program, str(source.path), path=source.path)
        if any(problem.is_error for problem in problems):
            raise BotLoadError(problems)
        return registry

    async def load_stored(self, store: Store) -> list[str]:
        """Add the bots the store keeps under ids no file is loaded for; returns their ids.

        A stored bot that no longer loads (a newer flowbot refusing what an
        older one took) is logged with its problems and left out; the server
        starts without it, and importing it again replaces it.
        """
        added = []
        for stored in await store.list_bots():
            bot_id = stored.bot_id
            if bot_id in self:
                logger.info(
                    "bot %r: the stored import is ignored: the config names its file %s",
                    bot_id,
                    self._bots[bot_id].source,
                )
                continue
            source = f"{DATABASE}:{bot_id}"
            try:
                if not BOT_ID.fullmatch(bot_id):
                    raise ValueError(f"{bot_id!r} is not a bot id")
                program = load_program(load_bot_data(stored.bot, source), bot_id, source=source)
            except (BotLoadError, ValueError) as error:
                problems = getattr(error, "problems", [error])
                logger.error(
                    "bot %r, stored in the database, does not load and is not served:%s",
                    bot_id,
                    "".join(f"\n  {problem}" for problem in problems[:20]),
                )
                continue
            self.put(bot_id, program, DATABASE)
            added.append(bot_id)
        return added

    def get(self, bot_id: str) -> Program | None:
        loaded = self._bots.get(bot_id)
        return None if loaded is None else loaded.program

    def entry(self, bot_id: str) -> LoadedBot | None:
        return self._bots.get(bot_id)

    def put(self, bot_id: str, program: Program, source: str, *, path: Path | None = None) -> None:
        self._bots[bot_id] = LoadedBot(program, source, path)

    def ids(self) -> list[str]:
        return list(self._bots)

    def __contains__(self, bot_id: object) -> bool:
        return bot_id in self._bots

    def __len__(self) -> int:
        return len(self._bots)
