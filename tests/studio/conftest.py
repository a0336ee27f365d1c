"""The studio's tests: the real app on a real SQLite file, served by a real uvicorn."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from flowbot.config import BotSource, Settings
from flowbot.server import create_app
from server.support import API_KEY, POKEMON, uvicorn_server

API = {"Authorization": f"Bearer {API_KEY}"}
STUDIO_KEY = "test-studio-key"


@pytest.fixture
def bot_file(tmp_path: Path) -> Path:
    """A copy of the Pokémon bot: saves write to the file the bot is loaded from."""
    copied = tmp_path / "pokemon.yaml"
    shutil.copy(POKEMON, copied)
    return copied


@pytest.fixture
def settings(tmp_path: Path, bot_file: Path) -> Settings:
    return Settings(
        bots=[BotSource("pokemon", bot_file)],
        database=f"sqlite:///{tmp_path / 'flowbot.db'}",
        api_key=API_KEY,
        studio_key=STUDIO_KEY,
    )


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "static"
    folder.mkdir()
    return folder


@pytest.fixture
async def client(settings: Settings, static_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, static_dir=static_dir)
    async with uvicorn_server(app) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        yield client
