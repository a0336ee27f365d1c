"""Bounded work per turn: hostile input gives up quickly and fails only its own turn."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

from flowbot.engine import InboundMessage, Program, load_program, run_turn
from flowbot.engine import turn as turn_module
from flowbot.format.js_regex import RegexClock
from flowbot.format.models import Bot

from .support import Chat, node, one_flow, text, texts

ERROR = "ERR: {{error}}"
HOSTILE_TEXT = "a" * 40 + "b"  # `(a|aa)+$` backtracks exponentially on it, in `regex` too
NESTED_EACH = (
    "{{#each params.list}}{{#each ../params.list}}{{#each ../../params.list}}x"
    "{{/each}}{{/each}}{{/each}}"
)


def program(bot: dict[str, Any]) -> Program:
    return load_program(Bot.model_validate(bot), "shop")


def keyboard_bot(where: dict[str, Any]) -> dict[str, Any]:
    """Flow 1: entry → keyboard 2; an answer matching `where` → "matched", else "other"."""
    return one_flow(
        node(1, "entry", {}, 2),
        node(2, "keyboard", {"type": "text"}, {"nodeId": 3, "where": where}, 4),
        text(3, "matched"),
        text(4, "other"),
        systemMessage={"error": ERROR},
    )


def say(value: str, **params: Any) -> InboundMessage:
    return InboundMessage("c", type="text", text=value, params=params)


def limit_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "stopped by a limit" in record.getMessage()
    ]


# --- regex --------------------------------------------------------------------------


async def test_redos_pattern_gives_up_quickly_and_answers_the_error_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat = Chat(program(keyboard_bot({"message": {"regex": "(a|aa)+$"}})))
    await chat.open()
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="flowbot.engine"):
        result = await chat.say(HOSTILE_TEXT)
    assert time.perf_counter() - started < 0.5
    assert result.error is not None and "timed out" in result.error
    assert texts(result) == [f"ERR: {result.error}"]
    assert "flow 1 node 2 (keyboard)" in result.error
    (warning,) = limit_warnings(caplog)
    assert "bot 'shop' flow 1 node 2" in warning
    assert "regex '(a|aa)+$' timed out after 50 ms" in warning
    # the conversation is consistent: the next message goes on normally (to the fallback)
    assert chat.state is not None and chat.state.current is None
    assert (await chat.say("hello")).error is None


async def test_nested_quantifier_of_the_issue_finishes_quickly() -> None:
    # `regex` does not backtrack on (a+)+$: no limit needed, the answer is the normal one
    chat = Chat(program(keyboard_bot({"message": {"regex": "(a+)+$"}})))
    await chat.open()
    started = time.perf_counter()
    result = await chat.say("a" * 25 + "b")
    assert time.perf_counter() - started < 0.5
    assert result.error is None and texts(result) == ["other"]


async def test_templated_regex_from_params_is_under_the_same_limit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat = Chat(program(keyboard_bot({"message.text": {"regex": "{{params.p}}"}})))
    await chat.open(p="(a|aa)+$")
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="flowbot.engine"):
        result = await chat.say(HOSTILE_TEXT)
    assert time.perf_counter() - started < 0.5
    assert result.error is not None and "timed out" in result.error
    assert texts(result) == [f"ERR: {result.error}"]
    assert len(limit_warnings(caplog)) == 1


async def test_templated_regex_too_large_to_compile_is_refused_quickly() -> None:
    # `regex` unrolls counted repeats when compiling: this one would take minutes and GBs
    chat = Chat(program(keyboard_bot({"message.text": {"regex": "{{params.p}}"}})))
    await chat.open(p="a{4294967294}")
    started = time.perf_counter()
    result = await chat.say("aaa")
    assert time.perf_counter() - started < 0.5
    assert result.error is not None and "pattern too large" in result.error


async def test_regex_on_an_edge_after_a_node_is_limited_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = one_flow(
        node(1, "entry", {}, {"nodeId": 2, "where": {"message": {"regex": "(a|aa)+$"}}}, 3),
        text(2, "matched"),
        text(3, "other"),
        systemMessage={"error": ERROR},
    )
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="flowbot.engine"):
        result = await run_turn(program(bot), None, say(HOSTILE_TEXT))
    assert time.perf_counter() - started < 0.5
    assert result.error is not None and "flow 1 node 1 (entry)" in result.error
    (warning,) = limit_warnings(caplog)
    assert "bot 'shop' flow 1 node 1" in warning and "timed out" in warning


async def test_the_turn_hands_one_clock_to_every_condition(monkeypatch: pytest.MonkeyPatch) -> None:
    # A clock with no time left: even a trivial search of the turn gives up, so the
    # turn's clock does reach the keyboard's edges.
    monkeypatch.setattr(turn_module, "RegexClock", lambda: RegexClock(0.0))
    chat = Chat(program(keyboard_bot({"message": {"regex": "^yes$"}})))
    await chat.open()
    result = await chat.say("yes")
    assert result.error is not None and "are used up" in result.error


async def test_regex_time_is_shared_by_the_searches_of_a_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spent: list[float] = []

    class Recording(RegexClock):
        def __init__(self) -> None:
            super().__init__()
            spent.append(self.left)

    monkeypatch.setattr(turn_module, "RegexClock", Recording)
    chat = Chat(program(keyboard_bot({"message": {"regex": "^yes$"}})))
    await chat.open()
    assert texts(await chat.say("yes")) == ["matched"]
    assert spent == [0.2, 0.2]  # one clock per turn, 200 ms each


# --- templates ----------------------------------------------------------------------


def each_bot() -> dict[str, Any]:
    return one_flow(
        node(1, "entry", {}, 2),
        text(2, NESTED_EACH),
        systemMessage={"error": ERROR},
    )


async def test_nested_each_over_a_visitor_array_stops_quickly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="flowbot.engine"):
        result = await run_turn(program(each_bot()), None, say("hi", list=list(range(200))))
    assert time.perf_counter() - started < 1
    assert result.error is not None and "#each iterations" in result.error
    assert texts(result) == [f"ERR: {result.error}"]
    (warning,) = limit_warnings(caplog)
    assert "bot 'shop' flow 1 node 2" in warning and "10,000 #each iterations" in warning


async def test_small_arrays_still_render() -> None:
    # 18, not 27: #each pushes no depth for an element equal to the context (handlebars.js)
    result = await run_turn(program(each_bot()), None, say("hi", list=[1, 2, 3]))
    assert result.error is None and texts(result) == ["x" * 18]


async def test_huge_parameter_values_stop_at_the_output_limit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # a loop doubling a param: without the limit it would grow to 2**100 characters
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "parameter", {"type": "set", "params": [{"key": "s", "value": "{{s}}{{s}}"}]}, 2),
        systemMessage={"error": ERROR},
    )
    with caplog.at_level(logging.WARNING, logger="flowbot.engine"):
        result = await run_turn(program(bot), None, say("hi", s="y" * 1000))
    assert result.error is not None and "over 100,000 characters" in result.error
    (warning,) = limit_warnings(caplog)
    assert "bot 'shop' flow 1 node 2" in warning


async def test_the_step_limit_is_logged_like_the_other_limits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = one_flow(node(1, "entry", {}, 2), text(2, "again", 2))
    with caplog.at_level(logging.WARNING, logger="flowbot.engine"):
        result = await run_turn(program(bot), None, say("hi"))
    assert result.error is not None and "more than 100 nodes" in result.error
    (warning,) = limit_warnings(caplog)
    assert "bot 'shop' flow 1 node 2" in warning


# --- one hostile conversation does not hold up the others ---------------------------


@pytest.mark.parametrize(
    ("bot", "hostile", "answer"),
    [
        (keyboard_bot({"message.text": {"regex": "{{params.p}}"}}), say(HOSTILE_TEXT), "other"),
        (each_bot(), say("hi", list=list(range(200))), "xxxx"),
    ],
    ids=["regex", "each"],
)
async def test_a_concurrent_turn_stays_fast_while_a_hostile_one_runs(
    bot: dict[str, Any], hostile: InboundMessage, answer: str
) -> None:
    compiled = program(bot)
    # both conversations are past the welcome (at the keyboard, for the regex bot)
    opened = InboundMessage("c", type="event", event="open", params={"p": "(a|aa)+$"})
    state = (await run_turn(compiled, None, opened)).state
    finished: dict[str, float] = {}
    started = time.perf_counter()

    async def timed(name: str, message: InboundMessage) -> Any:
        result = await run_turn(compiled, state, message)
        finished[name] = time.perf_counter() - started
        return result

    bad, good = await asyncio.gather(
        timed("hostile", hostile), timed("normal", say("hello", list=[1, 2]))
    )
    assert time.perf_counter() - started < 1
    assert finished["normal"] < 1
    assert bad.error is not None
    assert good.error is None and texts(good) == [answer]


# --- state --------------------------------------------------------------------------


def appending_bot() -> dict[str, Any]:
    """Each message is appended to the param `log`: a visitor can grow it at will."""
    return one_flow(
        node(1, "entry", {}, 2),
        node(2, "keyboard", {"type": "text"}, 3),
        node(
            3,
            "parameter",
            {"type": "set", "params": [{"key": "log", "value": "{{params.log}}{{message.text}}"}]},
            4,
        ),
        text(4, "noted", 2),
        systemMessage={"error": ERROR},
    )


async def test_a_state_that_would_outgrow_the_cap_fails_its_turn_and_is_not_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat = Chat(program(appending_bot()))
    await chat.open()
    chunk = "x" * 5000
    kept = 0
    for _ in range(30):
        result = await chat.say(chunk)
        if result.error is not None:
            break
        kept += 1
    assert chat.state is not None
    assert kept == turn_module.MAX_STATE_CHARS // 5000  # the turns that fitted
    assert texts(result)[0].startswith("ERR: the conversation would keep params")
    assert len(chat.state.params["log"]) == kept * 5000  # the failed turn kept nothing
    assert any("params and node results of" in line for line in limit_warnings(caplog))


async def test_too_many_params_fail_the_turn() -> None:
    params = [{"key": f"p{n}", "value": "x"} for n in range(turn_module.MAX_PARAMS + 1)]
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "parameter", {"type": "set", "params": params}, 3),
        text(3, "set"),
        systemMessage={"error": ERROR},
    )
    chat = Chat(program(bot))
    result = await chat.open()
    assert texts(result) == [f"ERR: the conversation would keep {len(params)} params, at most 200"]
    assert chat.state is not None and chat.state.params == {}
