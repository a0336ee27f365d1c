"""CLOSER's guide, node pages, read against the engine (issue 12).

Each test names the guide page it checks (under ../shared/closer-docs/). Where
a rule is already tested elsewhere, the docstring of the section says where;
rules flowbot keeps on purpose differently are tested as flowbot does them
and say so.
"""

from __future__ import annotations

from typing import Any

import pytest

from flowbot.engine import (
    ConversationState,
    HttpResponse,
    InboundMessage,
    Ports,
    ScriptRequest,
    ScriptResult,
    load_program,
    run_turn,
)
from flowbot.format.load import load_bot_data
from flowbot.format.problems import BotLoadError

from .support import Chat, node, one_flow, program_of, text, texts
from .test_nodes_ports import FakeHttp, FakeScript


def _refusals(bot: dict[str, Any]) -> list[str]:
    """The errors that stop `bot` from loading (the validator's wording)."""
    with pytest.raises(BotLoadError) as caught:
        load_program(load_bot_data(bot))
    return [str(problem) for problem in caught.value.problems if problem.is_error]


def _loads(bot: dict[str, Any]) -> None:
    load_program(load_bot_data(bot))


def _flow(id: Any, *nodes: dict[str, Any]) -> dict[str, Any]:
    return {"id": id, "data": {"entry": 1}, "nodes": list(nodes)}


def _set(id: Any, *pairs: tuple[str, Any], next: Any = None) -> dict[str, Any]:
    params = [{"key": key, "value": value} for key, value in pairs]
    return node(id, "parameter", {"type": "set", "params": params}, *([next] if next else []))


# --- chatbot/node/README.md: edge conditions and priorities ---------------------------
# (priority, then the count of conditions: test_edges.py::test_edge_choice_and_its_reason)

PHONE = r"^01[016789]-?\d{3,4}-?\d{4}$"


@pytest.mark.parametrize(
    ("where", "params", "said", "holds"),
    [
        # 다음과 일치 / 일치하지 않음
        ({"message.text": {"equals": "hi"}}, {}, "hi", True),
        ({"message.text": {"equals": "hi"}}, {}, "hello", False),
        ({"message.text": {"notEquals": "hi"}}, {}, "hello", True),
        ({"message.text": {"notEquals": "hi"}}, {}, "hi", False),
        # 다음을 포함: the value holds the operand
        ({"message.text": {"contains": "world"}}, {}, "hello world", True),
        ({"message.text": {"contains": "world"}}, {}, "hello", False),
        # 존재함 / 존재하지 않음
        ({"params.name": {"exists": True}}, {"name": "지우"}, "x", True),
        ({"params.name": {"exists": True}}, {}, "x", False),
        ({"params.name": {"exists": False}}, {}, "x", True),
        ({"params.name": {"exists": False}}, {"name": "지우"}, "x", False),
        # 보다 큼 / 크거나 같음 / 작음 / 작거나 같음: numbers (a numeric text counts)
        ({"params.age": {"gt": 19}}, {"age": "20"}, "x", True),
        ({"params.age": {"gt": 19}}, {"age": 19}, "x", False),
        ({"params.age": {"gte": 19}}, {"age": 19}, "x", True),
        ({"params.age": {"lt": 19}}, {"age": "17"}, "x", True),
        ({"params.age": {"lt": 19}}, {"age": 19}, "x", False),
        ({"params.age": {"lte": 19}}, {"age": 19}, "x", True),
        ({"params.age": {"gt": 19}}, {"age": "스무 살"}, "x", False),
        ({"params.age": {"lt": 19}}, {}, "x", False),
        # 정규표현식: request.md's phone number check
        ({"message.text": {"regex": PHONE}}, {}, "010-1234-5678", True),
        ({"message.text": {"regex": PHONE}}, {}, "01012345678", True),
        ({"message.text": {"regex": PHONE}}, {}, "12345", False),
    ],
)
async def test_the_operators_the_node_page_lists(
    where: dict[str, Any], params: dict[str, Any], said: str, holds: bool
) -> None:
    """chatbot/node/README.md, 이용 가능한 조건: each operator on message and params."""
    bot = one_flow(
        node(1, "entry", {}, {"nodeId": 2, "where": where, "priority": 1}, 3),
        text(2, "held"),
        text(3, "not held"),
    )
    state = ConversationState(params=params)
    result = await run_turn(program_of(bot), state, InboundMessage("c", text=said))
    assert texts(result) == ["held" if holds else "not held"]


async def test_the_age_example_stops_minors_at_a_flows_entry() -> None:
    """chatbot/node/README.md: age in params.age; under 19 the flow answers a notice."""
    bot = {
        "flows": [
            _flow(
                1,
                node(1, "entry", {}, 2),
                node(2, "keyboard", {"type": "number"}, 3),
                _set(3, ("age", "{{message}}"), next=4),
                node(4, "flow", {"flowId": "adult"}),
            ),
            _flow(
                "adult",
                node(
                    1,
                    "entry",
                    {},
                    {"nodeId": 2, "where": {"params.age": {"lt": 19}}, "priority": 1},
                    3,
                ),
                text(2, "19세 미만은 이용할 수 없습니다."),
                text(3, "어서 오세요."),
            ),
        ]
    }
    for age, answer in (("17", "19세 미만은 이용할 수 없습니다."), ("30", "어서 오세요.")):
        chat = Chat(program_of(bot))
        await chat.open()
        assert texts(await chat.say(age)) == [answer]


