"""Agent handoff over HTTP: a manual node, the agents' routes, the widget's stream, events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowbot.config import BotSource, Settings
from flowbot.server import create_app

from .support import API_KEY, HELP_DESK_BOT, Conversation, texts, uvicorn_server

API = {"Authorization": f"Bearer {API_KEY}"}
AGENT_KEY = "agent-key"


@pytest.fixture
def desk(tmp_path: Path) -> Settings:
    bot = tmp_path / "desk.yaml"
    bot.write_text(HELP_DESK_BOT, encoding="utf-8")
    return Settings(
        bots=[BotSource("desk", bot)],
        database=f"sqlite:///{tmp_path / 'flowbot.db'}",
        api_key=API_KEY,
        agent_key=AGENT_KEY,
    )


async def events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    async for line in response.aiter_lines():
        if line.startswith("data:"):
            yield json.loads(line[5:])


async def test_a_handoff_from_the_widget_to_an_agent_and_back(desk: Settings) -> None:
    app = create_app(desk, ping_interval=0.5)
    async with uvicorn_server(app) as base, httpx.AsyncClient(base_url=base) as client:
        agent_headers = {"X-API-Key": AGENT_KEY}
        async with client.stream(
            "GET", "/api/handoffs/events", params={"key": AGENT_KEY}
        ) as console:
            assert console.status_code == 200
            seen = events(console)
            user = Conversation(client, "visitor", bot_id="desk")
            await user.send()
            assert texts(await user.send(text="agent")) == [
                "Calling an agent… (type 취소 to cancel)"
            ]
            requested = await asyncio.wait_for(anext(seen), 5)
            assert requested["type"] == "requested"
            assert requested["conversationId"] == user.conversation_id

            # while waiting, the bot says nothing; the agents see the message
            held = await user.send(text="hello? anyone?")
            assert held["replies"] == []
            message = await asyncio.wait_for(anext(seen), 5)
            assert (message["type"], message["message"]["text"]) == ("message", "hello? anyone?")

            waiting = (await client.get("/api/handoffs", headers=agent_headers)).json()
            assert [c["id"] for c in waiting["handoffs"]] == [user.conversation_id]
            assert waiting["handoffs"][0]["handoff"]["status"] == "waiting"

            cid = user.conversation_id
            url = f"/api/conversations/{cid}/handoff"
            stream_url = f"/channels/web/desk/conversations/{cid}/events"
            async with client.stream("GET", stream_url, params={"token": user.token}) as widget:
                pushed = events(widget)
                joined = await client.post(
                    f"{url}/join", json={"agent": "Kim"}, headers=agent_headers
                )
                assert joined.json()["handoff"]["status"] == "active"
                assert (await asyncio.wait_for(anext(pushed), 5))["agent"] == "Kim"

                replied = await client.post(
                    f"{url}/reply",
                    json={"agent": "Kim", "text": "Hi, I am Kim."},
                    headers=agent_headers,
                )
                assert replied.json() == {"sent": 1, "delivered": 1}
                shown = await asyncio.wait_for(anext(pushed), 5)
                assert shown["source"] == "agent" and shown["agent"] == "Kim"
                assert shown["replies"][0]["text"] == "Hi, I am Kim."

                # an agent has it now: the cancel text is just a message
                assert (await user.send(text="취소"))["replies"] == []

                ended = await client.post(
                    f"{url}/end", json={"agent": "Kim", "flowId": 2}, headers=agent_headers
                )
                assert ended.status_code == 200
                assert ended.json()["handoff"] is None
                survey = await asyncio.wait_for(anext(pushed), 5)
                assert survey["replies"][0]["text"] == "How did we do?"

            transcript = (await client.get(url, headers=agent_headers)).json()["transcript"]
            said = [
                (e["direction"], e["message"].get("text"), e["message"].get("agent"))
                for e in transcript
            ]
            assert ("in", "hello? anyone?", None) in said
            assert ("out", "Hi, I am Kim.", "Kim") in said
            # the bot answers again (the survey ended the run: the fallback is the start)
            assert texts(await user.send(text="thanks"))[0].startswith("Hi!")


async def test_the_user_cancels_before_an_agent_joins(desk: Settings) -> None:
    app = create_app(desk)
    async with uvicorn_server(app) as base, httpx.AsyncClient(base_url=base) as client:
        user = Conversation(client, "visitor", bot_id="desk")
        await user.send()
        await user.send(text="agent")
        assert texts(await user.send(text="취소")) == ["Cancelled."]
        listed = await client.get("/api/handoffs", headers={"X-API-Key": AGENT_KEY})
        assert listed.json() == {"handoffs": []}


async def test_agent_routes_refuse_without_a_key_and_check_the_state(desk: Settings) -> None:
    app = create_app(desk)
    async with uvicorn_server(app) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/api/handoffs")).status_code == 403
        assert (await client.get("/api/handoffs/events", params={"key": "nope"})).status_code == 403
        # the agent key opens the agent routes only
        assert (await client.get("/api/bots", headers={"X-API-Key": AGENT_KEY})).status_code == 403
        user = Conversation(client, "visitor", bot_id="desk")
        await user.send()
        url = f"/api/conversations/{user.conversation_id}/handoff"
        headers = {"X-API-Key": AGENT_KEY}
        not_waiting = await client.post(f"{url}/join", json={"agent": "Kim"}, headers=headers)
        assert not_waiting.status_code == 409
        await user.send(text="agent")
        assert (await client.post(f"{url}/join", json={}, headers=headers)).status_code == 422
        assert (
            await client.post(f"{url}/join", json={"agent": "Kim"}, headers=headers)
        ).status_code == 200
        taken = await client.post(f"{url}/join", json={"agent": "Lee"}, headers=headers)
        assert taken.status_code == 409 and "Kim has this conversation" in taken.json()["error"]
        not_his = await client.post(
            f"{url}/reply", json={"agent": "Lee", "text": "x"}, headers=headers
        )
        assert not_his.status_code == 409
        assert (await client.post(f"{url}/end", json={}, headers=headers)).status_code == 200
        assert (await client.post(f"{url}/end", json={}, headers=headers)).status_code == 409
        assert (
            await client.get("/api/handoffs", params={"status": "x"}, headers=headers)
        ).status_code == 422


async def test_ending_with_a_flow_that_does_not_exist_keeps_the_handoff(desk: Settings) -> None:
    app = create_app(desk)
    async with uvicorn_server(app) as base, httpx.AsyncClient(base_url=base) as client:
        user = Conversation(client, "visitor", bot_id="desk")
        await user.send()
        await user.send(text="agent")
        url = f"/api/conversations/{user.conversation_id}/handoff"
        headers = {"X-API-Key": AGENT_KEY}
        missing = await client.post(f"{url}/end", json={"flowId": 99}, headers=headers)
        assert missing.status_code == 404
        odd = await client.post(f"{url}/end", json={"flowId": {}}, headers=headers)
        assert odd.status_code == 422
        assert (await client.get(url, headers=headers)).json()["handoff"]["status"] == "waiting"
        assert (await client.post(f"{url}/join", content=b"{", headers=headers)).status_code == 400
