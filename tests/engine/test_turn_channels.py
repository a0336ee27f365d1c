"""What the engine does for channels that answer in the HTTP response (Kakao, TalkTalk).

A turn's time limit (Kakao waits 5 s), the "params" event (TalkTalk's
friend on/off), and the manual node on KakaoTalk (Kakao's consultation
button instead of flowbot's agents).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from flowbot.engine import HttpRequest, HttpResponse, InboundMessage, Ports, run_turn
from flowbot.format.problems import BotLoadError

from .support import Chat, node, one_flow, program_of, text, texts


class SlowHttp:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.cancelled = False

    async def request(self, request: HttpRequest) -> HttpResponse:
        try:
            await asyncio.sleep(self.seconds)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return HttpResponse(200, {"name": "late"})


def fetch_bot() -> dict[str, Any]:
    return one_flow(
        node(1, "entry", {}, 2),
        node(2, "keyboard", {"type": "text"}, 3),
        node(3, "fetch", {"uri": "https://api.example/x", "method": "get"}, 4),
        text(4, "got {{fetch.data.name}}"),
    )


async def test_a_turn_over_its_time_limit_answers_the_error_message_and_keeps_nothing() -> None:
    http = SlowHttp(5.0)
    program = program_of(fetch_bot())
    ports = Ports(http=http)
    chat = Chat(program, ports)
    await chat.open()
    before = chat.state
    message = InboundMessage("c", type="text", text="go", channel="kakao")
    started = asyncio.get_running_loop().time()
    result = await run_turn(program, before, message, ports, time_limit=0.2)
    assert asyncio.get_running_loop().time() - started < 1.0
    assert http.cancelled
    assert result.error is not None and "took over 0.2 s" in result.error
    assert texts(result)[0].startswith("[ERROR]")
    # as after any failed turn: nothing of the run kept, the next message starts afresh
    assert before is not None and result.state.params == before.params
    assert result.state.current is None and result.state.fetch is None
    assert result.trace[-1].type == "fetch" and result.trace[-1].error == "the turn took over 0.2 s"


async def test_a_turn_within_its_time_limit_is_untouched() -> None:
    program = program_of(fetch_bot())
    ports = Ports(http=SlowHttp(0.01))
    chat = Chat(program, ports)
    await chat.open()
    message = InboundMessage("c", type="text", text="go")
    result = await run_turn(program, chat.state, message, ports, time_limit=2.0)
    assert texts(result) == ["got late"]


async def test_a_params_event_keeps_the_params_and_answers_nothing() -> None:
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "keyboard", {"type": "text"}, 3),
        text(3, "friend: {{friend}}"),
    )
    chat = Chat(program_of(bot))
    await chat.open()
    assert chat.state is not None
    waiting = chat.state.navigation
    event = InboundMessage("c", type="event", event="params", params={"friend": "on"})
    result = await chat.turn(event)
    assert (result.replies, result.quick_replies, result.error) == ([], [], None)
    assert result.state.params == {"friend": "on"}
    assert result.state.navigation == waiting
    assert texts(await chat.say("hi")) == ["friend: on"]


def manual_bot(**data: Any) -> dict[str, Any]:
    return one_flow(
        node(1, "entry", {}, 2),
        node(2, "keyboard", {"type": "text"}, 3),
        node(3, "manual", {"messages": ["One moment.", "Calling an agent…"], **data}, 4),
        text(4, "Call cancelled."),
    )


async def kakao_turn(chat: Chat, value: str) -> Any:
    return await chat.turn(InboundMessage("c", type="text", text=value, channel="kakao"))


async def test_on_kakao_the_manual_node_offers_kakaos_consultation_button() -> None:
    chat = Chat(program_of(manual_bot()))
    await chat.turn(InboundMessage("c", type="event", event="open", channel="kakao"))
    result = await kakao_turn(chat, "agent please")
    assert result.replies == [
        {"type": "text", "text": "One moment."},
        {
            "type": "text",
            "text": "Calling an agent…",
            "buttons": [{"type": "operator", "label": "상담원 연결"}],
        },
    ]
    # flowbot's agents never get it: no handoff, nothing waits
    assert result.handoff is None and result.state.handoff is None
    assert result.state.current is None
    later = await kakao_turn(chat, "hello again")
    assert later.handoff is None and later.replies  # answered by the bot, not held


async def test_on_kakao_the_manual_node_shows_data_message_kakao_instead() -> None:
    kakao = {"type": "text", "text": "상담을 원하시면 버튼을 눌러 주세요, {{name}}."}
    chat = Chat(program_of(manual_bot(message={"kakao": kakao})))
    await chat.turn(
        InboundMessage("c", type="event", event="open", channel="kakao", params={"name": "Kim"})
    )
    result = await kakao_turn(chat, "agent")
    assert result.replies == [
        {
            "type": "text",
            "text": "상담을 원하시면 버튼을 눌러 주세요, Kim.",
            "buttons": [{"type": "operator", "label": "상담원 연결"}],
        }
    ]
    # elsewhere the node hands over as ever, without the Kakao message
    web = Chat(program_of(manual_bot(message={"kakao": kakao})))
    await web.open()
    handed = await web.say("agent")
    assert texts(handed) == ["One moment.", "Calling an agent…"]
    assert handed.handoff == "requested"


async def test_a_malformed_kakao_message_is_a_load_problem() -> None:
    with pytest.raises(BotLoadError) as error:
        program_of(manual_bot(message={"kakao": [1, 2]}))
    assert "data.message.kakao" in str(error.value.problems)


async def test_on_kakao_the_consultation_button_is_never_the_one_over_the_limit() -> None:
    buttons = [{"type": "postback", "label": f"b{n}", "payload": str(n)} for n in range(3)]
    shown = {"type": "text", "text": "Or pick one:", "buttons": buttons}
    chat = Chat(program_of(manual_bot(message={"kakao": shown})))
    await chat.turn(InboundMessage("c", type="event", event="open", channel="kakao"))
    [reply] = (await kakao_turn(chat, "agent")).replies
    assert [b["label"] for b in reply["buttons"]] == ["b0", "b1", "상담원 연결"]