async def test_and_and_or_combined_conditions() -> None:
    """chatbot/node/README.md: 그리고(AND) / 또는(OR) 결합 조건.

    Several keys of one `where` are AND; OR is flowbot's `$or` (SPEC §1): the
    guide shows the editor, not how CLOSER writes an OR in the file.
    """
    both = {"params.member": {"equals": True}, "message.text": {"equals": "쿠폰"}}
    either = {"$or": [{"message.text": {"equals": "도움"}}, {"message.text": {"equals": "help"}}]}
    bot = one_flow(
        node(
            1,
            "entry",
            {},
            {"nodeId": 2, "where": both, "priority": 1},
            {"nodeId": 3, "where": either, "priority": 1},
            4,
        ),
        text(2, "coupon"),
        text(3, "help"),
        text(4, "other"),
    )
    program = program_of(bot)

    async def answer(said: str, member: bool) -> list[str]:
        state = ConversationState(params={"member": member})
        return texts(await run_turn(program, state, InboundMessage("c", text=said)))

    assert await answer("쿠폰", True) == ["coupon"]
    assert await answer("쿠폰", False) == ["other"]
    assert await answer("help", False) == ["help"]
    assert await answer("도움", True) == ["help"]


@pytest.mark.parametrize("priority", [-1, 1.5, "high"])
def test_a_priority_is_an_integer_of_0_or_more(priority: Any) -> None:
    """chatbot/node/README.md: 우선순위 값은 0 이상의 정수 값만 허용됩니다."""
    bot = one_flow(node(1, "entry", {}, {"nodeId": 2, "priority": priority}), text(2, "x"))
    assert any("next[0].priority" in problem for problem in _refusals(bot))
    _loads(one_flow(node(1, "entry", {}, {"nodeId": 2, "priority": 0}), text(2, "x")))


# --- chatbot/node/entry.md --------------------------------------------------------------


def test_a_flow_has_exactly_one_entry_node() -> None:
    """chatbot/node/entry.md: 진입 노드는 각 플로우마다 1개만 존재합니다."""
    two = one_flow(node(1, "entry", {}, 2), node(2, "entry", {}))
    assert any("second entry node" in problem for problem in _refusals(two))
    none = {"flows": [{"id": 1, "nodes": [text(1, "x")]}]}
    assert any("no entry node" in problem for problem in _refusals(none))


def _welcome_bot() -> dict[str, Any]:
    """The start flow's entry branches on the referrer and on a returning visitor."""
    return one_flow(
        node(
            1,
            "entry",
            {},
            {"nodeId": 2, "where": {"params.referrer": {"equals": "ad"}}, "priority": 2},
            {"nodeId": 3, "where": {"params.visited": {"exists": True}}, "priority": 1},
            4,
        ),
        text(2, "광고를 보고 오셨군요!"),
        text(3, "다시 오셨군요!"),
        text(4, "처음 뵙겠습니다.", 5),
        _set(5, ("visited", True)),
    )


async def test_the_entry_node_branches_on_the_referrer_param() -> None:
    """chatbot/node/entry.md: 시작 플로우에서 유입 코드(referrer)를 검사."""
    assert texts(await Chat(program_of(_welcome_bot())).open(referrer="ad")) == [
        "광고를 보고 오셨군요!"
    ]
    assert texts(await Chat(program_of(_welcome_bot())).open()) == ["처음 뵙겠습니다."]


async def test_the_entry_node_branches_for_a_returning_visitor() -> None:
    """chatbot/node/entry.md: 재방문 사용자를 검사하여 재방문 시나리오를 진행."""
    chat = Chat(program_of(_welcome_bot()))
    assert texts(await chat.open()) == ["처음 뵙겠습니다."]
    # the welcome ended without a keyboard: opening again welcomes again, with params kept
    assert texts(await chat.open()) == ["다시 오셨군요!"]


# --- chatbot/node/response.md -----------------------------------------------------------
# (goto buttons from anywhere, a missing target → the fallback flow:
#  test_turn.py::test_goto_click_jumps_from_anywhere_and_unknown_targets_fall_back)


