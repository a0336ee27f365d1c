"""The preview: the real engine in memory, the inspector's nodes and edges, test files."""

from __future__ import annotations

import asyncio
import copy
import io
import shutil
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from flowbot.testing.runner import run_conversation_tests
from server.support import NOT_PICKED, POKEMON, WELCOME, choose

from .conftest import API

URL = "/api/bots/pokemon/preview"


async def _turn(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post(URL, json=body, headers=API)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_card_click_shows_the_edge_and_its_condition(client: httpx.AsyncClient) -> None:
    opened = await _turn(client, message={})
    assert [r["type"] for r in opened["replies"]] == ["text", "cards"]
    assert opened["replies"][0]["text"] == WELCOME
    session = opened["session"]

    clicked = await _turn(client, session=session, message=choose("Charmander"))
    assert clicked["replies"][0]["text"] == "Charmander! An excellent choice."
    turn = clicked["turn"]
    assert turn["error"] is None and turn["ms"] >= 0
    nodes = [(n["flowId"], n["nodeId"], n["type"], n["phase"]) for n in turn["nodes"]]
    assert nodes == [
        (1, 4, "keyboard", "input"),
        (1, 5, "parameter", "run"),
        (1, 6, "response", "run"),
    ]
    assert turn["nodes"][1]["params"] == {"partner": "Charmander"}
    assert turn["nodes"][2]["data"]["text"] == "Charmander! An excellent choice."
    picked, other = turn["edges"][:2]
    assert picked == {
        "flowId": 1,
        "from": 4,
        "to": 5,
        "index": 0,
        "chosen": True,
        "result": True,
        "conditions": [
            {
                "left": "message.payload.pokemon",
                "operator": "exists",
                "right": True,
                "leftValue": "Charmander",
                "rightValue": True,
                "result": True,
            }
        ],
        "why": "higher priority (1 > 0)",
    }
    assert (other["to"], other["chosen"], other["result"]) == (7, False, True)
    assert other["why"] == "held, but next[0] ranks first"
    assert turn["contextBefore"]["message"]["payload"] == {"pokemon": "Charmander"}
    assert "partner" not in turn["contextBefore"]["params"]
    assert turn["contextAfter"]["params"]["partner"] == "Charmander"

    # restart from the bot's first message: the session kept at that point
    again = await _turn(client, session=session, message={"text": "hm"})
    assert again["replies"][0]["text"] == NOT_PICKED
    edge = next(e for e in again["turn"]["edges"] if e["to"] == 5)
    assert edge["conditions"][0]["leftValue"] is None
    assert (edge["chosen"], edge["result"], edge["why"]) == (False, False, "conditions not met")


async def test_a_draft_runs_without_being_saved(client: httpx.AsyncClient) -> None:
    bot = (await client.get("/api/bots/pokemon", headers=API)).json()
    draft = copy.deepcopy(bot)
    draft["flows"][0]["nodes"][1]["data"]["message"]["text"] = "Draft hello"
    answer = await _turn(client, bot=draft, message={})
    assert answer["replies"][0]["text"] == "Draft hello"
    assert (await client.get("/api/bots/pokemon", headers=API)).json() == bot
    jumped = await _turn(client, bot=draft, message={"goto": {"flowId": 1, "nodeId": 7}})
    assert jumped["replies"][0]["text"] == NOT_PICKED
    # nothing was stored: no conversation
    listed = await client.get("/api/bots/pokemon/conversations", headers=API)
    assert listed.json()["conversations"] == []
    broken = copy.deepcopy(draft)
    broken["flows"][0]["nodes"][0]["next"] = [{"nodeId": 99}]
    refused = await client.post(URL, json={"bot": broken, "message": {}}, headers=API)
    assert refused.status_code == 422
    assert any("no node 99" in line for line in refused.json()["problems"])
    bad_session = await client.post(URL, json={"session": {"v": 7}, "message": {}}, headers=API)
    assert bad_session.status_code == 422


async def test_a_preview_conversation_becomes_a_passing_test_file(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    body = {
        "name": "picks Charmander",
        "turns": [
            {"send": {}},
            {"send": {"text": "hm"}},
            {"send": choose("Charmander")},
        ],
    }
    response = await client.post(f"{URL}/test", json=body, headers=API)
    assert response.status_code == 200, response.text
    text = response.json()["yaml"]
    assert "bot: pokemon.yaml" in text and "Charmander! An excellent choice." in text
    shutil.copy(POKEMON, tmp_path / "pokemon.yaml")
    if (POKEMON.parent / "pokemon.media").is_dir():
        shutil.copytree(POKEMON.parent / "pokemon.media", tmp_path / "pokemon.media")
    test_file = tmp_path / "picks.test.yaml"
    test_file.write_text(text, encoding="utf-8")
    output = io.StringIO()
    # (flowbot test runs its own event loop)
    passed = await asyncio.to_thread(
        run_conversation_tests, [test_file], console=Console(file=output)
    )
    assert passed == 0, output.getvalue()
    assert "1 passed" in output.getvalue()
    # an expectation the client gives is written as given: here a wrong one, which fails
    body["turns"][0]["expect"] = {"replies": ["Not the welcome"]}  # type: ignore[index]
    wrong = (await client.post(f"{URL}/test", json=body, headers=API)).json()["yaml"]
    test_file.write_text(wrong, encoding="utf-8")
    failed = await asyncio.to_thread(
        run_conversation_tests, [test_file], console=Console(file=io.StringIO())
    )
    assert failed == 1
    goto = {"name": "jumps", "turns": [{"send": {"goto": {"flowId": 1}}}]}
    assert (await client.post(f"{URL}/test", json=goto, headers=API)).status_code == 422
