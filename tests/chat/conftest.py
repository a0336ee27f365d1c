"""Fixtures of the chat tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .support import BUTTONS_BOT, JsonlChatProcess


@pytest.fixture
def buttons_bot(tmp_path: Path) -> Path:
    path = tmp_path / "buttons.yaml"
    path.write_text(BUTTONS_BOT, encoding="utf-8")
    return path


@pytest.fixture
def jsonl_chat() -> Iterator[Callable[[Path], JsonlChatProcess]]:
    started: list[JsonlChatProcess] = []

    def start(bot: Path) -> JsonlChatProcess:
        started.append(JsonlChatProcess(bot))
        return started[-1]

    yield start
    for chat in started:
        if chat.process.poll() is None:
            chat.process.kill()
            chat.process.wait()
