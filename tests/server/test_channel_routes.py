"""The messenger webhooks over HTTP: verification, refusals, redeliveries, order, push, delays."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from flowbot.channels import facebook, line

from .platforms import (
    FB_VERIFY,
    FakeFacebook,
    FakeLine,
    LineUser,
    line_signature,
    serve_messengers,
    text_of,
)
from .support import API_KEY, POKEMON

API = {"Authorization": f"Bearer {API_KEY}"}
WELCOME = "Welcome to the world of Pokémon!\nPick the partner who will travel with you."
SCOLD = "You have not picked a Pokémon yet! It is dangerous to go alone."


def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'flowbot.db'}"


# --- verification and refusals ------------------------------------------------------


async def test_facebook_subscribes_with_the_verify_token(tmp_path: Path) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as m:
        query = {
            "hub.mode": "subscribe",
            "hub.verify_token": FB_VERIFY,
            "hub.challenge": "1158201444",
        }
        answered = await m.client.get("/channels/facebook/pokemon", params=query)
        assert (answered.status_code, answered.text) == (200, "1158201444")
        for wrong in (
            {"hub.verify_token": "nope"},
            {"hub.mode": "unsubscribe"},
            {"hub.challenge": ""},
        ):
            refused = await m.client.get("/channels/facebook/pokemon", params={**query, **wrong})
            assert refused.status_code == 403
        assert (await m.client.get("/channels/line/pokemon")).status_code == 405


async def test_unknown_channels_and_bots_without_the_channel_are_404(tmp_path: Path) -> None:
    bots = {"pokemon": POKEMON, "plain": POKEMON}
    async with serve_messengers(database(tmp_path), bots, without_channels=("plain",)) as m:
        for path in (
            "/channels/telegram/pokemon",
            "/channels/web/pokemon",
            "/channels/facebook/nobody",
            "/channels/facebook/plain",
            "/channels/line/plain",
        ):
            response = await m.client.post(path, content=b"{}")
            assert response.status_code == 404, path


async def test_unsigned_and_badly_signed_webhooks_are_403_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps({"destination": "U", "events": []}).encode()
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as m:
        with caplog.at_level(logging.INFO, logger="flowbot.server"):
            for headers in (
                {},
                {line.SIGNATURE_HEADER: "bm90IHRoZSBzaWduYXR1cmU="},
                {line.SIGNATURE_HEADER: line_signature(body + b" ")},
                {line.SIGNATURE_HEADER: "서명".encode()},  # raw UTF-8 bytes in the header
            ):
                response = await m.client.post(
                    "/channels/line/pokemon", content=body, headers=headers
                )
                assert response.status_code == 403, headers
                assert "error" in response.json()
            for headers in ({}, {facebook.SIGNATURE_HEADER: "sha256=00"}):
                fb = await m.client.post(
                    "/channels/facebook/pokemon", content=b"{}", headers=headers
                )
                assert fb.status_code == 403
        assert "POST /channels/line/pokemon -> 403 no x-line-signature header" in caplog.text
        assert "x-line-signature does not match" in caplog.text
        assert m.line.calls == [] and m.facebook.calls == []


async def test_malformed_bodies_are_400_never_500(tmp_path: Path) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as m:
        for body in (
            b"not json",
            b"[]",
            b'{"events": "no"}',
            b'{"events": [{"no": "type"}]}',
            b'{"events": [{"type": "message", "source": {"type": "user", "userId": "U"}}]}',
            b"[" * 100_000 + b"]" * 100_000,
            "\ud800".encode("utf-8", "surrogatepass"),
        ):
            signed = {line.SIGNATURE_HEADER: line_signature(body)}
            response = await m.client.post("/channels/line/pokemon", content=body, headers=signed)
            assert response.status_code == 400, (body[:40], response.text)
        for body in (b'{"object": "user"}', b'{"object": "page", "entry": [{"messaging": [1]}]}'):
            signed = {facebook.SIGNATURE_HEADER: facebook.sign("fb-app-secret", body)}
            response = await m.client.post(
                "/channels/facebook/pokemon", content=body, headers=signed
            )
            assert response.status_code == 400


async def test_a_body_over_the_limit_is_413(tmp_path: Path) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as m:
        response = await m.client.post("/channels/line/pokemon", content=b" " * (1024 * 1024 + 1))
        assert response.status_code == 413


async def test_lines_verify_button_posts_no_events(tmp_path: Path) -> None:
    body = json.dumps({"destination": "Ubot", "events": []}).encode()
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as m:
        headers = {line.SIGNATURE_HEADER: line_signature(body)}
        response = await m.client.post("/channels/line/pokemon", content=body, headers=headers)
        assert response.status_code == 200
        await asyncio.sleep(0.1)
        assert m.line.calls == []


# --- the 200 comes first; order; redeliveries -----------------------------------------


async def test_a_slow_send_api_never_delays_the_webhook(tmp_path: Path) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as m:
        m.facebook.delay = 1.0
        user = m.fb_user("pokemon", "PSID-slow")
        started = time.monotonic()
        response = await user.post(user.event(message={"mid": "m-slow", "text": "hi"}))
        assert response.status_code == 200 and response.text == "EVENT_RECEIVED"
        assert time.monotonic() - started < 0.5
        welcome, _ = await user.replies(2)
        assert welcome == {"text": WELCOME}


async def test_the_events_of_one_body_are_turns_in_order(tmp_path: Path) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as m:
        m.facebook.delay = 0.05  # sends that take a while must not let a later turn overtake
        ash, misty = m.fb_user("pokemon", "PSID-ash"), m.fb_user("pokemon", "PSID-misty")
        response = await ash.post(
            ash.event(message={"mid": "a1", "text": "hi"}),
            misty.event(message={"mid": "b1", "text": "hi"}),
            ash.event(message={"mid": "a2", "text": "what?"}),
        )
        assert response.status_code == 200
        assert [text_of(msg) for msg in await ash.replies(4)] == [
            WELCOME,
            "Bulbasaur | Charmander | Squirtle",
            SCOLD,
            "Bulbasaur | Charmander | Squirtle",
        ]
        assert text_of((await misty.replies(2))[0]) == WELCOME


async def test_webhooks_of_one_user_are_answered_in_arrival_order(tmp_path: Path) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as m:
        m.line.delay = 0.05
        user = m.line_user("pokemon", "U-order")
        await user.follow(expect=2)
        events = [
            user.event("message", message={"id": str(n), "type": "text", "text": f"t{n}"})
            for n in range(3)
        ]
        for event in events:  # three webhooks, one right after the other
            assert (await user.post(event)).status_code == 200
        answers = await user.replies(6)
        assert [text_of(a) for a in answers[::2]] == [SCOLD] * 3
        replied = [c.body["replyToken"] for c in m.line.calls if c.path == line.REPLY_PATH]
        assert replied[1:] == [event["replyToken"] for event in events]


async def test_a_redelivered_event_is_answered_once_even_after_a_restart(tmp_path: Path) -> None:
    fakes = (FakeFacebook(), FakeLine())
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}, fakes=fakes) as m:
        fb = m.fb_user("pokemon", "PSID-again")
        event = fb.event(message={"mid": "m_redelivered", "text": "hi"})
        assert (await fb.post(event)).status_code == 200
        await fb.replies(2)
        assert (await fb.post(event)).status_code == 200
        user = m.line_user("pokemon", "U-again")
        follow = user.event("follow")
        assert (await user.post(follow)).status_code == 200
        await user.replies(2)
        again = {**follow, "deliveryContext": {"isRedelivery": True}}
        assert (await user.post(again)).status_code == 200
        await asyncio.sleep(0.3)
        assert len(m.facebook.messages("PSID-again")) == 2
        assert len(m.line.messages("U-again")) == 2
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}, fakes=fakes) as m:
        fb.client, user.client = m.client, m.client
        assert (await fb.post(event)).status_code == 200
        assert (await user.post(again)).status_code == 200
        await asyncio.sleep(0.3)
        assert len(m.facebook.messages("PSID-again")) == 2
        assert len(m.line.messages("U-again")) == 2
        # a new event of the same user is answered as usual
        [scolded, _] = await fb.say("hello?", expect=2)
        assert scolded == {"text": SCOLD}


# --- delays, expired reply tokens, failing platforms ----------------------------------


def delayed_bot(tmp_path: Path) -> Path:
    bot = {
        "title": "Slow talker",
        "flows": [
            {
                "id": 1,
                "title": "Main",
                "data": {"entry": 1},
                "nodes": [
                    {"id": 1, "type": "entry", "data": {}, "next": [{"nodeId": 2}]},
                    {
                        "id": 2,
                        "type": "response",
                        "data": {"message": {"type": "text", "text": "One moment…"}},
                        "next": [{"nodeId": 3}],
                    },
                    {
                        "id": 3,
                        "type": "response",
                        "data": {"message": {"type": "text", "text": "Done.", "delay": 300}},
                        "next": [],
                    },
                ],
            }
        ],
    }
    path = tmp_path / "slow.bot.json"
    path.write_text(json.dumps(bot), encoding="utf-8")
    return path


async def test_a_delay_shows_the_typing_indicator_then_waits(tmp_path: Path) -> None:
    async with serve_messengers(database(tmp_path), {"slow": delayed_bot(tmp_path)}) as m:
        fb = m.fb_user("slow", "PSID-slow")
        assert [msg["text"] for msg in await fb.say("hi", expect=2)] == ["One moment…", "Done."]
        bodies = [c.body for c in m.facebook.calls]
        assert [b.get("sender_action") or b["message"]["text"] for b in bodies] == [
            "One moment…",
            "typing_on",
            "Done.",
        ]
        user = m.line_user("slow", "U-slow")
        await user.follow(expect=2)
        paths = [(c.path, c.body.get("loadingSeconds")) for c in m.line.calls]
        assert paths == [
            (line.REPLY_PATH, None),
            (line.LOADING_PATH, 5),
            (line.PUSH_PATH, None),
        ]


async def test_an_expired_reply_token_falls_back_to_push(tmp_path: Path) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as m:
        user = m.line_user("pokemon", "U-late")
        follow = user.event("follow")
        m.line.reply_tokens.clear()  # the token expired before flowbot answered
        assert (await user.post(follow)).status_code == 200
        welcome, _ = await user.replies(2)
        assert welcome["text"] == WELCOME
        assert [(c.path, c.status) for c in m.line.calls] == [
            (line.REPLY_PATH, 400),
            (line.PUSH_PATH, 200),
        ]


async def test_a_failing_platform_is_retried_and_the_conversation_goes_on(
    tmp_path: Path,
) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as m:
        m.facebook.fail_next = [503]
        fb = m.fb_user("pokemon", "PSID-flaky")
        welcome, _ = await fb.say("hi", expect=2)
        assert welcome == {"text": WELCOME}
        assert [c.status for c in m.facebook.calls] == [503, 200, 200]


# --- the JSON API reaches messenger users ---------------------------------------------


async def conversation_of(m: Any, channel: str, user_key: str) -> dict[str, Any]:
    listed = (await m.client.get("/api/bots/pokemon/conversations", headers=API)).json()
    [found] = [
        c for c in listed["conversations"] if (c["channel"], c["userKey"]) == (channel, user_key)
    ]
    return dict(found)


async def test_the_api_pushes_to_line_and_facebook_users(tmp_path: Path) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as m:
        user = m.line_user("pokemon", "U-push")
        await user.follow(expect=2)
        conversation = await conversation_of(m, "line", "U-push")
        long_payload = json.dumps({"pokemon": "Pikachu", "note": "⚡" * 900}, ensure_ascii=False)
        message = {
            "type": "text",
            "text": "A wild Pikachu appeared!",
            "buttons": [{"type": "postback", "label": "Catch it", "payload": long_payload}],
        }
        sent = await m.client.post(
            f"/api/conversations/{conversation['id']}/messages",
            json={"message": message},
            headers=API,
        )
        assert sent.json() == {"conversationId": conversation["id"], "sent": 1, "delivered": 1}
        push = m.line.calls[-1]
        assert (push.path, push.body["to"]) == (line.PUSH_PATH, "U-push")
        [pushed] = await user.replies(1)
        [catch] = pushed["template"]["actions"]
        # the pushed button's key was stored: its click reaches the waiting keyboard's edge
        assert catch["data"].startswith("~fb:k:")
        [answer] = await user.click(catch)
        assert text_of(answer) == "Pikachu! An excellent choice."

        fb = m.fb_user("pokemon", "PSID-push")
        await fb.say("hi", expect=2)
        conversation = await conversation_of(m, "facebook", "PSID-push")
        sent = await m.client.post(
            f"/api/conversations/{conversation['id']}/messages", json={"text": "Hello"}, headers=API
        )
        assert sent.status_code == 200
        assert m.facebook.calls[-1].body == {
            "recipient": {"id": "PSID-push"},
            "messaging_type": "UPDATE",
            "message": {"text": "Hello"},
        }
        m.facebook.fail_next = [400]
        refused = await m.client.post(
            f"/api/conversations/{conversation['id']}/messages", json={"text": "x"}, headers=API
        )
        assert refused.status_code == 502
        assert "facebook refused the message" in refused.json()["error"]


async def test_running_a_navigation_change_pushes_its_replies(tmp_path: Path) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as m:
        user = m.line_user("pokemon", "U-nav")
        await user.follow(expect=2)
        conversation = await conversation_of(m, "line", "U-nav")
        moved = await m.client.post(
            f"/api/conversations/{conversation['id']}/navigation",
            json={"flowId": 1, "nodeId": 7, "run": True},
            headers=API,
        )
        assert moved.status_code == 200
        assert moved.json()["replies"][0]["text"] == SCOLD
        scolded, _ = await user.replies(2)
        assert scolded["text"] == SCOLD
        assert m.line.calls[-1].path == line.PUSH_PATH


async def test_the_transcript_of_a_line_conversation(tmp_path: Path) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as m:
        user: LineUser = m.line_user("pokemon", "U-log")
        await user.follow(expect=2)
        await user.say("hello?", expect=2)
        conversation = await conversation_of(m, "line", "U-log")
        detail = (
            await m.client.get(f"/api/conversations/{conversation['id']}", headers=API)
        ).json()
        assert (detail["channel"], detail["userKey"]) == ("line", "U-log")
        said = [
            (e["direction"], e["message"]["type"], e["message"].get("text"))
            for e in detail["transcript"]
        ]
        assert said == [
            ("in", "event", None),
            ("out", "text", WELCOME),
            ("out", "cards", None),
            ("in", "text", "hello?"),
            ("out", "text", SCOLD),
            ("out", "cards", None),
        ]