async def test_the_four_message_types_are_sent_as_written() -> None:
    """chatbot/node/response.md: text, media, cards (a carousel from 2), location;
    `meta.custom` and `delay` travel with the message (its advanced settings)."""
    card = {"title": "A", "description": "a", "buttons": [{"type": "postback", "label": "go"}]}
    messages: list[dict[str, Any]] = [
        {"type": "text", "text": "hello", "meta": {"custom": '{"ui": "big"}'}, "delay": 1000},
        {"type": "media", "media": {"uri": "https://img.example/a.png", "contentType": "image"}},
        {"type": "cards", "cards": [card, {**card, "title": "B"}]},
        {"type": "location", "label": "here", "latitude": 37.5, "longitude": 127.0},
    ]
    nodes = [node(1, "entry", {}, 10)]
    nodes += [
        node(10 + i, "response", {"message": m}, *([11 + i] if i < 3 else []))
        for i, m in enumerate(messages)
    ]
    result = await Chat(program_of(one_flow(*nodes))).say("x")
    assert result.replies == messages


@pytest.mark.parametrize(
    ("message", "where"),
    [
        (
            {
                "type": "text",
                "text": "x",
                "buttons": [{"type": "postback", "label": str(i)} for i in range(10)],
            },
            "data.message.buttons: 10 buttons; at most 9",
        ),
        ({"type": "cards", "cards": [{"title": str(i)} for i in range(10)]}, "10 cards"),
        ({"type": "text", "text": "x", "meta": {"custom": "c" * 1001}}, "data.message.meta.custom"),
        (
            {"type": "text", "text": "x", "buttons": [{"type": "link", "label": "l", "uri": "x"}]},
            "has no scheme",
        ),
    ],
)
def test_message_limits_are_refused_at_load(message: dict[str, Any], where: str) -> None:
    """chatbot/node/response.md: at most 9 buttons on a text or card, 9 cards,
    `meta.custom` up to 1,000 characters, links are URLs."""
    bot = one_flow(node(1, "entry", {}, 2), node(2, "response", {"message": message}))
    assert any(where in problem for problem in _refusals(bot))


def test_links_may_be_web_phone_and_mail() -> None:
    """chatbot/node/response.md, 링크 버튼: https://…, tel:…, mailto:…"""
    buttons = [
        {"type": "link", "label": "web", "uri": "https://closer.ai"},
        {"type": "link", "label": "call", "uri": "tel:010xxxxxxxx"},
        {"type": "link", "label": "mail", "uri": "mailto:support@closer.ai"},
    ]
    _loads(one_flow(node(1, "entry", {}, 2), text(2, "x", buttons=buttons)))


# --- chatbot/node/request.md ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["any", "text", "buttons", "number", "location"])
async def test_the_input_type_is_no_validation(kind: str) -> None:
    """chatbot/node/request.md: 입력 방식 설정이 입력 값에 대한 검증이 아니라는 점.

    Whatever the type, any message reaches the keyboard's edges, which decide.
    """
    bot = one_flow(
        node(1, "entry", {}, 2),
        text(2, "몇 개?", 3),
        node(
            3,
            "keyboard",
            {"type": kind},
            {"nodeId": 4, "where": {"message": {"regex": r"^\d+$"}}, "priority": 1},
            5,
        ),
        text(4, "{{message}}개"),
        text(5, "got {{message.type}}"),
    )
    chat = Chat(program_of(bot))
    await chat.open()
    assert texts(await chat.say("3")) == ["3개"]
    await chat.open()
    assert texts(await chat.say("많이")) == ["got text"]
    await chat.open()
    media = InboundMessage("c", type="media", media={"uri": "https://x/a.png"})
    assert texts(await chat.turn(media)) == ["got media"]


async def test_strict_is_kept_but_not_acted_on() -> None:
    """chatbot/node/request.md, strict (deprecated): CLOSER answers `messages` to an
    input of another type and stays. flowbot leaves that to the edges, which the
    guide says replace strict entirely (docs/decisions.md)."""
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(
            2,
            "keyboard",
            {"type": "number", "strict": True, "messages": {"text": "숫자만 입력해 주세요"}},
            3,
        ),
        text(3, "got {{message}}"),
    )
    chat = Chat(program_of(bot))
    await chat.open()
    assert texts(await chat.say("abc")) == ["got abc"]


async def test_a_location_answer_is_keyboard_value() -> None:
    """chatbot/node/request.md, 위치 입력 요청: `{{keyboard.value.latitude}}`,
    `{{keyboard.value.longitude}}`. (Messengers that send a location: Facebook,
    LINE; the web widget has no location input.)"""
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "keyboard", {"type": "location"}, 3),
        text(3, "{{keyboard.value.latitude}},{{keyboard.value.longitude}}"),
    )
    chat = Chat(program_of(bot))
    await chat.open()
    place = {"latitude": 37.5665, "longitude": 126.978}
    answered = await chat.turn(InboundMessage("c", type="location", location=place))
    assert texts(answered) == ["37.5665,126.978"]
    assert answered.state.keyboard == {"flowId": 1, "nodeId": 2, "text": None, "value": place}
    await chat.open()
    typed = await chat.say("서울")
    assert texts(typed) == [","]  # a text answer has no value
    assert typed.state.keyboard == {"flowId": 1, "nodeId": 2, "text": "서울"}


