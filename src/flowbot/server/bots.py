"""The bots a server runs, compiled once at load and swapped whole on import."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flowbot.config import BotSource
from flowbot.engine import Program, load_program
from flowbot.format import BotLoadError, load_bot

__all__ = ["BotRegistry", "LoadedBot"]


@dataclass(frozen=True, slots=True)
class LoadedBot:
    program: Program
    source: str  # the file or folder it came from, or "api" after an import


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
            registry.put(source.bot_id, program, str(source.path))
        if any(problem.is_error for problem in problems):
            raise BotLoadError(problems)
        return registry

    def get(self, bot_id: str) -> Program | None:
        loaded = self._bots.get(bot_id)
        return None if loaded is None else loaded.program

    def entry(self, bot_id: str) -> LoadedBot | None:
        return self._bots.get(bot_id)

    def put(self, bot_id: str, program: Program, source: str) -> None:
        self._bots[bot_id] = LoadedBot(program, source)

    def ids(self) -> list[str]:
        return list(self._bots)

    def __contains__(self, bot_id: object) -> bool:
        return bot_id in self._bots

    def __len__(self) -> int:
        return len(self._bots)
