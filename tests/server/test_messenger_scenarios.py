"""The seed scenarios end to end on Facebook Messenger and LINE, the test playing the platform.

flowbot runs on uvicorn on 127.0.0.1 with a real SQLite file, the fake
platforms too; every click is built from the message flowbot sent to the
fake, the way the platform would send it back (see `platforms.py`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from .platforms import PUBLIC_URL, find, serve_messengers, text_of
from .support import POKEMON, REPO

FLOW_NAVIGATION = REPO / "examples" / "flow-navigation"
WELCOME = "Welcome to the world of Pokémon!\nPick the partner who will travel with you."
CHOSEN = "Charmander! An excellent choice."
MENU = "This is the menu. Where would you like to go?"
ANIMALS = "Cats purr, dogs bark and owls hoot."
QUIZ = "Quick quiz: is a tomato a fruit?"


def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'flowbot.db'}"


def fb_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    payload = message["attachment"]["payload"]
    if payload["template_type"] == "button":
        return list(payload["buttons"])
    return [button for element in payload["elements"] for button in element.get("buttons", [])]


def fb_card_button(message: dict[str, Any], title: str) -> dict[str, Any]:
    elements = message["attachment"]["payload"]["elements"]
    element = find(elements, lambda e: e["title"] == title)
    [button] = element["buttons"]
    return dict(button)


def line_actions(message: dict[str, Any]) -> list[dict[str, Any]]:
    template = message["template"]
    if template["type"] == "buttons":
        return list(template["actions"])
    return [action for column in template["columns"] for action in column["actions"]]


def line_card_action(message: dict[str, Any], title: str) -> dict[str, Any]:
    column = find(message["template"]["columns"], lambda c: c.get("title") == title)
    [action] = column["actions"]
    return dict(action)


# --- Pokémon ----------------------------------------------------------------------


async def test_pokemon_on_facebook(tmp_path: Path) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as messengers:
        user = messengers.fb_user("pokemon", "PSID-ASH")
        welcome, cards = await user.say("hi", expect=2)
        assert welcome == {"text": WELCOME}
        assert cards["attachment"]["payload"]["elements"][1] == {
            "title": "Charmander",
            "subtitle": "A Fire-type: the flame on its tail shows how it feels.",
            # the bot's own image, at the server's public address
            "image_url": f"{PUBLIC_URL}/media/pokemon/charmander.svg",
            "buttons": [
                {
                    "type": "postback",
                    "title": "I choose you!",
                    "payload": '{"pokemon": "Charmander"}',
                }
            ],
        }
        first = messengers.facebook.calls[0]
        assert first.path == "/v21.0/me/messages"
        assert first.body == {
            "recipient": {"id": "PSID-ASH"},
            "messaging_type": "RESPONSE",
            "message": {"text": WELCOME},
        }
        assert first.query["access_token"] == "fb-page-token"

        [chosen] = await user.click(fb_card_button(cards, "Charmander"))
        assert chosen == {"text": CHOSEN}

        # the old card is still clickable: the fallback flow answers it
        [fallback] = await user.click(fb_card_button(cards, "Bulbasaur"))
        assert text_of(fallback) == (
            "Fallback flow: you clicked Bulbasaur, but your partner is already Charmander."
        )
        [start_over] = fb_buttons(fallback)
        assert start_over["title"] == "Start over"
        welcome_again, _ = await user.click(start_over, expect=2)
        assert welcome_again == {"text": WELCOME}


async def test_pokemon_on_line(tmp_path: Path) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as messengers:
        user = messengers.line_user("pokemon", "U-ash")
        welcome, carousel = await user.follow(expect=2)
        assert welcome == {"type": "text", "text": WELCOME}
        [reply] = [c for c in messengers.line.calls if c.path == "/v2/bot/message/reply"]
        assert reply.headers["authorization"] == "Bearer line-channel-token"
        assert reply.body["messages"] == [welcome, carousel]
        assert carousel["template"]["columns"][1] == {
            "thumbnailImageUrl": f"{PUBLIC_URL}/media/pokemon/charmander.svg",
            "title": "Charmander",
            "text": "A Fire-type: the flame on its tail shows how it feels.",
            "actions": [
                {
                    "type": "postback",
                    "label": "I choose you!",
                    "data": '{"pokemon": "Charmander"}',
                    "displayText": "I choose you!",
                }
            ],
        }

        [chosen] = await user.click(line_card_action(carousel, "Charmander"))
        assert chosen == {"type": "text", "text": CHOSEN}

        [fallback] = await user.click(line_card_action(carousel, "Bulbasaur"))
        assert text_of(fallback) == (
            "Fallback flow: you clicked Bulbasaur, but your partner is already Charmander."
        )
        [start_over] = line_actions(fallback)
        assert start_over["label"] == "Start over" and start_over["data"].startswith("~fb:g:")
        welcome_again, _ = await user.click(start_over, expect=2)
        assert welcome_again == {"type": "text", "text": WELCOME}


# --- flow navigation --------------------------------------------------------------


async def test_flow_navigation_on_facebook(tmp_path: Path) -> None:
    bots = {"flow-navigation": FLOW_NAVIGATION}
    async with serve_messengers(database(tmp_path), bots) as messengers:
        user = messengers.fb_user("flow-navigation", "PSID-NAV")
        [menu] = await user.say("hello")
        assert text_of(menu) == MENU
        animals_button, quiz_button = fb_buttons(menu)
        [animals] = await user.click(animals_button)
        assert text_of(animals) == ANIMALS
        [quiz] = await user.click(quiz_button)
        assert quiz["text"] == QUIZ
        assert [q["title"] for q in quiz["quick_replies"]] == ["Yes", "No"]
        # the menu's old Animals button, while the quiz waits: the fallback follows its flowId
        [animals_again] = await user.click(animals_button)
        assert text_of(animals_again) == ANIMALS
        [quiz] = await user.click(fb_buttons(animals_again)[1])
        yes = find(quiz["quick_replies"], lambda q: q["title"] == "Yes")
        [right] = await user.click(yes)
        assert "so it is a fruit" in text_of(right)


async def test_flow_navigation_on_line(tmp_path: Path) -> None:
    bots = {"flow-navigation": FLOW_NAVIGATION}
    async with serve_messengers(database(tmp_path), bots) as messengers:
        user = messengers.line_user("flow-navigation", "U-nav")
        [menu] = await user.follow()
        assert text_of(menu) == MENU
        animals_action, quiz_action = line_actions(menu)
        assert animals_action == {
            "type": "postback",
            "label": "Animals",
            "data": '{"flowId": 2}',
            "displayText": "Animals",
        }
        [animals] = await user.click(animals_action)
        assert text_of(animals) == ANIMALS
        [quiz] = await user.click(quiz_action)
        assert quiz["text"] == QUIZ
        items = [item["action"] for item in quiz["quickReply"]["items"]]
        # payload-less quick replies: LINE sends their label as the user's text
        assert items == [
            {"type": "message", "label": "Yes", "text": "Yes"},
            {"type": "message", "label": "No", "text": "No"},
        ]
        [animals_again] = await user.click(animals_action)
        assert text_of(animals_again) == ANIMALS
        [quiz] = await user.click(line_actions(animals_again)[1])
        [right] = await user.click(quiz["quickReply"]["items"][0]["action"])
        assert "so it is a fruit" in text_of(right)


# --- a 1,000-character payload on LINE's 300 ------------------------------------------


def long_payload_bot(tmp_path: Path) -> Path:
    """A button whose JSON payload is exactly 1,000 characters, routed on its fields."""
    note = "x" * 1000
    payload = json.dumps({"flowId": 2, "order": {"id": 7, "items": ["포켓볼"]}, "note": ""})
    payload = json.dumps(
        {"flowId": 2, "order": {"id": 7, "items": ["포켓볼"]}, "note": note[: 1000 - len(payload)]}
    )
    assert len(payload) == 1000
    bot = {
        "title": "Long payloads",
        "preference": {"entryFlowId": 1, "fallbackFlowId": 1},
        "flows": [
            {
                "id": 1,
                "title": "Offer",
                "data": {"entry": 1},
                "nodes": [
                    {
                        "id": 1,
                        "type": "entry",
                        "data": {},
                        "next": [
                            {
                                "nodeId": 3,
                                "priority": 1,
                                "where": {"message.payload.order.id": {"equals": 7}},
                            },
                            {"nodeId": 2},
                        ],
                    },
                    {
                        "id": 2,
                        "type": "response",
                        "data": {
                            "message": {
                                "type": "text",
                                "text": "Your order?",
                                "buttons": [
                                    {"type": "postback", "label": "Order", "payload": payload}
                                ],
                            }
                        },
                        "next": [],
                    },
                    {
                        "id": 3,
                        "type": "response",
                        "data": {
                            "message": {
                                "type": "text",
                                "text": "Order {{message.payload.order.id}}: "
                                "{{message.payload.order.items[0]}}, {{message.payload.note}}",
                            }
                        },
                        "next": [],
                    },
                ],
            }
        ],
    }
    (tmp_path / "payload.json").write_text(payload, encoding="utf-8")
    path = tmp_path / "long.bot.json"
    path.write_text(json.dumps(bot, ensure_ascii=False), encoding="utf-8")
    return path


def messengers_payload(tmp_path: Path) -> str:
    return (tmp_path / "payload.json").read_text(encoding="utf-8")


async def test_a_1000_character_json_payload_clicked_on_line(tmp_path: Path) -> None:
    bots = {"long": long_payload_bot(tmp_path)}
    async with serve_messengers(database(tmp_path), bots) as messengers:
        user = messengers.line_user("long", "U-long")
        [offer] = await user.follow()
        [action] = line_actions(offer)
        # LINE's 300 characters: the button carries a short key to the stored payload
        assert action["data"].startswith("~fb:k:") and len(action["data"]) == 28
        [answer] = await user.click(action)
        note = json.loads(messengers_payload(tmp_path))["note"]
        assert answer["text"] == f"Order 7: 포켓볼, {note}"
        # the same button on Facebook carries the payload itself (1,000 fit)
        fb = messengers.fb_user("long", "PSID-long")
        [offer_fb] = await fb.say("hi")
        [button] = fb_buttons(offer_fb)
        assert len(button["payload"]) == 1000
        [answer_fb] = await fb.click(button)
        assert answer_fb["text"] == answer["text"]


async def test_an_unknown_payload_key_goes_to_the_fallback_flow_as_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with serve_messengers(database(tmp_path), {"pokemon": POKEMON}) as messengers:
        user = messengers.line_user("pokemon", "U-stale")
        await user.follow(expect=2)
        stale = {"type": "postback", "data": "~fb:k:" + "A" * 22, "label": "x"}
        with caplog.at_level(logging.WARNING, logger="flowbot.server"):
            [answer] = await user.click(stale)
        assert text_of(answer) == "Sorry, I did not understand that."
        assert f"payload key {'A' * 22} is unknown or expired" in caplog.text