async def test_quick_replies_send_their_label_and_may_carry_a_payload() -> None:
    """chatbot/node/request.md: 빠른 답장은 선택한 버튼의 문자열을 그대로 전송하는
    포스트백 버튼; a payload can be added (포스트백 페이로드 추가하기)."""
    replies = [
        {"type": "postback", "label": "예"},
        {"type": "postback", "label": "아니오", "payload": '{"answer": false}'},
    ]
    bot = one_flow(
        node(1, "entry", {}, 2),
        text(2, "좋아요?", 3),
        node(3, "keyboard", {"type": "buttons", "buttons": replies}, 4),
        text(4, "{{message.type}} {{message.text}} {{message.payload.answer}}"),
    )
    chat = Chat(program_of(bot))
    opened = await chat.open()
    assert opened.quick_replies == replies
    assert texts(await chat.click("예")) == ["text 예 "]
    await chat.open()
    assert texts(await chat.click("아니오", '{"answer": false}')) == ["postback 아니오 false"]


def test_quick_replies_are_at_most_50_and_never_links() -> None:
    """chatbot/node/request.md: 빠른 답장은 최대 50개; URL 링크 형식을 사용할 수는 없습니다."""
    many = [{"label": str(i)} for i in range(51)]
    bot = one_flow(node(1, "entry", {}, 2), node(2, "keyboard", {"buttons": many}))
    assert any("51 quick replies; at most 50" in problem for problem in _refusals(bot))
    _loads(one_flow(node(1, "entry", {}, 2), node(2, "keyboard", {"buttons": many[:50]})))
    link = [{"type": "link", "label": "web", "uri": "https://closer.ai"}]
    bot = one_flow(node(1, "entry", {}, 2), node(2, "keyboard", {"buttons": link}))
    assert any("data.buttons[0]" in problem for problem in _refusals(bot))


async def test_value_validation_with_a_regex_edge_asks_again() -> None:
    """chatbot/node/request.md, 입력 값 검증하기: a regex edge checks a phone number."""
    bot = one_flow(
        node(1, "entry", {}, 2),
        text(2, "휴대폰 번호를 입력해 주세요.", 3),
        node(
            3,
            "keyboard",
            {"type": "text"},
            {"nodeId": 4, "where": {"message.text": {"regex": PHONE}}, "priority": 1},
            5,
        ),
        text(4, "감사합니다."),
        text(5, "올바른 번호가 아닙니다.", 2),
    )
    chat = Chat(program_of(bot))
    await chat.open()
    wrong = await chat.say("12345")
    assert texts(wrong) == ["올바른 번호가 아닙니다.", "휴대폰 번호를 입력해 주세요."]
    assert wrong.state.navigation == {"flowId": 1, "nodeId": 3}
    assert texts(await chat.say("010-1234-5678")) == ["감사합니다."]


# --- chatbot/node/flow.md ----------------------------------------------------------------
# (a literal or templated flowId and a nodeId: test_nodes_flow.py)


def _two_flows(jump: dict[str, Any]) -> dict[str, Any]:
    return {
        "flows": [
            _flow(1, node(1, "entry", {}, 2), text(2, "start", 3), node(3, "flow", jump)),
            _flow(2, node(1, "entry", {}, 2), text(2, "fallback")),
            _flow(
                "shop",
                node(1, "entry", {}, 2),
                text(2, "shop entry"),
                text(3, "shop node 3", 4),
                node(4, "keyboard", {}, {"nodeId": 5, "where": {"message": {"equals": "a"}}}),
                text(5, "A"),
            ),
        ],
        "preference": {"entryFlowId": 1, "fallbackFlowId": 2},
    }


async def test_a_flow_node_goes_to_a_flows_entry_or_one_of_its_nodes() -> None:
    """chatbot/node/flow.md: flowId, and with the advanced settings a nodeId."""
    assert texts(await Chat(program_of(_two_flows({"flowId": "shop"}))).open()) == [
        "start",
        "shop entry",
    ]
    to_node = Chat(program_of(_two_flows({"flowId": "shop", "nodeId": 3})))
    assert texts(await to_node.open()) == ["start", "shop node 3"]
    assert texts(await to_node.say("a")) == ["A"]


async def test_a_flow_id_from_a_param() -> None:
    """chatbot/node/flow.md: flowId set dynamically from a parameter (템플릿 문법)."""
    chat = Chat(program_of(_two_flows({"flowId": "{{params.next}}"})))
    assert texts(await chat.open(next="shop")) == ["start", "shop entry"]


async def test_a_scenario_that_ends_sends_the_next_message_to_the_fallback_flow() -> None:
    """chatbot/node/flow.md: 마지막 노드에 연결된 플로우나 노드 없이 시나리오가 끝나게
    된다면 챗봇은 폴백 플로우로 이동 — with the user's next message."""
    chat = Chat(program_of(_two_flows({"flowId": "shop"})))
    ended = await chat.open()
    assert ended.state.navigation is None
    assert texts(await chat.say("anything")) == ["fallback"]


# --- chatbot/node/parameter.md -------------------------------------------------------------
# (clear: test_nodes_parameter.py::test_clear_removes_every_param)


