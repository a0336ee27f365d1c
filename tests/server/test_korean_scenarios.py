"""The seed scenarios end to end on KakaoTalk and Naver TalkTalk, the test playing the platform.

flowbot runs on uvicorn on 127.0.0.1 with a real SQLite file, the fakes too
(`korean_platforms.py`); every click is built from flowbot's own answer, the
way the platform sends it back: a Kakao button's `extra` as
`action.clientExtra` with its `messageText` as the utterance, a TalkTalk
TEXT button's `code` as `textContent.code` with `inputType: "button"`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .korean_platforms import serve_korean_messengers
from .platforms import PUBLIC_URL, find
from .support import POKEMON, REPO
from .test_messenger_scenarios import (
    ANIMALS,
    CHOSEN,
    MENU,
    QUIZ,
    WELCOME,
    database,
    long_payload_bot,
    messengers_payload,
)

FLOW_NAVIGATION = REPO / "examples" / "flow-navigation"
FALLBACK = "Fallback flow: you clicked Bulbasaur, but your partner is already Charmander."


def kakao_text(output: dict[str, Any]) -> str:
    if "simpleText" in output:
        return str(output["simpleText"]["text"])
    card = output.get("textCard") or output.get("basicCard") or {}
    return str(card.get("description") or card.get("title") or "")


def kakao_buttons(output: dict[str, Any]) -> list[dict[str, Any]]:
    if "carousel" in output:
        return [b for item in output["carousel"]["items"] for b in item.get("buttons", [])]
    card = output.get("textCard") or output.get("basicCard") or {}
    return list(card.get("buttons", []))


def kakao_card_button(output: dict[str, Any], title: str) -> dict[str, Any]:
    item = find(output["carousel"]["items"], lambda i: i["title"] == title)
    [button] = item["buttons"]
    return dict(button)


def talktalk_text(message: dict[str, Any]) -> str:
    if "textContent" in message:
        return str(message["textContent"]["text"])
    [composite] = message["compositeContent"]["compositeList"]
    return str(composite.get("description") or composite.get("title"))


def talktalk_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        b for c in message["compositeContent"]["compositeList"] for b in c.get("buttonList", [])
    ]


def talktalk_card_button(message: dict[str, Any], title: str) -> dict[str, Any]:
    composites = message["compositeContent"]["compositeList"]
    [button] = find(composites, lambda c: c["title"] == title)["buttonList"]
    return dict(button)


# --- Pokémon ----------------------------------------------------------------------


async def test_pokemon_on_kakao(tmp_path: Path) -> None:
    async with serve_korean_messengers(database(tmp_path), {"pokemon": POKEMON}) as korean:
        user = korean.kakao_user("pokemon", "kakao-ash")
        welcome, carousel = await user.say("안녕")
        assert welcome == {"simpleText": {"text": WELCOME}}
        assert carousel["carousel"]["type"] == "basicCard"
        assert carousel["carousel"]["items"][1] == {
            "title": "Charmander",
            "description": "A Fire-type: the flame on its tail shows how it feels.",
            "thumbnail": {"imageUrl": f"{PUBLIC_URL}/media/pokemon/charmander.svg"},
            "buttons": [
                {
                    "label": "I choose you!",
                    "action": "message",
                    "messageText": "I choose you!",
                    "extra": {"flowbot": '{"pokemon": "Charmander"}'},
                }
            ],
        }
        [chosen] = await user.click(kakao_card_button(carousel, "Charmander"))
        assert chosen == {"simpleText": {"text": CHOSEN}}
        # the old card is still clickable: the fallback flow answers it
        [fallback] = await user.click(kakao_card_button(carousel, "Bulbasaur"))
        assert kakao_text(fallback) == FALLBACK
        [start_over] = kakao_buttons(fallback)
        assert start_over["label"] == "Start over"
        assert start_over["extra"]["flowbot"].startswith("~fb:g:")
        welcome_again, _ = await user.click(start_over)
        assert welcome_again == {"simpleText": {"text": WELCOME}}


async def test_pokemon_on_talktalk(tmp_path: Path) -> None:
    async with serve_korean_messengers(database(tmp_path), {"pokemon": POKEMON}) as korean:
        user = korean.talktalk_user("pokemon", "tt-ash")
        welcome, cards = await user.open(expect=2)
        assert welcome == {"textContent": {"text": WELCOME}}
        # the first message was the webhook's answer, the cards came by the send API
        [sent] = korean.talktalk.calls
        assert sent.headers["authorization"] == "naver-partner-key"
        assert sent.body == {"event": "send", "user": "tt-ash", **cards}
        assert cards["compositeContent"]["compositeList"][1] == {
            "title": "Charmander",
            "description": "A Fire-type: the flame on its tail shows how it feels.",
            "image": {"imageUrl": f"{PUBLIC_URL}/media/pokemon/charmander.svg"},
            "buttonList": [
                {
                    "type": "TEXT",
                    "data": {"title": "I choose you!", "code": '{"pokemon": "Charmander"}'},
                }
            ],
        }
        [chosen] = await user.click(talktalk_card_button(cards, "Charmander"))
        assert chosen == {"textContent": {"text": CHOSEN}}
        [fallback] = await user.click(talktalk_card_button(cards, "Bulbasaur"))
        assert talktalk_text(fallback) == FALLBACK
        [start_over] = talktalk_buttons(fallback)
        assert start_over["data"]["title"] == "Start over"
        welcome_again, _ = await user.click(start_over, expect=2)
        assert welcome_again == {"textContent": {"text": WELCOME}}


# --- flow navigation --------------------------------------------------------------


async def test_flow_navigation_on_kakao(tmp_path: Path) -> None:
    bots = {"flow-navigation": FLOW_NAVIGATION}
    async with serve_korean_messengers(database(tmp_path), bots) as korean:
        user = korean.kakao_user("flow-navigation", "kakao-nav")
        [menu] = await user.say("hello")
        assert kakao_text(menu) == MENU
        animals_button, quiz_button = kakao_buttons(menu)
        assert animals_button == {
            "label": "Animals",
            "action": "message",
            "messageText": "Animals",
            "extra": {"flowbot": '{"flowId": 2}'},
        }
        [animals] = await user.click(animals_button)
        assert kakao_text(animals) == ANIMALS
        [quiz] = await user.click(quiz_button)
        assert kakao_text(quiz) == QUIZ
        quick = user.quick_replies()
        assert [(q["label"], q["action"], q["messageText"]) for q in quick] == [
            ("Yes", "message", "Yes"),
            ("No", "message", "No"),
        ]
        # the menu's old Animals button, while the quiz waits: the fallback follows its flowId
        [animals_again] = await user.click(animals_button)
        assert kakao_text(animals_again) == ANIMALS
        [quiz] = await user.click(kakao_buttons(animals_again)[1])
        yes = find(user.quick_replies(), lambda q: q["label"] == "Yes")
        [right] = await user.click(yes)
        assert "so it is a fruit" in kakao_text(right)


async def test_flow_navigation_on_talktalk(tmp_path: Path) -> None:
    bots = {"flow-navigation": FLOW_NAVIGATION}
    async with serve_korean_messengers(database(tmp_path), bots) as korean:
        user = korean.talktalk_user("flow-navigation", "tt-nav")
        [menu] = await user.open()
        assert talktalk_text(menu) == MENU
        animals_button, quiz_button = talktalk_buttons(menu)
        assert animals_button == {
            "type": "TEXT",
            "data": {"title": "Animals", "code": '{"flowId": 2}'},
        }
        [animals] = await user.click(animals_button)
        assert talktalk_text(animals) == ANIMALS
        [quiz] = await user.click(quiz_button)
        assert quiz["textContent"]["text"] == QUIZ
        quick = quiz["textContent"]["quickReply"]["buttonList"]
        assert [q["data"]["title"] for q in quick] == ["Yes", "No"]
        [animals_again] = await user.click(animals_button)
        assert talktalk_text(animals_again) == ANIMALS
        [quiz] = await user.click(talktalk_buttons(animals_again)[1])
        yes = find(
            quiz["textContent"]["quickReply"]["buttonList"], lambda q: q["data"]["title"] == "Yes"
        )
        [right] = await user.click(yes)
        assert "so it is a fruit" in talktalk_text(right)


# --- a 1,000-character payload ------------------------------------------------------


async def test_a_1000_character_json_payload_clicked_on_kakao_and_talktalk(tmp_path: Path) -> None:
    bots = {"long": long_payload_bot(tmp_path)}
    note = json.loads(messengers_payload(tmp_path))["note"]
    async with serve_korean_messengers(database(tmp_path), bots) as korean:
        kakao = korean.kakao_user("long", "kakao-long")
        [offer] = await kakao.say("hi")
        [button] = kakao_buttons(offer)
        assert len(button["extra"]["flowbot"]) == 1000  # it fits: carried as it is
        [answer] = await kakao.click(button)
        assert kakao_text(answer) == f"Order 7: 포켓볼, {note}"
        talktalk = korean.talktalk_user("long", "tt-long")
        [offer_tt] = await talktalk.open()
        [button_tt] = talktalk_buttons(offer_tt)
        assert len(button_tt["data"]["code"]) == 1000
        [answer_tt] = await talktalk.click(button_tt)
        assert talktalk_text(answer_tt) == f"Order 7: 포켓볼, {note}"
