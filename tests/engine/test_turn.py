"""run_turn (SPEC §4): where a turn starts, the run loop, errors and empty runs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flowbot.engine import MAX_STEPS, ConversationState, InboundMessage, run_turn

from .support import Chat, node, one_flow, program_of, text, texts


def _menu_bot(**preference: Any) -> dict[str, Any]:
    """Start flow 1: "welcome" + keyboard ("a" → "A"); fallback flow 2: "fallback"."""
    bot = one_flow(
        node(1, "entry", {}, 2),
        text(2, "welcome", 3),
        node(
            3,
            "keyboard",
            {"type": "buttons", "buttons": [{"type": "postback", "label": "a"}]},
            {"nodeId": 4, "where": {"message": {"equals": "a"}}},
        ),
        text(4, "A"),
        fallbackFlowId=2,
        **preference,
    )
    bot["flows"].append(
        {
            "id": 2,
            "data": {"entry": 1},
            "nodes": [node(1, "entry", {}, 2), text(2, "fallback"), text(3, "deep in 2")],
        }
    )
    return bot


# --- where a turn starts ------------------------------------------------------------


async def test_open_welcomes_and_waits_at_the_keyboard_with_its_quick_replies() -> None:
    result = await Chat(program_of(_menu_bot())).open()
    assert texts(result) == ["welcome"]
    assert result.quick_replies == [{"type": "postback", "label": "a"}]
    assert result.state.navigation == {"flowId": 1, "nodeId": 3}


async def test_open_without_welcome_on_session_start_sends_nothing() -> None:
    bot = _menu_bot(sessionBehavior={"welcomeOnSessionStart": False})
    result = await Chat(program_of(bot)).open()
    assert result.replies == [] and result.state.navigation is None


async def test_reopening_restores_the_waiting_position() -> None:
    chat = Chat(program_of(_menu_bot()))
    await chat.open()
    again = await chat.open()
    assert again.replies == []
    assert again.quick_replies == [{"type": "postback", "label": "a"}]
    assert texts(await chat.say("a")) == ["A"]


async def test_reopening_without_restore_navigation_welcomes_again() -> None:
    chat = Chat(program_of(_menu_bot(sessionBehavior={"restoreNavigation": False})))
    await chat.open()
    assert texts(await chat.open()) == ["welcome"]


async def test_first_message_without_session_welcomes_or_answers_the_first_question() -> None:
    # CLOSER's bot-settings.md: welcomeOnMessageWithoutSession matters only when the
    # bot does not welcome on session start; off, the message answers the first keyboard
    assert texts(await Chat(program_of(_menu_bot())).say("x")) == ["welcome"]
    bot = _menu_bot(sessionBehavior={"welcomeOnMessageWithoutSession": False})
    assert texts(await Chat(program_of(bot)).say("x")) == ["welcome"]
    neither = {"welcomeOnSessionStart": False, "welcomeOnMessageWithoutSession": False}
    bot = _menu_bot(sessionBehavior=neither)
    assert texts(await Chat(program_of(bot)).say("x")) == ["fallback"]
    assert texts(await Chat(program_of(bot)).say("a")) == ["A"]


async def test_keyboard_answer_without_matching_edge_goes_to_the_fallback_flow() -> None:
    chat = Chat(program_of(_menu_bot()))
    await chat.open()
    assert texts(await chat.say("b")) == ["fallback"]
    assert texts(await chat.say("a")) == ["fallback"]  # no position any more


async def test_goto_click_jumps_from_anywhere_and_unknown_targets_fall_back() -> None:
    chat = Chat(program_of(_menu_bot()))
    await chat.open()
    assert texts(await chat.goto("go", "2", "3")) == ["deep in 2"]
    assert texts(await chat.goto("go", "1")) == ["welcome"]
    assert texts(await chat.goto("go", "9")) == ["fallback"]
    assert texts(await chat.goto("go", "1", "99")) == ["fallback"]


async def test_operator_navigation_to_a_non_keyboard_node_runs_it() -> None:
    program = program_of(_menu_bot())
    state = ConversationState().with_navigation(2, 3)
    result = await run_turn(program, state, InboundMessage("c", text="x"))
    assert texts(result) == ["deep in 2"]


async def test_inbound_params_become_params() -> None:
    bot = one_flow(node(1, "entry", {}, 2), text(2, "hello {{name}}"))
    result = await Chat(program_of(bot)).open(name="지우")
    assert texts(result) == ["hello 지우"]
    assert result.state.params == {"name": "지우"}


async def test_visit_count_counts_runs_ending_at_the_same_keyboard() -> None:
    chat = Chat(program_of(_menu_bot()))
    first = await chat.open()
    assert first.state.visit_count == 1
    again = await chat.goto("go", "1")
    assert again.state.visit_count == 2


# --- the run loop -----------------------------------------------------------------


async def test_a_run_that_sends_nothing_answers_with_the_empty_message() -> None:
    bot = one_flow(node(1, "entry", {}), systemMessage={"empty": "(nothing for {{platform}})"})
    result = await Chat(program_of(bot)).say("x")
    assert result.replies == [{"type": "text", "text": "(nothing for test)"}]


async def test_a_loop_stops_at_the_step_limit_with_the_error_message() -> None:
    bot = one_flow(node(1, "entry", {}, 2), text(2, "again", 2))
    result = await Chat(program_of(bot)).say("x")
    assert result.error is not None and f"more than {MAX_STEPS} nodes" in result.error
    assert len(result.replies) == 1 and result.replies[0]["text"].startswith("[ERROR]")
    assert len([step for step in result.trace if step.phase == "run"]) == MAX_STEPS
    assert result.state.navigation is None


async def test_a_loop_through_a_flow_node_is_also_stopped() -> None:
    bot = one_flow(node(1, "entry", {}, 2), node(2, "flow", {"flowId": 1}))
    result = await Chat(program_of(bot)).say("x")
    assert result.error is not None and "more than" in result.error


# --- errors ----------------------------------------------------------------------


def _failing_bot() -> dict[str, Any]:
    """Waits at a keyboard; "go" sets a param, says something, then jumps to a missing flow."""
    return one_flow(
        node(1, "entry", {}, 2),
        node(2, "parameter", {"type": "set", "params": [{"key": "step", "value": "start"}]}, 3),
        node(3, "keyboard", {}, {"nodeId": 4, "where": {"message": {"equals": "go"}}}),
        node(4, "parameter", {"type": "set", "params": [{"key": "step", "value": "half"}]}, 5),
        text(5, "half way", 6),
        node(6, "flow", {"flowId": "{{params.nowhere}}"}),
        systemMessage={"error": "sorry: {{error}} (step={{params.step}})"},
    )


async def test_a_failing_node_answers_with_the_error_message_and_applies_nothing() -> None:
    chat = Chat(program_of(_failing_bot()))
    opened = await chat.open()
    before = chat.state
    assert before is not None
    snapshot = copy.deepcopy(before.to_json())

    failed = await run_turn(chat.program, before, InboundMessage("c", text="go"))

    assert failed.error == "flow 1 node 6 (flow): unknown flow ''"
    assert failed.replies == [
        {"type": "text", "text": "sorry: flow 1 node 6 (flow): unknown flow '' (step=start)"}
    ]
    assert failed.quick_replies == []
    assert failed.state.params == {"step": "start"}
    assert failed.state.navigation is None
    assert failed.state.back_stack == opened.state.back_stack
    assert failed.state.error == failed.error
    assert before.to_json() == snapshot  # the input state is untouched
    assert failed.trace[-1].error == failed.error


async def test_after_an_error_the_next_message_goes_to_the_fallback_flow() -> None:
    bot = _failing_bot()
    bot["preference"]["fallbackFlowId"] = 2
    bot["flows"].append(
        {
            "id": 2,
            "data": {"entry": 1},
            "nodes": [node(1, "entry", {}, 2), text(2, "last: {{error}}")],
        }
    )
    chat = Chat(program_of(bot))
    await chat.open()
    await chat.say("go")
    result = await chat.say("hello")
    assert texts(result) == ["last: flow 1 node 6 (flow): unknown flow ''"]
    assert result.state.error is None


async def test_a_successful_turn_does_not_mutate_the_input_state() -> None:
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(
            2, "parameter", {"type": "set", "params": [{"key": "n", "value": "{{message.text}}"}]}
        ),
    )
    program = program_of(bot)
    state = ConversationState(params={"keep": 1})
    result = await run_turn(program, state, InboundMessage("c", text="x"))
    assert state.params == {"keep": 1}
    assert result.state.params == {"keep": 1, "n": "x"}


async def test_the_trace_names_each_node_with_time_and_params() -> None:
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "parameter", {"type": "set", "params": [{"key": "a", "value": "1"}]}, 3),
        text(3, "a={{a}}"),
    )
    result = await Chat(program_of(bot)).say("x")
    steps = [step.to_json() for step in result.trace]
    assert [(s["type"], s["nodeId"]) for s in steps] == [
        ("entry", 1),
        ("parameter", 2),
        ("response", 3),
    ]
    assert steps[1]["params"] == {"a": "1"}
    assert steps[2]["data"] == {"type": "text", "text": "a=1"}
    assert steps[2]["edge"] == {"reason": "no next node"}
    assert all(isinstance(s["elapsedNs"], int) and s["elapsedNs"] > 0 for s in steps)


@pytest.mark.parametrize("event", ["open", None])
async def test_the_last_user_message_is_kept_but_not_open_events(event: str | None) -> None:
    chat = Chat(program_of(_menu_bot()))
    await chat.say("first")
    if event:
        result = await chat.open()
        assert result.state.last_message == {"type": "text", "text": "first"}
    else:
        result = await chat.click("b", '{"x": 1}')
        assert result.state.last_message == {"type": "postback", "text": "b", "payload": '{"x": 1}'}


async def test_a_malformed_inbound_message_gets_the_error_message_not_an_exception() -> None:
    # A channel adapter bug (a payload that is not a string) must not crash the
    # turn: the user gets the bot's error message, the state stays consistent.
    chat = Chat(program_of(_failing_bot()))
    await chat.open()
    before = chat.state
    assert before is not None

    failed = await run_turn(chat.program, before, InboundMessage("c", text="go", payload=123))  # type: ignore[arg-type]

    assert failed.error == "internal error (TypeError)"
    assert failed.replies == [
        {"type": "text", "text": "sorry: internal error (TypeError) (step=start)"}
    ]
    assert failed.state.navigation is None
    assert failed.state.params == before.params