async def test_set_overwrites_a_key_and_null_removes_it() -> None:
    """chatbot/node/parameter.md: 지정된 키가 이미 존재하는 경우 기존 값은 덮어씌워집니다;
    기존 값을 제거하시려면 null 을 입력해주세요 — JSON null, or the word typed."""
    bot = one_flow(
        node(1, "entry", {}, 2),
        _set(
            2, ("name", "{{message}}"), ("old", None), ("older", "null"), ("kept", " null "), next=3
        ),
        text(3, "[{{params.name}}|{{params.old}}|{{params.older}}|{{params.kept}}]"),
    )
    state = ConversationState(params={"name": "a", "old": 1, "older": 2, "kept": 3, "x": 4})
    result = await run_turn(program_of(bot), state, InboundMessage("c", text="지우"))
    assert texts(result) == ["[지우|||]"]
    assert result.state.params == {"name": "지우", "x": 4}


async def test_a_template_that_renders_null_sets_the_text() -> None:
    """chatbot/node/parameter.md: only the builder's own `null` removes; a user who
    types "null" into `{{message}}` sets that text."""
    bot = one_flow(node(1, "entry", {}, 2), _set(2, ("name", "{{message}}")))
    state = ConversationState(params={"name": "a"})
    result = await run_turn(program_of(bot), state, InboundMessage("c", text="null"))
    assert result.state.params == {"name": "null"}


async def test_params_reach_templates_conditions_and_scripts() -> None:
    """chatbot/node/parameter.md: `{{message}}` saved as name, then `안녕하세요
    {{params.name}}님!`; params also work in edge conditions and script nodes."""
    script = FakeScript(ScriptResult(result={}))
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "keyboard", {"type": "text"}, 3),
        _set(3, ("name", "{{message}}"), next=4),
        node(
            4,
            "sandbox",
            {"script": "module.exports = (c, cb) => cb(null, {})"},
            {"nodeId": 5, "where": {"params.name": {"equals": "지우"}}, "priority": 1},
            6,
        ),
        text(5, "안녕하세요 {{params.name}}님! 만나서 반갑습니다."),
        text(6, "누구세요?"),
    )
    chat = Chat(program_of(bot), Ports(script=script))
    await chat.open()
    assert texts(await chat.say("지우")) == ["안녕하세요 지우님! 만나서 반갑습니다."]
    assert script.requests[0].context["params"] == {"name": "지우"}


@pytest.mark.parametrize(
    ("key", "ok"), [("user_name-2", True), ("user name", False), ("이름", False)]
)
def test_param_keys_are_letters_digits_underscore_and_dash(key: str, ok: bool) -> None:
    """chatbot/node/parameter.md: 영문 대소문자와 숫자, 그리고 `_`,`-` 문자만."""
    bot = one_flow(node(1, "entry", {}, 2), _set(2, (key, "x")))
    if ok:
        _loads(bot)
    else:
        assert any("data.params[0].key" in problem for problem in _refusals(bot))


# --- chatbot/node/back.md ------------------------------------------------------------------
# (the page's walk-through: test_compat.py::test_back_navigation_walk_through_of_spec_section_4,
#  pop 2, clear and back on the first screen: test_compat.py::test_back_navigation_more_paths)


def _screens(back: dict[str, Any]) -> dict[str, Any]:
    """Start flow 1: screens S1 → S2 → S3 ("next"); the fallback flow 2 runs `back`
    on "back" and answers "lost" to anything else."""
    screens = []
    for number in (1, 2, 3):
        first = number * 10
        edges = [{"nodeId": first + 10, "where": {"message": {"equals": "next"}}}]
        screens += [
            text(first, f"S{number}", first + 1),
            node(first + 1, "keyboard", {}, *(edges if number < 3 else [])),
        ]
    return {
        "flows": [
            _flow(1, node(1, "entry", {}, 10), *screens),
            _flow(
                2,
                node(1, "entry", {}, {"nodeId": 2, "where": {"message": {"equals": "back"}}}, 3),
                node(2, "back", back),
                text(3, "lost"),
            ),
        ],
        "preference": {"entryFlowId": 1, "fallbackFlowId": 2},
    }


async def test_a_back_node_pops_one_screen_by_default() -> None:
    """chatbot/node/back.md: operation 기본값 pop, count 기본값 1."""
    chat = Chat(program_of(_screens({})))
    await chat.open()
    await chat.say("next")
    await chat.say("next")
    assert texts(await chat.say("back")) == ["S2"]
    assert texts(await chat.say("back")) == ["S1"]


async def test_popping_past_the_stored_screens_goes_to_the_start_flow() -> None:
    """chatbot/node/back.md: 보관된 갯수를 넘어 뒤로가기(pop)를 수행하는 경우 진입
    플로우로 이동 — the start flow, not the fallback flow the back node is in."""
    chat = Chat(program_of(_screens({"operation": "pop", "count": 5})))
    await chat.open()
    await chat.say("next")
    assert texts(await chat.say("back")) == ["S1"]


