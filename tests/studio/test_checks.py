"""Checking drafts: a bot's problems with channel warnings, a template's syntax error."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from .conftest import API


async def _pokemon(client: httpx.AsyncClient) -> dict[str, Any]:
    bot: dict[str, Any] = (await client.get("/api/bots/pokemon", headers=API)).json()
    return bot


def _cards(bot: dict[str, Any]) -> dict[str, Any]:
    nodes = bot["flows"][0]["nodes"]
    node: dict[str, Any] = next(n for n in nodes if n["type"] == "response" and n["id"] == 3)
    return node


async def test_a_draft_gets_the_channels_warnings(client: httpx.AsyncClient) -> None:
    draft = copy.deepcopy(await _pokemon(client))
    _cards(draft)["data"]["message"]["cards"][0]["buttons"][0]["label"] = "x" * 30
    url = "/api/bots/pokemon/validate"
    # by default: the web channel and the bot's configured messengers (none here)
    default = (await client.post(url, json=draft, headers=API)).json()["problems"]
    assert {p["channel"] for p in default} == {None}
    label = next(p for p in default if p["path"].endswith("buttons[0].label"))
    assert (label["severity"], label["flowId"], label["nodeId"]) == ("warning", 1, 3)
    assert {p["severity"] for p in default} == {"warning", "note"}

    every = (await client.post(f"{url}?channels=all", json=draft, headers=API)).json()
    kakao = [p for p in every["problems"] if p["channel"] == "kakao"]
    assert {
        "severity": "warning",
        "flowId": 1,
        "nodeId": 3,
        "path": "data.message.cards[0].buttons[0].label",
        "message": "cut from 30 to 14 characters",
        "channel": "kakao",
    } in kakao
    line = await client.post(f"{url}?channels=line", json=draft, headers=API)
    assert {p["channel"] for p in line.json()["problems"]} == {None, "line"}
    unknown = await client.post(f"{url}?channels=myspace", json=draft, headers=API)
    assert unknown.status_code == 422
    # the running bot is not changed by a check
    assert _cards(await _pokemon(client))["data"]["message"]["cards"][0]["buttons"][0]["label"] == (
        "I choose you!"
    )


async def test_a_broken_draft_is_its_errors(client: httpx.AsyncClient) -> None:
    draft = copy.deepcopy(await _pokemon(client))
    draft["flows"][0]["nodes"][0]["next"] = [{"nodeId": 99}]
    answer = await client.post("/api/bots/pokemon/validate", json=draft, headers=API)
    assert answer.status_code == 200
    errors = [p for p in answer.json()["problems"] if p["severity"] == "error"]
    assert errors == [
        {
            "severity": "error",
            "flowId": 1,
            "nodeId": 1,
            "path": "next[0].nodeId",
            "message": "no node 99 in this flow",
            "channel": None,
        }
    ]
    not_json = await client.post("/api/bots/pokemon/validate", content=b"{", headers=API)
    assert not_json.status_code == 400


async def test_a_template_error_has_its_line_and_column(client: httpx.AsyncClient) -> None:
    url = "/api/templates/check"
    broken = await client.post(url, json={"template": "ok\n {{#if a}}x"}, headers=API)
    assert broken.json() == {
        "ok": False,
        "message": "expected {{/if}} to close the block, got end of template",
        "line": 2,
        "column": 12,
    }
    fine = await client.post(url, json={"template": "Hi {{params.name}}"}, headers=API)
    assert fine.json() == {"ok": True}
    assert (await client.post(url, json={"template": 1}, headers=API)).status_code == 422
