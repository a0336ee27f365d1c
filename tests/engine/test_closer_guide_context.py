"""CLOSER's guide on the context, the system messages and the bot settings (issue 12).

Pages (under ../shared/closer-docs/): chatbot/context.md and its copy
chatbot/advanced/context.md, chatbot/system-response.md, chatbot/bot-settings.md.
Each test names the page it checks.
"""

from __future__ import annotations

from typing import Any

import pytest

from flowbot.engine import (
    MAX_STEPS,
    ConversationState,
    HttpResponse,
    InboundMessage,
    Ports,
    ScriptResult,
    load_program,
    run_turn,
)
from flowbot.format.load import load_bot_data
from flowbot.format.problems import BotLoadError

from .support import Chat, node, one_flow, program_of, text, texts
from .test_nodes_ports import FakeHttp, FakeScript

# --- chatbot/context.md (= chatbot/advanced/context.md) -----------------------------------

IDENTITY = "{{botId}}|{{endUserId}}|{{conversationId}}|{{platform}}|{{userKey}}"


def _echo(template: str) -> dict[str, Any]:
    return one_flow(node(1, "entry", {}, 2), text(2, template))


@pytest.mark.parametrize("channel", ["web", "facebook", "line", "kakao", "navertalk"])
async def test_the_identity_keys_of_the_context(channel: str) -> None:
    """chatbot/context.md: botId, endUserId, conversationId, platform, userKey."""
    message = InboundMessage("conv-1", text="hi", channel=channel, user_key="U1")
    result = await run_turn(program_of(_echo(IDENTITY)), None, message)
    assert texts(result) == [f"bot|{channel}:U1|conv-1|{channel}|U1"]


async def test_end_user_id_tells_apart_users_that_share_a_user_key() -> None:
    """chatbot/context.md: userKey는 메시징 채널에서 제공하는 값으로 메시징 채널을
    여러개 연동 시 값이 중복될 수 있습니다 — endUserId is not."""
    program = program_of(_echo("{{userKey}} {{endUserId}}"))
    seen = set()
    for channel in ("line", "facebook"):
        message = InboundMessage("c", text="hi", channel=channel, user_key="same-id")
        [answer] = texts(await run_turn(program, None, message))
        seen.add(answer)
    assert seen == {"same-id line:same-id", "same-id facebook:same-id"}


async def test_end_user_id_is_empty_without_a_user_key() -> None:
    """chatbot/context.md: (a conversation without a user key, as in bare engine tests)."""
    result = await run_turn(program_of(_echo("[{{endUserId}}]")), None, InboundMessage("c"))
    assert texts(result) == ["[]"]


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (InboundMessage("c", type="text", text="안녕"), "text|안녕|"),
        (InboundMessage("c", type="postback", text="예", payload='{"id": 3}'), "postback|예|3"),
        (InboundMessage("c", type="postback", text="예"), "text|예|"),
        (InboundMessage("c", type="media", media={"uri": "https://x/a.png"}), "media||"),
    ],
)
async def test_the_message_key_holds_type_text_and_payload(
    message: InboundMessage, shown: str
) -> None:
    """chatbot/context.md, message: type (text / media / …), text, payload (존재 시)."""
    bot = _echo("{{message.type}}|{{message.text}}|{{message.payload.id}}")
    assert texts(await run_turn(program_of(bot), None, message)) == [shown]


async def test_params_is_the_bots_parameter_object() -> None:
    """chatbot/context.md, params: 챗봇에 설정된 파라미터 객체."""
    bot = _echo("{{params.a}} {{params.b.c}} {{a}}")
    state = ConversationState(params={"a": 1, "b": {"c": "deep"}})
    result = await run_turn(program_of(bot), state, InboundMessage("c", text="x"))
    assert texts(result) == ["1 deep 1"]


async def test_error_names_what_went_wrong_for_the_error_message_and_the_next_turn() -> None:
    """chatbot/context.md, error: 답변 생성 과정에서 발생한 오류 (… 연결된 플로우 없음 등);
    the back-navigation export shows it in its error message on platform test."""
    bot = one_flow(
        node(1, "entry", {}, {"nodeId": 2, "where": {"message": {"equals": "go"}}}, 3),
        node(2, "flow", {"flowId": "{{params.missing}}"}),
        text(3, "last error: [{{error}}]"),
        systemMessage={"error": '[ERROR]{{#if ($eq platform "test")}} {{error}}{{/if}}'},
    )
    chat = Chat(program_of(bot))
    failed = await chat.say("go")
    assert texts(failed) == ["[ERROR] flow 1 node 2 (flow): unknown flow ''"]
    assert texts(await chat.say("x")) == ["last error: [flow 1 node 2 (flow): unknown flow '']"]
    assert texts(await chat.say("x")) == ["last error: []"]  # one turn only