async def test_drop_and_clear_continue_to_the_next_node() -> None:
    """chatbot/node/back.md: drop removes `count` positions and goes on to the next
    node; clear empties the stack and goes on. (SPEC §4.5: a drop takes this run's
    own push first, so `drop 1` here removes nothing stored, `drop 2` one entry.)"""
    for operation, kept in (
        ({"operation": "drop", "count": 1}, ((1, 1), (1, 2))),
        ({"operation": "drop", "count": 2}, ((1, 1),)),
        ({"operation": "clear"}, ()),
    ):
        bot = one_flow(
            node(1, "entry", {}, 2),
            node(2, "back", operation, 3),
            text(3, "went on"),
        )
        state = ConversationState(back_stack=((1, 1), (1, 2)), screen_on_top=False)
        result = await run_turn(program_of(bot), state, InboundMessage("c", text="x"))
        assert texts(result) == ["went on"]
        assert result.state.back_stack == kept


async def test_every_screen_is_pushed_without_a_push_node() -> None:
    """chatbot/node/back.md: 뒤로가기 스택이 기본적으로 쌓이도록 — each run that
    stops at a keyboard pushes where it started."""
    chat = Chat(program_of(_screens({})))
    await chat.open()
    await chat.say("next")
    third = await chat.say("next")
    assert third.state.back_stack == ((1, 1), (1, 20), (1, 30))


# --- chatbot/node/fetch.md -------------------------------------------------------------------
# (the fetch object, StatusCodeError, failures: test_nodes_ports.py)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
async def test_the_four_methods_of_the_fetch_page(method: str) -> None:
    """chatbot/node/fetch.md: GET, POST, PUT, DELETE (flowbot also takes PATCH, HEAD
    and OPTIONS)."""
    http = FakeHttp(HttpResponse(200, "ok"))
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "fetch", {"uri": "https://api.example/x", "method": method.lower()}, 3),
        text(3, "{{fetch.status}}"),
    )
    assert texts(await Chat(program_of(bot), Ports(http=http)).say("x")) == ["COMPLETED"]
    assert http.requests[0].method == method


async def test_fetch_data_as_text_and_as_a_json_path() -> None:
    """chatbot/node/fetch.md: `{{fetch.data}}` (text / json), and
    `{{fetch.data.path[2].your.object}}` into a JSON answer."""
    deep = {"path": [{}, {}, {"your": {"object": "found"}}]}
    for data, shown in (("plain text", "plain text"), (deep, "found")):
        http = FakeHttp(HttpResponse(200, data))
        template = (
            "{{fetch.data}}" if isinstance(data, str) else "{{fetch.data.path[2].your.object}}"
        )
        bot = one_flow(
            node(1, "entry", {}, 2),
            node(2, "fetch", {"uri": "https://api.example/x"}, 3),
            text(3, template),
        )
        assert texts(await Chat(program_of(bot), Ports(http=http)).say("x")) == [shown]


# --- chatbot/node/sandbox.md ---------------------------------------------------------------
# (callback, promise and async handlers, the libraries, the 5 s limit:
#  tests/integrations/test_sandbox.py)


def _script_bot(
    *edges: Any, then: str = "{{sandbox.result.custom.price}} {{params.price}}"
) -> dict[str, Any]:
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "sandbox", {"runtime": "nodejs", "script": "module.exports = …"}, *(edges or (3,))),
        text(3, then),
        text(4, "오류: {{sandbox.error}} ({{sandbox.status}})"),
    )
    bot["title"] = "세금 계산기"
    bot["description"] = "가격과 세율을 곱합니다"
    return bot


async def test_the_script_sees_the_context_the_guide_lists() -> None:
    """chatbot/node/sandbox.md, Context: bot {title, description}, conversationId,
    endUserId, params, platform, userKey, message."""
    script = FakeScript(ScriptResult(result={}))
    chat = Chat(program_of(_script_bot()), Ports(script=script))
    chat.state = ConversationState(params={"price": "100"})
    message = InboundMessage("conv-7", text="계산", channel="web", user_key="visitor-1")
    await chat.turn(message)
    request: ScriptRequest = script.requests[0]
    context = request.context
    assert context["bot"] == {"title": "세금 계산기", "description": "가격과 세율을 곱합니다"}
    assert (context["conversationId"], context["platform"], context["userKey"]) == (
        "conv-7",
        "web",
        "visitor-1",
    )
    assert context["endUserId"] == "web:visitor-1"
    assert context["params"] == {"price": "100"}
    assert context["message"]["text"] == "계산"


async def test_a_lone_flow_names_the_bot_by_its_id() -> None:
    """chatbot/node/sandbox.md: Bot.title is required; a flow file has none."""
    script = FakeScript(ScriptResult(result={}))
    bot = _script_bot()
    del bot["title"], bot["description"]
    await Chat(program_of(bot), Ports(script=script)).say("x")
    assert script.requests[0].context["bot"] == {"title": "bot", "description": None}


