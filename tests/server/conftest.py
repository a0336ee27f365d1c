"""Fixtures: the real app on a real SQLite file in the test's tmp folder."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowbot.config import BotSource, Settings
from flowbot.server import create_app

from .support import API_KEY, POKEMON, AppFactory


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        bots=[BotSource("pokemon", POKEMON)],
        database=f"sqlite:///{tmp_path / 'flowbot.db'}",
        api_key=API_KEY,
    )


@pytest.fixture
def serve_asgi(settings: Settings) -> AppFactory:
    """`async with serve_asgi(**create_app_kwargs) as client`: the app with its lifespan."""

    @contextlib.asynccontextmanager
    async def serve(
        app_settings: Settings | None = None, **kwargs: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(app_settings or settings, **kwargs)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                base_url="http://flowbot.test",
            ) as client,
        ):
            client.app = app  # type: ignore[attr-defined]
            yield client

    return serve


@pytest.fixture
async def client(serve_asgi: AppFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_asgi() as client:
        yield client