async def test_node_results_hold_status_and_error() -> None:
    """chatbot/context.md, [NODE_TYPE]: status (PENDING, COMPLETED, FAILED) and error,
    for `fetch` and `sandbox`."""
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "fetch", {"uri": "https://api.example/"}, 3),
        node(3, "sandbox", {"script": "…"}, 4),
        text(4, "{{fetch.status}} {{fetch.error}} / {{sandbox.status}} [{{sandbox.error}}]"),
    )
    ports = Ports(http=FakeHttp(HttpResponse(500, "")), script=FakeScript(ScriptResult({})))
    result = await Chat(program_of(bot), ports).say("x")
    assert texts(result) == ["COMPLETED StatusCodeError: 500 / COMPLETED []"]
    failing = Ports(http=FakeHttp(HttpResponse(200, "")), script=FakeScript(ValueError("bad")))
    bot["flows"][0]["nodes"][2]["next"] = [
        {"nodeId": 4, "where": {"sandbox.status": {"equals": "FAILED"}}}
    ]
    result = await Chat(program_of(bot), failing).say("x")
    assert texts(result) == ["COMPLETED  / FAILED [bad]"]


async def test_context_values_in_edge_conditions() -> None:
    """chatbot/context.md (and node/README.md): conditions may use context values."""
    bot = one_flow(
        node(
            1,
            "entry",
            {},
            {"nodeId": 2, "where": {"platform": {"equals": "kakao"}}, "priority": 1},
            3,
        ),
        text(2, "카카오톡에서 오셨군요"),
        text(3, "{{platform}}에서 오셨군요"),
    )
    program = program_of(bot)
    kakao = await run_turn(program, None, InboundMessage("c", text="x", channel="kakao"))
    web = await run_turn(program, None, InboundMessage("c", text="x", channel="web"))
    assert (texts(kakao), texts(web)) == (["카카오톡에서 오셨군요"], ["web에서 오셨군요"])


# --- the visit counter (SPEC §4 navigation.current.visitCount; not in the guide) -------------


async def test_the_visit_counter_counts_consecutive_stops_at_one_keyboard() -> None:
    bot = one_flow(
        node(1, "entry", {}, 2),
        text(2, "Q1", 3),
        node(
            3,
            "keyboard",
            {},
            {"nodeId": 4, "where": {"message": {"equals": "ok"}}, "priority": 1},
            {"nodeId": 2},
        ),
        text(4, "Q2", 5),
        node(5, "keyboard", {}, {"nodeId": 6, "where": {"message": {"equals": "ok"}}}),
        text(6, "done"),
    )
    chat = Chat(program_of(bot))
    counts = [(await chat.open()).state.visit_count]
    for said in ("?", "?", "ok", "ok"):
        counts.append((await chat.say(said)).state.visit_count)
    assert counts == [1, 2, 3, 1, 0]


# --- chatbot/system-response.md, chatbot/bot-settings.md: the welcome --------------------------


def _menu_bot(**session: bool) -> dict[str, Any]:
    """Start flow 1: "welcome" + a keyboard ("a" → "A"); fallback flow 2: "fallback"."""
    bot = one_flow(
        node(1, "entry", {}, 2),
        text(2, "welcome", 3),
        node(
            3,
            "keyboard",
            {"type": "buttons", "buttons": [{"label": "a"}]},
            {"nodeId": 4, "where": {"message": {"equals": "a"}}},
        ),
        text(4, "A {{params.greeted}}"),
        fallbackFlowId=2,
        sessionBehavior=session,
    )
    bot["flows"].append(
        {"id": 2, "data": {"entry": 1}, "nodes": [node(1, "entry", {}, 2), text(2, "fallback")]}
    )
    return bot


async def test_welcome_on_session_start() -> None:
    """bot-settings.md, 대화방 열렸을 때 환영 메세지 전송: on, opening welcomes; off,
    opening sends nothing."""
    assert texts(await Chat(program_of(_menu_bot())).open()) == ["welcome"]
    quiet = await Chat(program_of(_menu_bot(welcomeOnSessionStart=False))).open()
    assert quiet.replies == [] and quiet.state.navigation is None