async def test_custom_is_sandbox_result_custom_and_params_overwrite_only_their_keys() -> None:
    """chatbot/node/sandbox.md, HandlerResult: `custom` → `sandbox.result.custom`;
    `params` sets those params (설정된 키에 대한 값만 덮어씌워집니다)."""
    outcome = {"custom": {"price": 110}, "params": {"price": 110}}
    script = FakeScript(ScriptResult(result=outcome, params=outcome["params"]))
    chat = Chat(program_of(_script_bot()), Ports(script=script))
    chat.state = ConversationState(params={"price": "100", "taxRate": "1.1"})
    result = await chat.say("x")
    assert texts(result) == ["110 110"]
    assert result.state.params == {"price": 110, "taxRate": "1.1"}
    assert result.state.sandbox == {"result": outcome, "error": None, "status": "COMPLETED"}


async def test_a_returned_message_text_is_sent_when_the_node_ends() -> None:
    """chatbot/node/sandbox.md: message로 { text: '가격: …' }을 반환하면 … text에 해당하는
    String을 최종 사용자에게 메시지로 전달합니다 — before the next node's messages,
    as plain text (never a template)."""
    outcome = {"message": {"text": "가격: {{params.price}}원"}}
    script = FakeScript(ScriptResult(result=outcome))
    result = await Chat(program_of(_script_bot(then="끝")), Ports(script=script)).say("x")
    assert result.replies == [
        {"type": "text", "text": "가격: {{params.price}}원"},
        {"type": "text", "text": "끝"},
    ]
    for odd in ({"message": "text"}, {"message": {"text": 3}}, {"message": {"text": ""}}, [1]):
        quiet = FakeScript(ScriptResult(result=odd))
        assert texts(
            await Chat(program_of(_script_bot(then="끝")), Ports(script=quiet)).say("x")
        ) == ["끝"]


async def test_an_error_is_sandbox_error_for_templates_and_edges() -> None:
    """chatbot/node/sandbox.md, 오류 처리하기: `{{sandbox.error}}` prints it, and an
    edge on `sandbox.error` existing branches (the starships export does so)."""
    on_error = {"nodeId": 4, "where": {"sandbox.error": {"exists": True}}, "priority": 1}
    script = FakeScript(RuntimeError("Error: Invalid status code:404"))
    result = await Chat(program_of(_script_bot(on_error, 3)), Ports(script=script)).say("x")
    assert texts(result) == ["오류: Error: Invalid status code:404 (FAILED)"]
    assert result.state.sandbox == {
        "result": None,
        "error": "Error: Invalid status code:404",
        "status": "FAILED",
    }


def test_a_script_holds_at_most_50000_bytes() -> None:
    """chatbot/node/sandbox.md, 실행환경: 코드길이 제한 50,000 byte."""
    bot = one_flow(node(1, "entry", {}, 2), node(2, "sandbox", {"script": "x" * 50_001}))
    assert any("script is 50001 bytes" in problem for problem in _refusals(bot))
    _loads(one_flow(node(1, "entry", {}, 2), node(2, "sandbox", {"script": "가" * 16_666})))


# --- chatbot/node/manual.md --------------------------------------------------------------------
# The announcement, the pause, the edges taken on a cancel before an agent joins:
# test_nodes_manual.py; KakaoTalk's data.message.kakao and its consultation button:
# test_turn_channels.py::test_on_kakao_the_manual_node_*.


# --- chatbot/flow.md ----------------------------------------------------------------------------
# (input outside the choices → fallback flow:
#  test_turn.py::test_keyboard_answer_without_matching_edge_goes_to_the_fallback_flow)


async def test_without_a_fallback_flow_the_start_flow_takes_its_place() -> None:
    """chatbot/flow.md: 폴백 플로우가 등록되어 있지 않다면 시작 플로우로 이동하게 됩니다."""
    bot = {
        "flows": [
            _flow(
                1,
                node(1, "entry", {}, 2),
                text(2, "welcome", 3),
                node(3, "keyboard", {}, {"nodeId": 4, "where": {"message": {"equals": "a"}}}),
                text(4, "A"),
            ),
            _flow(2, node(1, "entry", {}, 2), text(2, "flow 2")),
        ],
        "preference": {"entryFlowId": 1},
    }
    chat = Chat(program_of(bot))
    await chat.open()
    assert texts(await chat.say("b")) == ["welcome"]
    assert texts(await chat.say("a")) == ["A"]


async def test_the_start_flows_first_message_is_the_welcome() -> None:
    """chatbot/flow.md: 시작 플로우에 작성된 첫 번째 메시지는 고객이 처음 방문했을 때
    환영 메시지로서 동작합니다 — on opening and on a first message alike."""
    bot = _two_flows({"flowId": "shop"})
    assert texts(await Chat(program_of(bot)).open())[0] == "start"
    assert texts(await Chat(program_of(bot)).say("hi"))[0] == "start"


# --- chatbot/response-and-request.md, chatbot/advanced/postback-payload.md ---------------------
# (the 1,000-character limit after templating: test_nodes_response.py; a JSON payload
#  in templates and conditions: test_context.py)


