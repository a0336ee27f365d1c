"""Versions: ETag and If-Match on the bot routes, the versions, rollback, flow import, keys."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx

from flowbot.format import export_bot, load_bot

from .conftest import API, STUDIO_KEY


async def _bot(client: httpx.AsyncClient) -> tuple[dict[str, Any], str]:
    response = await client.get("/api/bots/pokemon", headers=API)
    assert response.status_code == 200
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 66
    return response.json(), etag


def _retitled(bot: dict[str, Any], text: str) -> dict[str, Any]:
    changed = copy.deepcopy(bot)
    changed["flows"][0]["nodes"][1]["data"]["message"]["text"] = text
    return changed


async def test_saves_are_versions_and_a_stale_save_changes_nothing(
    client: httpx.AsyncClient, bot_file: Path
) -> None:
    original, etag = await _bot(client)
    listed = (await client.get("/api/bots/pokemon/versions", headers=API)).json()
    assert [(v["number"], v["author"]) for v in listed["versions"]] == [(1, "start")]
    assert f'"{listed["current"]}"' == etag
    assert listed["versions"][0]["flows"] == 2 and listed["versions"][0]["nodes"] > 5

    saved = await client.put(
        "/api/bots/pokemon",
        json=_retitled(original, "Hello, trainer!"),
        headers={**API, "If-Match": etag, "X-Flowbot-Author": "alice"},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2
    new_etag = saved.headers["ETag"]
    assert new_etag != etag and (await _bot(client))[1] == new_etag

    # a second editor still at the first revision: refused, nothing written
    on_disk = bot_file.read_text()
    stale = await client.put(
        "/api/bots/pokemon",
        json=_retitled(original, "Overwritten!"),
        headers={**API, "If-Match": etag, "X-Flowbot-Author": "bob"},
    )
    assert stale.status_code == 412
    body = stale.json()
    assert body["code"] == "stale_revision"
    assert body["error"].startswith("the bot changed since you opened it (version 2 by alice at ")
    assert body["error"].endswith("): reload, or save as a copy")
    assert bot_file.read_text() == on_disk
    assert (await _bot(client))[1] == new_etag
    # without If-Match, a save works as it always did
    plain = await client.put("/api/bots/pokemon", json=_retitled(original, "Plain"), headers=API)
    assert plain.status_code == 200 and plain.json()["version"] == 3

    versions = (await client.get("/api/bots/pokemon/versions", headers=API)).json()["versions"]
    assert [(v["number"], v["author"]) for v in versions] == [
        (3, "api"),
        (2, "alice"),
        (1, "start"),
    ]
    # each version is the bot as exported: ready for a diff
    first = await client.get("/api/bots/pokemon/versions/1", headers=API)
    assert first.json() == original
    second = (await client.get("/api/bots/pokemon/versions/2", headers=API)).json()
    assert second == _retitled(original, "Hello, trainer!")
    download = await client.get("/api/bots/pokemon/versions/2?download=1", headers=API)
    assert download.headers["content-disposition"] == 'attachment; filename="pokemon-v2.json"'
    assert (await client.get("/api/bots/pokemon/versions/9", headers=API)).status_code == 404
    assert (await client.get("/api/bots/pokemon/versions/x", headers=API)).status_code == 404


async def test_rollback_writes_a_version_back_as_a_new_one(
    client: httpx.AsyncClient, bot_file: Path
) -> None:
    original, _ = await _bot(client)
    await client.put("/api/bots/pokemon", json=_retitled(original, "Changed"), headers=API)
    rolled = await client.post(
        "/api/bots/pokemon/versions/1/rollback", headers={**API, "X-Flowbot-Author": "carol"}
    )
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["version"] == 3
    assert (await _bot(client))[0] == original
    # written back to the file, as a PUT writes
    assert export_bot(load_bot(bot_file)) == original
    versions = (await client.get("/api/bots/pokemon/versions", headers=API)).json()
    assert versions["versions"][0]["author"] == "carol"
    assert versions["versions"][0]["revision"] == versions["versions"][2]["revision"]


async def test_flow_import_adds_with_new_ids_or_replaces(client: httpx.AsyncClient) -> None:
    original, etag = await _bot(client)
    fallback = copy.deepcopy(original["flows"][1])
    added = await client.post(
        "/api/bots/pokemon/flows/import",
        json={"data": fallback, "mode": "add"},
        headers={**API, "If-Match": etag},
    )
    assert added.status_code == 200, added.text
    assert added.json()["imported"] == [{"from": 2, "as": 3}]
    flows = (await _bot(client))[0]["flows"]
    assert [flow["id"] for flow in flows] == [1, 2, 3]
    assert flows[2] == {**fallback, "id": 3}

    changed = copy.deepcopy(original["flows"][1])
    changed["title"] = "Replaced fallback"
    replaced = await client.post(
        "/api/bots/pokemon/flows/import",
        json={"data": {"flows": [changed]}, "mode": "replace"},
        headers=API,
    )
    assert replaced.json()["imported"] == [{"from": 2, "as": 2}]
    flows = (await _bot(client))[0]["flows"]
    assert [(flow["id"], flow.get("title")) for flow in flows][1] == (2, "Replaced fallback")
    bad = await client.post(
        "/api/bots/pokemon/flows/import", json={"data": {"title": "x"}}, headers=API
    )
    assert bad.status_code == 422


async def test_the_studio_key_opens_the_studio_and_bots_only(client: httpx.AsyncClient) -> None:
    studio = {"X-API-Key": STUDIO_KEY}
    assert (await client.get("/api/studio/session", headers=studio)).json() == {
        "ok": True,
        "user": "studio",
    }
    assert (await client.get("/api/studio/session", headers=API)).json()["user"] == "api"
    wrong = await client.get("/api/studio/session", headers={"X-API-Key": "nope"})
    assert wrong.status_code == 403
    assert (await client.get("/api/bots/pokemon", headers=studio)).status_code == 200
    assert (await client.get("/api/bots/pokemon/versions", headers=studio)).status_code == 200
    listed = await client.get("/api/bots/pokemon/conversations", headers=studio)
    assert listed.status_code == 403