@pytest.mark.parametrize("without_session", [True, False])
async def test_a_bot_that_welcomes_on_open_welcomes_a_first_message_too(
    without_session: bool,
) -> None:
    """bot-settings.md: welcomeOnMessageWithoutSession applies 환영 메시지를 사용하지
    않기로 설정한 경우에 한하여 — with the welcome on, a first message (a messenger
    that sends no "open") gets it whatever that setting says."""
    bot = _menu_bot(welcomeOnMessageWithoutSession=without_session)
    first = await Chat(program_of(bot)).say("hello")
    assert texts(first) == ["welcome"]
    assert first.state.navigation == {"flowId": 1, "nodeId": 3}


async def test_without_welcome_on_open_the_first_message_gets_the_welcome() -> None:
    """bot-settings.md: welcome off on open, welcomeOnMessageWithoutSession on: the
    first message is answered with the welcome — also after an "open" that ran nothing."""
    bot = _menu_bot(welcomeOnSessionStart=False, welcomeOnMessageWithoutSession=True)
    assert texts(await Chat(program_of(bot)).say("hello")) == ["welcome"]
    chat = Chat(program_of(bot))
    opened = await chat.open()
    assert opened.replies == [] and opened.state.unstarted
    assert opened.state.to_json() == {"v": 1, "new": 1}
    assert (await chat.open()).state.unstarted  # still nothing said
    first = await chat.say("hello")
    assert texts(first) == ["welcome"]
    assert not first.state.unstarted
    assert texts(await chat.say("a")) == ["A "]


async def test_without_any_welcome_the_first_message_answers_the_first_question() -> None:
    """bot-settings.md: … 가장 첫번째 사용자 입력 요청 노드에서 답변을 시작할 것인지:
    the start flow runs unseen to its first keyboard, which takes the message."""
    bot = _menu_bot(welcomeOnSessionStart=False, welcomeOnMessageWithoutSession=False)
    answered = await Chat(program_of(bot)).say("a")
    assert texts(answered) == ["A "]
    assert [(step.node_id, step.phase) for step in answered.trace] == [
        (1, "unseen"),
        (2, "unseen"),
        (3, "unseen"),
        (3, "input"),
        (4, "run"),
    ]
    assert answered.state.navigation is None
    other = await Chat(program_of(bot)).say("b")  # not one of the first question's answers
    assert texts(other) == ["fallback"]
    chat = Chat(program_of(bot))
    await chat.open()
    assert texts(await chat.say("a")) == ["A "]


async def test_the_unseen_start_run_keeps_what_it_set() -> None:
    """bot-settings.md: the first question is answered as if the welcome had run: the
    params it set are there, its messages and quick replies are not sent."""
    bot = _menu_bot(welcomeOnSessionStart=False, welcomeOnMessageWithoutSession=False)
    start = bot["flows"][0]["nodes"]
    start[0]["next"] = [{"nodeId": 9}]
    start.append(
        node(9, "parameter", {"type": "set", "params": [{"key": "greeted", "value": "yes"}]}, 2)
    )
    answered = await Chat(program_of(bot)).say("a")
    assert texts(answered) == ["A yes"]
    assert answered.quick_replies == []
    assert answered.state.params == {"greeted": "yes"}


async def test_a_start_flow_without_a_question_leaves_the_message_to_the_fallback_flow() -> None:
    """bot-settings.md: no user input node to start at — the fallback flow answers."""
    bot = _menu_bot(welcomeOnSessionStart=False, welcomeOnMessageWithoutSession=False)
    bot["flows"][0]["nodes"][1]["next"] = []  # "welcome" ends the start flow
    answered = await Chat(program_of(bot)).say("a")
    assert texts(answered) == ["fallback"]


async def test_a_platform_event_before_the_first_message_keeps_the_session_unstarted() -> None:
    """bot-settings.md: TalkTalk's friend event carries params, not a message; the first
    message after it is still a message without a session."""
    bot = _menu_bot(welcomeOnSessionStart=False)
    chat = Chat(program_of(bot))
    event = await chat.turn(InboundMessage("c", type="event", event="params", params={"f": 1}))
    assert event.replies == [] and event.state.unstarted
    assert texts(await chat.say("hello")) == ["welcome"]
    assert chat.state is not None and chat.state.params == {"f": 1}


async def test_a_failed_first_message_starts_the_session() -> None:
    """bot-settings.md with SPEC §4.6: after an error the next message goes to the
    fallback flow, not to the welcome."""
    bot = _menu_bot(welcomeOnSessionStart=False)
    bot["flows"][0]["nodes"][1] = node(2, "flow", {"flowId": "{{params.nowhere}}"})
    chat = Chat(program_of(bot))
    await chat.open()
    failed = await chat.say("hello")
    assert failed.error is not None and not failed.state.unstarted
    assert texts(await chat.say("hello")) == ["fallback"]