def _navigation_bot() -> dict[str, Any]:
    """postback-payload.md's example 1: buttons carry {"flowId": …}; the fallback flow's
    entry checks message.payload.flowId and a flow node jumps to it."""
    menu = [
        {"type": "postback", "label": "주문", "payload": '{"flowId": "order"}'},
        {"type": "postback", "label": "없는 곳", "payload": '{"flowId": "nowhere"}'},
    ]
    has_flow = {"message.payload.flowId": {"exists": True}}
    return {
        "flows": [
            _flow(
                "start",
                node(1, "entry", {}, 2),
                text(2, "무엇을 도와드릴까요?", 3, buttons=menu),
                node(3, "keyboard", {}, {"nodeId": 4, "where": {"message": {"equals": "네"}}}),
                text(4, "네!"),
            ),
            _flow(
                "fallback",
                node(1, "entry", {}, {"nodeId": 2, "where": has_flow, "priority": 1}, 3),
                node(2, "flow", {"flowId": "{{message.payload.flowId}}"}),
                text(3, "모르겠어요"),
            ),
            _flow(
                "order",
                node(1, "entry", {}, 2),
                text(2, "주문을 시작합니다", 3),
                node(3, "keyboard", {}, {"nodeId": 4, "where": {"message": {"equals": "1"}}}),
                text(4, "1개 주문"),
            ),
        ],
        "preference": {
            "entryFlowId": "start",
            "fallbackFlowId": "fallback",
            "systemMessage": {"error": "오류: {{error}}"},
        },
    }


async def test_a_message_button_stays_clickable_and_navigates_through_the_fallback_flow() -> None:
    """advanced/postback-payload.md, 플로우 이동: a bubble button clicked later, where
    no edge takes it, reaches the fallback flow, whose entry routes on the payload."""
    chat = Chat(program_of(_navigation_bot()))
    await chat.open()
    routed = await chat.click("주문", '{"flowId": "order"}')
    assert texts(routed) == ["주문을 시작합니다"]
    # the same old button again, now from the order flow's keyboard
    again = await chat.click("주문", '{"flowId": "order"}')
    assert texts(again) == ["주문을 시작합니다"]
    assert [step.phase for step in again.trace][:2] == ["input", "run"]


async def test_a_payload_naming_a_missing_flow_is_an_error() -> None:
    """advanced/postback-payload.md: 만약 없는 플로우가 지정된 경우에는 오류가 발생."""
    chat = Chat(program_of(_navigation_bot()))
    await chat.open()
    failed = await chat.click("없는 곳", '{"flowId": "nowhere"}')
    assert failed.error is not None
    assert texts(failed) == ["오류: flow fallback node 2 (flow): unknown flow 'nowhere'"]


async def test_payloads_tell_identical_labels_apart() -> None:
    """response-and-request.md and postback-payload.md, 카드형 메시지의 선택 값 구분:
    cards with the same button label, told apart by their payloads."""
    cards = [
        {
            "title": name,
            "buttons": [
                {"type": "postback", "label": "너로 정했다!", "payload": f'{{"pick": "{name}"}}'}
            ],
        }
        for name in ("이상해씨", "파이리", "꼬부기")
    ]
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "response", {"message": {"type": "cards", "cards": cards}}, 3),
        node(
            3,
            "keyboard",
            {},
            {"nodeId": 4, "where": {"message.payload.pick": {"exists": True}}, "priority": 1},
            2,
        ),
        text(4, "{{message.payload.pick}}를 골랐구나"),
    )
    chat = Chat(program_of(bot))
    await chat.open()
    assert texts(await chat.click("너로 정했다!", '{"pick": "파이리"}')) == ["파이리를 골랐구나"]


async def test_a_button_without_payload_sends_its_label_as_text() -> None:
    """advanced/postback-payload.md: 페이로드 없는 포스트백 버튼으로, 버튼에 설정된
    내용을 그대로 텍스트 메시지로 전송."""
    bot = one_flow(
        node(1, "entry", {}, 2),
        text(2, "고르세요", 3, buttons=[{"type": "postback", "label": "메뉴"}]),
        node(3, "keyboard", {}, {"nodeId": 4, "where": {"message.type": {"equals": "text"}}}),
        text(4, "{{message.type}}: {{message.text}} [{{message.payload}}]"),
    )
    chat = Chat(program_of(bot))
    await chat.open()
    assert texts(await chat.click("메뉴")) == ["text: 메뉴 []"]


def test_a_payload_holds_at_most_1000_characters() -> None:
    """advanced/postback-payload.md: 최대 1,000자."""
    button = {"type": "postback", "label": "l", "payload": "p" * 1000}
    _loads(one_flow(node(1, "entry", {}, 2), text(2, "x", buttons=[button])))
    button["payload"] = "p" * 1001
    bot = one_flow(node(1, "entry", {}, 2), text(2, "x", buttons=[button]))
    assert any("payload is 1001 characters" in problem for problem in _refusals(bot))
