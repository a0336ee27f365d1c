"""A bot's own media folder, served read-only at /media/{botId}/{path}."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.types import Message

from flowbot.config import BotSource, Settings
from flowbot.server import create_app
from flowbot.server.media import MEDIA_CACHE_CONTROL, media_folder

from .support import POKEMON, REPO, AppFactory

FLOW_NAVIGATION = REPO / "examples" / "flow-navigation"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle r="5"/></svg>'


def settings_for(tmp_path: Path, *bots: BotSource) -> Settings:
    return Settings(bots=list(bots), database=f"sqlite:///{tmp_path / 'flowbot.db'}")


@pytest.fixture
def shop(tmp_path: Path) -> BotSource:
    """A bot file `bots/shop.yaml` with `bots/shop.media/`, and a secret next to it."""
    bots = tmp_path / "bots"
    media = bots / "shop.media"
    (media / "cards").mkdir(parents=True)
    shutil.copy(POKEMON, bots / "shop.yaml")
    (media / "logo.svg").write_bytes(SVG)
    (media / "cards" / "one.svg").write_bytes(SVG)
    (media / ".env").write_text("SECRET=1")
    (bots / "secret.txt").write_text("not media")
    return BotSource("shop", bots / "shop.yaml")


# --- where the folder is ------------------------------------------------------------


def test_a_bot_file_keeps_its_media_next_to_it(tmp_path: Path) -> None:
    assert media_folder(tmp_path / "pokemon.yaml") == tmp_path / "pokemon.media"
    assert media_folder(tmp_path / "coffee.bot.json") == tmp_path / "coffee.media"
    assert media_folder(tmp_path / "greeting.json") == tmp_path / "greeting.media"


def test_a_bot_folder_keeps_its_media_inside() -> None:
    assert media_folder(FLOW_NAVIGATION) == FLOW_NAVIGATION / "media"


def test_the_pokemon_example_ships_every_card_image() -> None:
    bot = yaml.safe_load(POKEMON.read_text(encoding="utf-8"))
    uris = [
        card["media"]["uri"]
        for flow in bot["flows"]
        for node in flow["nodes"]
        for card in node["data"].get("message", {}).get("cards", [])
    ]
    assert len(uris) == 3
    folder = media_folder(POKEMON)
    for uri in uris:
        assert uri.startswith("/media/pokemon/"), uri
        image = folder / uri.removeprefix("/media/pokemon/")
        assert image.is_file(), image
        assert image.read_text(encoding="utf-8").startswith("<svg "), image


# --- serving --------------------------------------------------------------------------


async def test_the_example_images_are_served(serve_asgi: AppFactory) -> None:
    async with serve_asgi() as client:
        response = await client.get("/media/pokemon/charmander.svg")
        assert response.status_code == 200
        assert response.content == (media_folder(POKEMON) / "charmander.svg").read_bytes()
        assert response.headers["content-type"] == "image/svg+xml"
        assert response.headers["cache-control"] == MEDIA_CACHE_CONTROL
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in response.headers["content-security-policy"]

        again = await client.get(
            "/media/pokemon/charmander.svg", headers={"If-None-Match": response.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.headers["cache-control"] == MEDIA_CACHE_CONTROL

        head = await client.head("/media/pokemon/charmander.svg")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(response.content))

        assert (await client.post("/media/pokemon/charmander.svg")).status_code == 405
        assert (await client.get("/media/pokemon/mew.svg")).status_code == 404
        assert (await client.get("/media/nobody/charmander.svg")).status_code == 404


async def test_a_bot_without_a_media_folder_has_none(
    serve_asgi: AppFactory, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, BotSource("flow-navigation", FLOW_NAVIGATION))
    async with serve_asgi(settings) as client:
        assert (await client.get("/media/flow-navigation/anything.png")).status_code == 404
        assert (await client.get("/healthz")).status_code == 200


async def test_a_bot_folder_serves_its_media_subfolder(
    serve_asgi: AppFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "navigation"
    shutil.copytree(FLOW_NAVIGATION, folder)
    (folder / "media").mkdir()
    (folder / "media" / "map.svg").write_bytes(SVG)
    # a JSON file in media/ is media, not a flow of the bot
    (folder / "media" / "data.json").write_text('{"not": "a flow"}')
    settings = settings_for(tmp_path, BotSource("navigation", folder))
    async with serve_asgi(settings) as client:
        response = await client.get("/media/navigation/map.svg")
        assert response.status_code == 200 and response.content == SVG
        assert (await client.get("/media/navigation/data.json")).status_code == 200
        assert (await client.get("/media/navigation/bot.yaml")).status_code == 404
        opened = await client.post(
            "/channels/web/navigation/messages", json={"userKey": "u1", "event": "open"}
        )
        assert opened.status_code == 200, opened.text


async def test_only_regular_visible_files_inside_the_folder(
    serve_asgi: AppFactory, tmp_path: Path, shop: BotSource
) -> None:
    media = media_folder(shop.path)
    (media / "inside.svg").symlink_to(media / "logo.svg")
    (media / "outside.txt").symlink_to(shop.path.parent / "secret.txt")
    (media / "up").symlink_to(shop.path.parent, target_is_directory=True)
    async with serve_asgi(settings_for(tmp_path, shop)) as client:
        assert (await client.get("/media/shop/logo.svg")).content == SVG
        assert (await client.get("/media/shop/cards/one.svg")).content == SVG
        assert (await client.get("/media/shop/inside.svg")).content == SVG
        for path in [
            "/media/shop/",  # no listing
            "/media/shop/cards",
            "/media/shop/cards/",
            "/media/shop/.env",  # hidden
            "/media/shop/cards/../.env",
            "/media/shop/outside.txt",  # a symlink out of the folder
            "/media/shop/up/secret.txt",
            "/media/shop/up/shop.yaml",
        ]:
            response = await client.get(path, follow_redirects=True)
            assert response.status_code == 404, (path, response.status_code)


@pytest.mark.parametrize(
    "raw_path",
    [
        b"/media/shop/../secret.txt",
        b"/media/shop/%2e%2e/secret.txt",
        b"/media/shop/..%2fsecret.txt",
        b"/media/shop/%2E%2E%2Fshop.yaml",
        b"/media/shop/cards/../../secret.txt",
        b"/media/shop//etc/passwd",
        b"/media/shop/..\\secret.txt",
        b"/media/shop/%00logo.svg",
    ],
)
async def test_no_way_out_of_the_folder(tmp_path: Path, shop: BotSource, raw_path: bytes) -> None:
    """Raw request paths, as a client that does not normalise them sends them."""
    from urllib.parse import unquote

    app = create_app(settings_for(tmp_path, shop))
    assert await asgi_get(app, b"/media/shop/logo.svg", "/media/shop/logo.svg") == (200, SVG)
    status, body = await asgi_get(app, raw_path, unquote(raw_path.decode()))
    assert status == 404, (raw_path, status)
    assert b"not media" not in body and b"Starter" not in body


async def asgi_get(app: Any, raw_path: bytes, path: str) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": raw_path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"flowbot.test")],
        "client": ("127.0.0.1", 1234),
        "server": ("flowbot.test", 80),
    }
    sent: list[Message] = []
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if requested:  # the client stays until the answer is complete
            await asyncio.Event().wait()
        requested = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body
