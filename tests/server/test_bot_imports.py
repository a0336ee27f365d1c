"""`PUT /api/bots/{id}` keeps the bot: in its file or folder, or in the database.

Each restart test imports through the API of a served app (uvicorn), stops
it, builds a new app from the same settings and database, and checks that
the imported version is the one served.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import shutil
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowbot.config import BotSource, Settings
from flowbot.format import export_bot, load_bot, read_bot
from flowbot.format.load import read_document
from flowbot.format.write import json_text, ordered_like, yaml_text
from flowbot.server import create_app
from flowbot.store import MemoryStore, SQLStore

from .support import (
    API_KEY,
    POKEMON,
    REPO,
    WELCOME,
    AppFactory,
    Conversation,
    texts,
    uvicorn_server,
)

API = {"Authorization": f"Bearer {API_KEY}"}
FOLDER = REPO / "examples" / "flow-navigation"
MENU = "This is the menu. Where would you like to go?"


@contextlib.asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A new app from `settings` on a real uvicorn: startup and shutdown as `flowbot serve`."""
    app = create_app(settings)
    async with uvicorn_server(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        yield client


def settings_for(tmp_path: Path, *bots: BotSource) -> Settings:
    return Settings(
        bots=list(bots), database=f"sqlite:///{tmp_path / 'flowbot.db'}", api_key=API_KEY
    )


def echo_flow(text: str = "You said: {{message.text}}") -> dict[str, Any]:
    return {
        "id": 1,
        "title": "Echo",
        "data": {"entry": 1},
        "nodes": [
            {"id": 1, "type": "entry", "data": {}, "next": [{"nodeId": 2}]},
            {
                "id": 2,
                "type": "response",
                "data": {"message": {"type": "text", "text": text}},
                "next": [],
            },
        ],
    }


async def first_texts(client: httpx.AsyncClient, bot_id: str, user: str) -> list[str]:
    return texts(await Conversation(client, user, bot_id=bot_id).send())


# --- the four kinds of source, across a restart -------------------------------------------


def json_bot(tmp_path: Path) -> BotSource:
    path = tmp_path / "pokemon.json"
    path.write_text(json.dumps(export_bot(load_bot(POKEMON)), ensure_ascii=False), "utf-8")
    return BotSource("pokemon", path)


def yaml_bot(tmp_path: Path) -> BotSource:
    path = tmp_path / "pokemon.yaml"
    shutil.copy(POKEMON, path)
    return BotSource("pokemon", path)


@pytest.mark.parametrize("make", [json_bot, yaml_bot], ids=["json", "yaml"])
async def test_a_file_bot_import_is_served_after_a_restart(
    tmp_path: Path, make: Callable[[Path], BotSource]
) -> None:
    source = make(tmp_path)
    settings = settings_for(tmp_path, source)
    original = read_document(source.path)
    async with served(settings) as client:
        changed = (await client.get("/api/bots/pokemon", headers=API)).json()
        changed["flows"][0]["nodes"][1]["data"]["message"]["text"] = "Hello, trainer! 안녕"
        answer = await client.put("/api/bots/pokemon", json=changed, headers=API)
        assert answer.status_code == 200, answer.text
        kept = answer.json()
        # the saved version (the studio's versions) and its content revision
        assert (kept.pop("version"), len(kept.pop("revision"))) == (2, 64)
        assert kept == {
            "id": "pokemon",
            "title": "Starter Pokémon",
            "flows": 2,
            "kept": "file",
            "source": str(source.path),
        }
        assert await first_texts(client, "pokemon", "before") == ["Hello, trainer! 안녕", "<cards>"]

    # the file holds it, in its own format and its own key order
    text = source.path.read_text(encoding="utf-8")
    ordered = ordered_like(changed, original)
    # (json_bot's file has no last newline, and keeps none)
    expected = yaml_text(ordered) if source.path.suffix == ".yaml" else json_text(ordered)[:-1]
    assert text == expected
    assert export_bot(load_bot(source.path)) == changed

    async with served(settings) as client:
        assert (await client.get("/api/bots/pokemon", headers=API)).json() == changed
        assert await first_texts(client, "pokemon", "after") == ["Hello, trainer! 안녕", "<cards>"]
        listed = (await client.get("/api/bots", headers=API)).json()["bots"]
        assert [(bot["id"], bot["source"]) for bot in listed] == [("pokemon", str(source.path))]


async def test_a_folder_bot_import_is_served_after_a_restart(tmp_path: Path) -> None:
    folder = tmp_path / "flow-navigation"
    shutil.copytree(FOLDER, folder)
    settings = settings_for(tmp_path, BotSource("navigation", folder))
    async with served(settings) as client:
        changed = (await client.get("/api/bots/navigation", headers=API)).json()
        changed["flows"][0]["nodes"][1]["data"]["message"]["text"] = "Menu, kept in a folder"
        changed["flows"][1]["title"] = "Animals (kept)"
        new_flow = {**echo_flow("A new flow"), "id": 5, "title": "Shop"}
        changed["flows"].append(new_flow)
        answer = await client.put("/api/bots/navigation", json=changed, headers=API)
        assert answer.status_code == 200, answer.text
        assert answer.json()["kept"] == "folder"
        assert answer.json()["source"] == str(folder)
        assert answer.json()["flows"] == 5

    assert sorted(path.name for path in folder.iterdir()) == [
        "1-menu.yaml",
        "2-animals.json",
        "3-plant-quiz.yaml",
        "4-fallback.yaml",
        "5-shop.yaml",
        "bot.yaml",
    ]
    assert json.loads((folder / "2-animals.json").read_text("utf-8"))["title"] == "Animals (kept)"
    assert export_bot(load_bot(folder)) == changed

    async with served(settings) as client:
        assert (await client.get("/api/bots/navigation", headers=API)).json() == changed
        assert await first_texts(client, "navigation", "after") == ["Menu, kept in a folder"]


async def test_a_bot_with_no_file_is_kept_in_the_database(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, yaml_bot(tmp_path))
    async with served(settings) as client:
        answer = await client.put("/api/bots/echo", json=echo_flow(), headers=API)
        assert answer.status_code == 201, answer.text
        kept = answer.json()
        assert (kept.pop("version"), len(kept.pop("revision"))) == (1, 64)
        assert kept == {
            "id": "echo",
            "title": "Echo",
            "flows": 1,
            "kept": "database",
            "source": "database",
        }
        # imported again, it is still the database's (it has no file)
        again = await client.put("/api/bots/echo", json=echo_flow("Echo: {{message.text}}"))
        assert again.status_code == 403
        again = await client.put(
            "/api/bots/echo", json=echo_flow("Echo: {{message.text}}"), headers=API
        )
        assert again.status_code == 200, again.text
        assert again.json()["kept"] == "database"
    assert [path.name for path in tmp_path.iterdir() if "echo" in path.name] == []

    async with served(settings) as client:
        listed = (await client.get("/api/bots", headers=API)).json()["bots"]
        assert [(bot["id"], bot["source"]) for bot in listed] == [
            ("pokemon", str(tmp_path / "pokemon.yaml")),
            ("echo", "database"),
        ]
        exported = (await client.get("/api/bots/echo", headers=API)).json()
        assert exported["flows"] == [echo_flow("Echo: {{message.text}}")]
        user = Conversation(client, "echoer", bot_id="echo")
        await user.send()
        assert texts(await user.send(text="hi")) == ["Echo: hi"]
        assert await first_texts(client, "pokemon", "still") == [WELCOME, "<cards>"]


# --- exactly what is written -----------------------------------------------------------


async def test_an_unchanged_export_writes_the_file_that_loads_the_same_bot(
    serve_asgi: AppFactory, tmp_path: Path
) -> None:
    source = yaml_bot(tmp_path)
    original = export_bot(load_bot(POKEMON))
    in_file = read_document(POKEMON)
    async with serve_asgi(settings_for(tmp_path, source)) as client:
        exported = (await client.get("/api/bots/pokemon", headers=API)).json()
        assert (await client.put("/api/bots/pokemon", json=exported, headers=API)).is_success
        first = source.path.read_bytes()
        assert (await client.put("/api/bots/pokemon", json=exported, headers=API)).is_success
        assert source.path.read_bytes() == first
    # the export, in the order of the file's keys
    assert first.decode("utf-8") == yaml_text(ordered_like(original, in_file))
    assert export_bot(load_bot(source.path)) == original


async def test_a_flow_file_stays_a_flow_file(serve_asgi: AppFactory, tmp_path: Path) -> None:
    path = tmp_path / "echo.flow.json"
    path.write_text(json.dumps(echo_flow()), "utf-8")
    async with serve_asgi(settings_for(tmp_path, BotSource("echo", path))) as client:
        exported = (await client.get("/api/bots/echo", headers=API)).json()
        exported["flows"][0]["nodes"][1]["data"]["message"]["text"] = "Echo!"
        answer = await client.put("/api/bots/echo", json=exported, headers=API)
        assert answer.status_code == 200, answer.text
    assert json.loads(path.read_text("utf-8")) == echo_flow("Echo!")
    assert read_bot(path).lone_flow


# --- what is refused -----------------------------------------------------------------


async def test_a_read_only_file_is_409_and_the_running_bot_is_unchanged(
    serve_asgi: AppFactory, tmp_path: Path
) -> None:
    source = yaml_bot(tmp_path)
    source.path.chmod(0o444)
    async with serve_asgi(settings_for(tmp_path, source)) as client:
        changed = copy.deepcopy(export_bot(load_bot(POKEMON)))
        changed["flows"][0]["nodes"][1]["data"]["message"]["text"] = "Never kept"
        answer = await client.put("/api/bots/pokemon", json=changed, headers=API)
        assert answer.status_code == 409, answer.text
        body = answer.json()
        assert body["code"] == "source_not_writable"
        assert "read-only" in body["error"] and str(source.path) in body["error"]
        assert "the running bot is unchanged" in body["error"]
        assert await first_texts(client, "pokemon", "u") == [WELCOME, "<cards>"]
        exported = (await client.get("/api/bots/pokemon", headers=API)).json()
        assert exported == export_bot(load_bot(POKEMON))
    assert source.path.read_bytes() == POKEMON.read_bytes()


async def test_a_folder_that_cannot_read_back_the_bot_is_422(
    serve_asgi: AppFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "flow-navigation"
    shutil.copytree(FOLDER, folder)
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    lone = echo_flow()
    lone["nodes"][1] = {"id": 2, "type": "flow", "data": {"flowId": 9}}  # a warning, alone
    async with serve_asgi(settings_for(tmp_path, BotSource("navigation", folder))) as client:
        answer = await client.put("/api/bots/navigation", json=lone, headers=API)
        assert answer.status_code == 422, answer.text
        assert "read it back" in answer.json()["error"]
        assert any("1-menu.yaml" in line for line in answer.json()["problems"])
        assert await first_texts(client, "navigation", "u") == [MENU]
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before


class NoDatabase(MemoryStore):
    async def put_bot(self, bot_id: str, bot: Mapping[str, Any]) -> None:
        raise ConnectionRefusedError("connection refused")


async def test_a_database_that_does_not_keep_the_bot_is_503(
    serve_asgi: AppFactory, tmp_path: Path
) -> None:
    async with serve_asgi(settings_for(tmp_path, yaml_bot(tmp_path)), store=NoDatabase()) as client:
        answer = await client.put("/api/bots/echo", json=echo_flow(), headers=API)
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "database_unavailable"
        assert "the running bot is unchanged" in answer.json()["error"]
        assert (await client.get("/api/bots/echo", headers=API)).status_code == 404


async def test_concurrent_imports_keep_the_bot_that_runs(
    serve_asgi: AppFactory, tmp_path: Path
) -> None:
    store = MemoryStore()
    async with serve_asgi(settings_for(tmp_path, yaml_bot(tmp_path)), store=store) as client:
        answers = await asyncio.gather(
            *(
                client.put("/api/bots/echo", json=echo_flow(f"Echo {n}"), headers=API)
                for n in range(8)
            )
        )
        assert sorted(answer.status_code for answer in answers) == [200] * 7 + [201]
        running = (await client.get("/api/bots/echo", headers=API)).json()
    stored = await store.get_bot("echo")
    assert stored is not None
    assert [stored.bot] == running["flows"]


# --- start-up ---------------------------------------------------------------------------


async def test_the_config_file_wins_over_a_stored_copy(
    serve_asgi: AppFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(tmp_path, yaml_bot(tmp_path))
    store = SQLStore(settings.database)
    await store.start()
    await store.put_bot("pokemon", echo_flow("A stored copy"))
    await store.put_bot("echo", echo_flow())
    # what an older flowbot may have taken: a stored bot that no longer loads is left out
    entry = {"id": 1, "type": "entry", "next": [{"nodeId": 5}]}
    await store.put_bot("broken", {"flows": [{"id": 1, "nodes": [entry]}]})
    await store.close()

    with caplog.at_level(logging.INFO, logger="flowbot.server"):
        async with serve_asgi(settings) as client:
            listed = (await client.get("/api/bots", headers=API)).json()["bots"]
            assert await first_texts(client, "pokemon", "u") == [WELCOME, "<cards>"]
    assert [(bot["id"], bot["source"]) for bot in listed] == [
        ("pokemon", str(tmp_path / "pokemon.yaml")),
        ("echo", "database"),
    ]
    messages = [record.getMessage() for record in caplog.records]
    assert any("'pokemon': the stored import is ignored" in m for m in messages)
    assert any("'broken', stored in the database, does not load" in m for m in messages)