# --- chatbot/system-response.md, chatbot/bot-settings.md: the system messages ----------------


async def test_the_error_message_for_node_and_flow_design_errors() -> None:
    """system-response.md, 오류 메시지: 노드 실행 오류 혹은 시나리오 상에서의 오류 —
    a template that fails at run time, a flow node to a flow that does not exist."""
    bot = one_flow(
        node(
            1,
            "entry",
            {},
            {"nodeId": 2, "where": {"message": {"regex": "^\\W$"}}, "priority": 1},
            3,
        ),
        text(2, "q={{ESCAPE(message.text)}}"),
        node(3, "flow", {"flowId": "{{message}}"}),
        systemMessage={"error": "오류 메시지"},
    )
    program = program_of(bot)
    # a lone surrogate cannot be URI-encoded; no flow has the id "no-such-flow"
    for said, cause in (("\ud800", "(response): ESCAPE"), ("no-such-flow", "unknown flow")):
        result = await run_turn(program, None, InboundMessage("c", text=said))
        assert result.error is not None and cause in result.error
        assert texts(result) == ["오류 메시지"]


async def test_the_empty_message_when_a_run_sends_nothing() -> None:
    """system-response.md, 빈 메시지: 챗봇 시나리오 수행 결과에서 답변을 생성하지 못한
    경우 — e.g. a keyboard answered straight into another keyboard."""
    bot = one_flow(
        node(1, "entry", {}, 2),
        text(2, "Q", 3),
        node(3, "keyboard", {}, 4),
        node(4, "keyboard", {}, 5),
        text(5, "done"),
        systemMessage={"empty": "(메시지 없음: {{keyboard.text}})"},
    )
    chat = Chat(program_of(bot))
    await chat.open()
    assert texts(await chat.say("x")) == ["(메시지 없음: x)"]
    assert texts(await chat.say("y")) == ["done"]


def test_additional_choice_and_unsupported_media_are_templates_checked_at_load() -> None:
    """system-response.md: 추가 선택지 and 지원하지 않는 미디어 are used only by KakaoTalk
    상담톡, a messenger flowbot does not have: kept and checked, never sent."""
    for key in ("additionalChoice", "unsupportedMedia"):
        bot = one_flow(node(1, "entry", {}), systemMessage={key: "{{#if}}"})
        with pytest.raises(BotLoadError) as caught:
            load_program(load_bot_data(bot))
        assert any(f"preference.systemMessage.{key}" in str(p) for p in caught.value.problems)
    program = program_of(
        one_flow(
            node(1, "entry", {}, 2),
            text(2, "x"),
            systemMessage={"additionalChoice": "(더 보기)", "unsupportedMedia": "(미디어)"},
        )
    )
    assert program.system.additional_choice.render({}) == "(더 보기)"
    assert program.system.unsupported_media.render({}) == "(미디어)"


async def test_an_operator_move_starts_an_unstarted_session() -> None:
    """bot-settings.md with the API's change navigation: a conversation an operator
    placed at a keyboard answers there, it does not welcome."""
    bot = _menu_bot(welcomeOnSessionStart=False)
    chat = Chat(program_of(bot))
    await chat.open()
    assert chat.state is not None and chat.state.unstarted
    chat.state = chat.state.with_navigation(1, 3)
    assert texts(await chat.say("a")) == ["A "]


async def test_the_unseen_start_run_counts_towards_the_step_limit() -> None:
    """SPEC §4.3: at most MAX_STEPS nodes in one turn, the unseen start run included."""
    bot = _menu_bot(welcomeOnSessionStart=False, welcomeOnMessageWithoutSession=False)
    start = bot["flows"][0]["nodes"]
    start[0]["next"] = [{"nodeId": 100}]
    # 60 parameter nodes before the first question, 60 after its answer
    start += [node(100 + i, "parameter", {"type": "clear"}, 101 + i) for i in range(59)]
    start.append(node(159, "parameter", {"type": "clear"}, 2))
    start[2]["next"][0]["nodeId"] = 200  # the keyboard's "a" edge
    start += [node(200 + i, "parameter", {"type": "clear"}, 201 + i) for i in range(59)]
    start.append(node(259, "parameter", {"type": "clear"}, 4))
    result = await Chat(program_of(bot)).say("a")
    assert result.error is not None and f"more than {MAX_STEPS} nodes" in result.error
    assert len([step for step in result.trace if step.phase != "input"]) == MAX_STEPS
