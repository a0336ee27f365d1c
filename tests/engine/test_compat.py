"""The real CLOSER exports in ../shared/closer-exports run here unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from .support import Chat, node, program_of, text, texts

Export = Callable[[str], dict[str, Any]]

SCOLDING = "포켓몬을 선택하지 않았잖니! \n바깥은 혼자 다니기 위험하니 어서 포켓몬을 선택하렴."


# --- Pokémon starter -----------------------------------------------------------------


async def test_pokemon_open_shows_image_text_and_a_three_card_carousel(
    shared_export: Export,
) -> None:
    chat = Chat(program_of({"flows": [shared_export("pokemon-starter.flow.json")]}))
    result = await chat.open()
    image, welcome, carousel = result.replies
    assert image["type"] == "media" and image["media"]["contentType"] == "image"
    assert welcome == {
        "type": "text",
        "text": "포켓몬 세계에 온 것을 환영한단다.\n너와 함께 할 포켓몬을 골라보렴!",
    }
    assert [card["title"] for card in carousel["cards"]] == ["이상해씨", "파이리", "꼬부기"]
    assert result.state.navigation == {"flowId": 1, "nodeId": 5}
    assert result.error is None


async def test_pokemon_clicking_the_second_card_picks_charmander(shared_export: Export) -> None:
    chat = Chat(program_of({"flows": [shared_export("pokemon-starter.flow.json")]}))
    opened = await chat.open()
    button = opened.replies[2]["cards"][1]["buttons"][0]
    assert button == {
        "type": "postback",
        "label": "너로 정했다!",
        "payload": '{ "pokemon": "파이리" }',
    }

    result = await chat.click(button["label"], button["payload"])

    assert texts(result) == ["파이리를 선택했구나. 탁월한 선택이야!"]
    assert result.state.navigation is None  # node 7 has no next node
    assert len(json.dumps(result.state.to_json()).encode()) <= 1024


async def test_pokemon_typing_anything_else_scolds_and_shows_the_cards_again(
    shared_export: Export,
) -> None:
    chat = Chat(program_of({"flows": [shared_export("pokemon-starter.flow.json")]}))
    await chat.open()
    result = await chat.say("피카츄!")
    assert texts(result) == [SCOLDING, "<cards>"]
    assert len(result.replies[1]["cards"]) == 3
    assert result.state.navigation == {"flowId": 1, "nodeId": 5}
    assert result.state.visit_count == 2

    picked = await chat.click("너로 정했다!", '{ "pokemon": "꼬부기" }')
    assert texts(picked) == ["꼬부기를 선택했구나. 탁월한 선택이야!"]


# --- flow navigation through the fallback flow -------------------------------------


def _navigation_bot(fallback: dict[str, Any]) -> dict[str, Any]:
    """The exported fallback flow (id 1) + a start flow (3) and the flow 2 it routes to."""
    start = {
        "id": 3,
        "title": "start",
        "data": {"entry": 1},
        "nodes": [
            node(1, "entry", {}, 2),
            text(2, "start"),
            node(
                3,
                "keyboard",
                {"type": "any"},
                {"nodeId": 4, "where": {"message": {"equals": "hi"}}},
            ),
            text(4, "hello"),
        ],
    }
    start["nodes"][1]["next"] = [{"nodeId": 3}]
    second = {
        "id": 2,
        "title": "second",
        "data": {"entry": 1},
        "nodes": [node(1, "entry", {}, 2), text(2, "this is flow 2")],
    }
    return {
        "flows": [start, fallback, second],
        "preference": {"entryFlowId": 3, "fallbackFlowId": 1},
    }


async def test_flow_navigation_payload_routes_to_flow_2(shared_export: Export) -> None:
    program = program_of(_navigation_bot(shared_export("flow-navigation-fallback.flow.json")))
    chat = Chat(program)
    assert texts(await chat.open()) == ["start"]

    lost = await chat.say("what now?")  # the keyboard accepts only "hi"
    assert texts(lost) == ["더 이상 진행할 노드가 없습니다."]
    buttons = lost.replies[0]["buttons"]
    assert [b["payload"] for b in buttons] == ['{ "flowId": 1 }', '{ "flowId": 2 }']

    routed = await chat.click(buttons[1]["label"], buttons[1]["payload"])
    assert texts(routed) == ["this is flow 2"]
    assert [step.type for step in routed.trace] == ["entry", "flow", "entry", "response"]
    assert routed.trace[0].edge is not None
    assert routed.trace[0].edge.reason() == "higher priority (1 > 0)"


async def test_an_old_button_out_of_context_goes_through_the_fallback_flow(
    shared_export: Export,
) -> None:
    chat = Chat(program_of(_navigation_bot(shared_export("flow-navigation-fallback.flow.json"))))
    lost = await chat.say("first message")  # no session: welcome per sessionBehavior
    assert texts(lost) == ["start"]
    old_button = {"label": "2번 플로우로 이동", "payload": '{ "flowId": 2 }'}
    await chat.open()  # still waiting at the start keyboard
    result = await chat.click(old_button["label"], old_button["payload"])
    assert texts(result) == ["this is flow 2"]
    assert result.trace[0].phase == "input"
    assert result.trace[0].edge is not None and result.trace[0].edge.edge is None


# --- back navigation ----------------------------------------------------------------

WALK_THROUGH = [
    (None, ["0"]),
    ("진행", ["1"]),
    ("진행", ["2"]),
    ("진행", ["3"]),
    ("뒤로", ["(뒤로가기)", "2"]),
    ("뒤로", ["(뒤로가기)", "1"]),
    ("스킵(drop)", ["2"]),
    ("뒤로", ["(뒤로가기)", "1"]),
]


async def _walk(chat: Chat, steps: list[tuple[str | None, list[str]]]) -> None:
    for number, (label, expected) in enumerate(steps):
        result = await (chat.open() if label is None else chat.click(label))
        assert texts(result) == expected, f"step {number}: {label}"
        assert result.error is None


async def test_back_navigation_walk_through_of_spec_section_4(shared_export: Export) -> None:
    await _walk(Chat(program_of(shared_export("back-navigation.bot.json"))), WALK_THROUGH)


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param(
            [
                (None, ["0"]),
                ("진행", ["1"]),
                ("진행", ["2"]),
                ("진행", ["3"]),
                ("뒤로2", ["(뒤로가기)", "1"]),
                ("진행", ["2"]),
                ("뒤로", ["(뒤로가기)", "1"]),
            ],
            id="pop-2",
        ),
        pytest.param(
            [
                (None, ["0"]),
                ("진행", ["1"]),
                ("진행", ["2"]),
                ("스택 초기화(clear)", ["3"]),
                ("뒤로", ["(뒤로가기)", "0"]),
            ],
            id="clear-then-back-past-the-bottom",
        ),
        pytest.param(
            [(None, ["0"]), ("뒤로", ["(뒤로가기)", "0"]), ("진행", ["1"])],
            id="back-on-the-first-screen",
        ),
        pytest.param(
            [(None, ["0"]), ("진행", ["1"]), ("아무말", ["올바른 선택지를 입력해 주세요.", "0"])],
            id="fallback-jumps-to-the-start-flow",
        ),
    ],
)
async def test_back_navigation_more_paths(
    shared_export: Export, steps: list[tuple[str | None, list[str]]]
) -> None:
    await _walk(Chat(program_of(shared_export("back-navigation.bot.json"))), steps)


async def test_back_navigation_error_answers_with_its_error_system_message(
    shared_export: Export,
) -> None:
    bot = shared_export("back-navigation.bot.json")
    jump = bot["flows"][0]["nodes"][6]
    assert jump["type"] == "flow"
    jump["data"]["flowId"] = "{{params.nowhere}}"  # renders to an id no flow has
    chat = Chat(program_of(bot))
    await _walk(chat, [(None, ["0"]), ("진행", ["1"])])
    before = chat.state

    failed = await chat.say("아무말")

    assert failed.error is not None and "unknown flow ''" in failed.error
    assert len(failed.replies) == 1
    assert failed.replies[0]["text"].startswith(
        "[ERROR]\n요청을 처리하는 중에 오류가 발생했습니다."
    )
    assert failed.state.navigation is None
    assert before is not None and failed.state.back_stack == before.back_stack
    # the next message goes to the fallback flow
    assert texts(await chat.say("뒤로")) == ["(뒤로가기)", "0"]
