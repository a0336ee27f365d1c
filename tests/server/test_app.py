"""Health, the widget files and the index page."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from flowbot.config import BotSource, Settings
from flowbot.format import BotLoadError
from flowbot.server import create_app
from flowbot.store import MemoryStore

from .support import AppFactory


async def test_health_is_ok_once_bots_and_database_answer(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "bots": ["pokemon"], "database": "ok"}


async def test_health_is_503_before_the_store_started(settings: Settings) -> None:
    app = create_app(settings)  # no lifespan run: the store is not started
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


class DeadDatabase(MemoryStore):
    async def ping(self) -> bool:
        raise ConnectionRefusedError("connection refused")


async def test_health_is_503_when_the_database_does_not_answer(serve_asgi: AppFactory) -> None:
    async with serve_asgi(store=DeadDatabase()) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "bots": ["pokemon"],
        "database": "unavailable",
    }


def test_a_bot_that_does_not_load_stops_the_app(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(
        '{"flows": [{"id": 1, "nodes": [{"id": 1, "type": "entry", "next": [{"nodeId": 5}]}]}]}'
    )
    with pytest.raises(BotLoadError) as caught:
        create_app(Settings(bots=[BotSource("broken", broken)], database="memory://"))
    assert any("nodeId" in str(problem) for problem in caught.value.problems)


async def test_chat_page_and_widget_script(client: httpx.AsyncClient) -> None:
    page = await client.get("/chat/pokemon")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text.lower()
    with_params = await client.get("/chat/pokemon?campaign=spring&restart=1")
    assert with_params.status_code == 200
    assert (await client.get("/chat/digimon")).status_code == 404
    script = await client.get("/widget.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert len(script.text) > 100
    assert (await client.get("/static/no-such-file.css")).status_code == 404


async def test_static_files_are_served_from_the_static_folder(
    serve_asgi: AppFactory, tmp_path: Path
) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "chat.html").write_text("<!doctype html><html>chat</html>")
    (static / "widget.js").write_text("console.log('widget')")
    (static / "widget.css").write_text(".fb{}")
    async with serve_asgi(static_dir=static) as client:
        assert (await client.get("/chat/pokemon")).text == "<!doctype html><html>chat</html>"
        assert (await client.get("/widget.js")).text == "console.log('widget')"
        css = await client.get("/static/widget.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert (await client.get("/static/../chat.html")).status_code == 404


async def test_missing_widget_files_are_404_not_500(serve_asgi: AppFactory, tmp_path: Path) -> None:
    async with serve_asgi(static_dir=tmp_path / "empty") as client:
        assert (await client.get("/chat/pokemon")).status_code == 404
        assert (await client.get("/widget.js")).status_code == 404
        assert (await client.get("/static/widget.css")).status_code == 404


async def test_index_links_the_chats(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert 'href="/chat/pokemon"' in response.text
