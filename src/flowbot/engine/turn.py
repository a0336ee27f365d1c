"""One turn: (program, state, message) → (new state, replies, trace) (SPEC §4).

The run loop works on a `Run` scratchpad; the input state is never touched,
so a failing turn simply builds its result from the input state (position
cleared, nothing the run did kept) and answers with the `error` system
message. Replies of a failed run are dropped with it: the user sees the
error message alone, never half a scenario followed by an error.

A turn runs on the server's event loop, so its work is bounded: at most
`MAX_STEPS` nodes, 200 ms of regex searching in all (one `RegexClock` per
turn, 50 ms per search), and each template render within
`flowbot.template.limits`. A turn stopped by one of these answers with the
error message and logs a warning naming the bot, the flow and the node.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field, replace
from time import perf_counter_ns
from typing import Any, Final

import orjson

from flowbot.engine import backstack
from flowbot.engine.context import build_context, stored_message
from flowbot.engine.edges import choose_edge
from flowbot.engine.errors import TurnError, TurnLimitError
from flowbot.engine.messages import InboundMessage
from flowbot.engine.nodes import render_quick_replies
from flowbot.engine.nodes.manual import is_cancel
from flowbot.engine.ports import Ports, utc_now
from flowbot.engine.program import CompiledFlow, CompiledNode, Program
from flowbot.engine.run import Run
from flowbot.engine.state import ConversationState, Position
from flowbot.engine.trace import EdgeObserver, TraceStep
from flowbot.format.conditions import ConditionError
from flowbot.format.js_regex import RegexClock, RegexTimeoutError
from flowbot.format.models import SystemMessages, id_key
from flowbot.template import Template, TemplateError, TemplateLimitError
from flowbot.template.environment import (
    RenderEnvironment,
    reset_environment,
    shared_rng,
    use_environment,
)
from flowbot.template.masking import contains_mask, reveal_value, star_value

__all__ = [
    "MAX_PARAMS",
    "MAX_RESULT_CHARS",
    "MAX_STATE_CHARS",
    "MAX_STEPS",
    "InternalError",
    "TurnResult",
    "run_turn",
]

MAX_STEPS: Final = 100
# What one conversation may keep between turns (params, fetch and sandbox
# results): a few KB in practice; the cap leaves room for a sizeable API
# answer while keeping every save and every load of the state small.
MAX_PARAMS: Final = 200
MAX_STATE_CHARS: Final = 64 * 1024
# A fetch or sandbox result larger than this keeps only its status in the state.
MAX_RESULT_CHARS: Final = 16 * 1024

_log = logging.getLogger("flowbot.engine")


class InternalError(Exception):
    """An unexpected exception, named by its type only (its text may hold internals)."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(f"internal error ({type(cause).__name__})")


_DEFAULT_PORTS: Final = Ports()
_DEFAULT_SYSTEM: Final = SystemMessages()

# What a node may raise to fail the turn; anything else is a bug and propagates.
_TURN_ERRORS: Final = (TurnError, TemplateError, ConditionError)
# The bounds on a turn's work (besides MAX_STEPS), found as an error or its cause.
_LIMIT_ERRORS: Final = (RegexTimeoutError, TemplateLimitError)


@dataclass(slots=True)
class TurnResult:
    """What a turn did. `replies` and `quick_replies` are what the user sees.

    `logged_replies` is None unless a reply holds a MASK span: then it holds
    the same replies with masked text starred, for transcripts and event
    webhooks (callers log `replies` when it is None).
    """

    state: ConversationState
    replies: list[dict[str, Any]]
    quick_replies: list[dict[str, Any]] = field(default_factory=list)
    trace: list[TraceStep] = field(default_factory=list)
    error: str | None = None
    logged_replies: list[dict[str, Any]] | None = None
    # "requested": a manual node handed the conversation to a person in this turn;
    # "held": a person has it, the bot did not answer; "cancelled": the user
    # cancelled the call before an agent joined
    handoff: str | None = None


async def run_turn(
    program: Program,
    state: ConversationState | None,
    message: InboundMessage,
    ports: Ports | None = None,
    *,
    time_limit: float | None = None,
    observe: EdgeObserver | None = None,
) -> TurnResult:
    """Run one turn. `state` None is a new conversation.

    `time_limit`: seconds the nodes may take (a channel that must answer in
    time: Kakao's 5 s); over it, the running node is cancelled and the turn
    fails with the error message, as with any other limit, keeping nothing
    of the run.

    `observe`: told of each edge choice (`flowbot.engine.trace.EdgeObserver`;
    the studio's preview). None, the default, costs one attribute test per node.
    """
    if ports is None or (ports.now is utc_now and ports.random is None):
        return await _run_turn(program, state, message, ports, time_limit, observe)
    # the turn's time and randomness reach DATE and RAND (flowbot.template.environment)
    now, rng = ports.now, ports.random
    token = use_environment(
        RenderEnvironment(
            clock=lambda: now().timestamp() * 1000, rng=rng if rng is not None else shared_rng()
        )
    )
    try:
        return await _run_turn(program, state, message, ports, time_limit, observe)
    finally:
        reset_environment(token)


async def _run_turn(
    program: Program,
    state: ConversationState | None,
    message: InboundMessage,
    ports: Ports | None,
    time_limit: float | None = None,
    observe: EdgeObserver | None = None,
) -> TurnResult:
    is_new = state is None
    before = ConversationState() if state is None else state
    if message.params:
        # initial params (e.g. the widget's ?param=) are input, kept even if the run fails
        before = replace(before, params={**before.params, **message.params})
    bad_message: Exception | None = None
    try:
        context = build_context(program.bot_id, message, before, before.params)
    except Exception as exc:
        # A malformed message from a channel adapter (e.g. a payload that is
        # not a string): fail the turn from a context without the message.
        _log.exception("bad inbound message for bot %r", program.bot_id)
        bad_message = InternalError(exc)
        message = InboundMessage(message.conversation_key, channel=message.channel)
        context = build_context(program.bot_id, message, before, before.params)
    run = Run(
        program,
        context,
        before.params,
        before.back_stack,
        before.screen_on_top,
        ports or _DEFAULT_PORTS,
        observe,
    )
    if bad_message is not None:
        return _failed(program, before, message, run, bad_message)
    clock = RegexClock()
    try:
        if before.handoff is not None and message.event != "navigation":
            # with a person: the bot answers nothing, unless the user cancels a call
            if not _cancels(program, before, message):
                return _held(before, message, run)
            after = await _cancelled(program, before, message, run, clock)
            after.handoff = "cancelled"
            return after
        if message.event == "params":
            # the platform told something about the user (TalkTalk's friend
            # on/off): kept in params, nothing runs, nothing is answered
            kept = replace(before, unstarted=True) if is_new else before
            return TurnResult(kept, [], [], run.trace, None)
        start = _start_node(program, before, message, is_new, run, clock)
        if start is None:
            return _idle(program, before, message, run, is_new)
        work = (
            _first_question(program, message, run, clock)
            if isinstance(start, _FirstQuestion)
            else _execute(run, start, clock)
        )
        waiting = await (work if time_limit is None else _within(run, work, time_limit))
        return _finished(program, before, message, run, waiting)
    except _TURN_ERRORS as exc:
        if isinstance(exc, TurnLimitError):
            _log.warning(
                "turn stopped by a limit: bot %r flow %r node %r: %s",
                program.bot_id,
                exc.flow_id,
                exc.node_id,
                exc.reason,
            )
        return _failed(program, before, message, run, exc)
    except Exception as exc:
        # A bug, in flowbot or below it: the user still gets the bot's error
        # message and the conversation stays consistent; the traceback goes to
        # the operator's log, not to the user.
        _log.exception("turn failed unexpectedly in bot %r", program.bot_id)
        return _failed(program, before, message, run, InternalError(exc))


# --- a conversation with a person (the manual node) ---------------------------------


def _cancels(program: Program, before: ConversationState, message: InboundMessage) -> bool:
    """The user sent the manual node's cancel text before an agent joined."""
    handoff = before.handoff
    assert handoff is not None
    if handoff.get("status") != "waiting" or message.type not in ("text", "postback"):
        return False
    node = _manual_node(program, handoff)
    return node is None or (node.type == "manual" and is_cancel(node, message.text))


def _manual_node(program: Program, handoff: Mapping[str, Any]) -> CompiledNode | None:
    flow_id, node_id = handoff.get("flowId"), handoff.get("nodeId")
    if not isinstance(flow_id, int | str) or not isinstance(node_id, int | str):
        return None
    return program.node(flow_id, node_id)


def _held(before: ConversationState, message: InboundMessage, run: Run) -> TurnResult:
    """A message while a person has the conversation: kept, not answered."""
    state = replace(before, last_message=_last_message(before, message))
    return TurnResult(state, [], [], run.trace, None, handoff="held")


async def _cancelled(
    program: Program,
    before: ConversationState,
    message: InboundMessage,
    run: Run,
    clock: RegexClock,
) -> TurnResult:
    """The call was cancelled: follow the manual node's edges (the fallback if it is gone)."""
    handoff = before.handoff
    assert handoff is not None
    node = _manual_node(program, handoff)
    if node is None:
        start: CompiledNode | None = _entry(program.fallback_flow)
    else:
        step = TraceStep(node.flow.id, node.id, node.type, node.label, phase="input")
        run.trace.append(step)
        step.edge = choose_edge(node.edges, run.context, clock)
        if run.observe is not None:
            run.observe(node, step.edge, run.context)
        start = step.edge.edge.target if step.edge.edge is not None else None
    waiting = await _execute(run, start, clock) if start is not None else None
    return _finished(program, before, message, run, waiting)


# --- where a turn starts (SPEC §4.2) -----------------------------------------------


def _entry(flow: CompiledFlow) -> CompiledNode:
    if flow.entry is None:  # load_program refuses such bots; kept for a clear message
        raise TurnError(f"flow {flow.id!r} has no entry node")
    return flow.entry


class _FirstQuestion:
    """Where a message without a session starts when the bot sends no welcome."""

    __slots__ = ()


_FIRST_QUESTION: Final = _FirstQuestion()


def _start_node(
    program: Program,
    before: ConversationState,
    message: InboundMessage,
    is_new: bool,
    run: Run,
    clock: RegexClock,
) -> CompiledNode | _FirstQuestion | None:
    session = program.session
    if message.event == "open":
        if _restores(program, before, is_new):
            return None
        return _entry(program.start_flow) if session.welcome_on_session_start else None
    if message.goto is not None:
        target = program.node(message.goto.flow_id, message.goto.node_id)
        return target if target is not None else _entry(program.fallback_flow)
    if is_new or before.unstarted:
        # A message without a session (CLOSER's bot settings): the welcome, unless
        # the bot welcomes on neither; then the message answers the first question.
        if session.welcome_on_session_start or session.welcome_on_message_without_session:
            return _entry(program.start_flow)
        return _FIRST_QUESTION
    if before.current is None:
        return _entry(program.fallback_flow)
    waiting = program.node(*before.current)
    if waiting is None:  # the bot changed under the conversation
        return _entry(program.fallback_flow)
    if waiting.type != "keyboard":  # an operator moved the conversation here
        return waiting
    return _answer_keyboard(program, waiting, message, run, clock)


def _restores(program: Program, before: ConversationState, is_new: bool) -> bool:
    return (
        not is_new
        and program.session.restore_navigation
        and before.current is not None
        and program.node(*before.current) is not None
    )


def _answer_keyboard(
    program: Program, waiting: CompiledNode, message: InboundMessage, run: Run, clock: RegexClock
) -> CompiledNode:
    started = perf_counter_ns()
    answer: dict[str, Any] = {"flowId": waiting.flow.id, "nodeId": waiting.id, "text": message.text}
    # what a location (or media) answer carries: `keyboard.value.latitude` (CLOSER's guide)
    if message.location is not None:
        answer["value"] = message.location
    elif message.media is not None:
        answer["value"] = message.media
    run.context["keyboard"] = answer
    step = TraceStep(waiting.flow.id, waiting.id, waiting.type, waiting.label, phase="input")
    run.trace.append(step)
    try:
        choice = choose_edge(waiting.edges, run.context, clock)
    except ConditionError as exc:
        raise _located(waiting, exc) from exc
    finally:
        step.elapsed_ns = perf_counter_ns() - started
    step.edge = choice
    if run.observe is not None:
        run.observe(waiting, choice, run.context)
    if choice.edge is None:
        return _entry(program.fallback_flow)
    return choice.edge.target


# --- the run loop (SPEC §4.3) ---------------------------------------------------------


def _located(node: CompiledNode, exc: Exception) -> TurnError:
    reason = exc.message if isinstance(exc, TurnError | ConditionError) else str(exc)
    message = f"flow {node.flow.id} node {node.id} ({node.type}): {reason}"
    if _hit_limit(exc):
        return TurnLimitError(message, node.flow.id, node.id, reason)
    return TurnError(message)


def _hit_limit(exc: BaseException) -> bool:
    """Whether `exc` is one of the limits, or was raised because of one (a ConditionError)."""
    cause: BaseException | None = exc
    for _ in range(4):  # short chains: a ConditionError from a RegexTimeoutError, say
        if cause is None:
            return False
        if isinstance(cause, _LIMIT_ERRORS):
            return True
        cause = cause.__cause__
    return False


async def _within(
    run: Run, work: Coroutine[Any, Any, CompiledNode | None], seconds: float
) -> CompiledNode | None:
    try:
        async with asyncio.timeout(seconds):
            return await work
    except TimeoutError:
        where = run.trace[-1] if run.trace else None
        flow_id, node_id = (where.flow_id, where.node_id) if where is not None else (None, None)
        reason = f"the turn took over {seconds:g} s"
        if where is not None:
            where.error = reason
        raise TurnLimitError(
            f"{reason} (stopped at flow {flow_id} node {node_id})", flow_id, node_id, reason
        ) from None


async def _first_question(
    program: Program, message: InboundMessage, run: Run, clock: RegexClock
) -> CompiledNode | None:
    """A message without a session, in a bot that sends no welcome for it.

    CLOSER then "starts answering at the first user input node": the start
    flow runs unseen (its replies dropped, its trace steps marked "unseen") up
    to the keyboard node it stops at, and the message is that node's answer.
    A start flow that stops at no keyboard node leaves the message to the
    fallback flow.
    """
    first = len(run.trace)
    waiting = await _execute(run, _entry(program.start_flow), clock)
    unseen = run.trace[first:]
    for step in unseen:
        step.phase = "unseen"
    run.replies.clear()
    run.quick_replies = []
    if waiting is None or waiting.type != "keyboard":
        run.handoff = None  # a manual node first: nobody is called for a screen never shown
        start = _entry(program.fallback_flow)
    else:
        start = _answer_keyboard(program, waiting, message, run, clock)
    # both runs share the turn's MAX_STEPS
    return await _execute(run, start, clock, len(unseen))


async def _execute(
    run: Run, node: CompiledNode, clock: RegexClock, steps: int = 0
) -> CompiledNode | None:
    """Run from `node`; the keyboard node the run stopped at, or None when it ended.

    `steps`: the nodes the turn has already run (they count towards MAX_STEPS).
    """
    run.start_run(node)
    trace = run.trace
    context = run.context
    while True:
        steps += 1
        if steps > MAX_STEPS:
            reason = f"more than {MAX_STEPS} nodes in one turn (a loop without a keyboard node?)"
            raise TurnLimitError(
                f"more than {MAX_STEPS} nodes in one turn, stopped at flow {node.flow.id} "
                f"node {node.id} (a loop without a keyboard node?)",
                node.flow.id,
                node.id,
                reason,
            )
        started = perf_counter_ns()
        step = TraceStep(node.flow.id, node.id, node.type, node.label)
        trace.append(step)
        run.step_params = None
        try:
            outcome = await node.handler.execute(node, run)
            step.data = outcome.detail
            step.params = run.step_params
            kind = outcome.kind
            if kind == "wait":
                step.elapsed_ns = perf_counter_ns() - started
                return node
            if kind == "jump":
                assert outcome.target is not None
                step.elapsed_ns = perf_counter_ns() - started
                node = outcome.target
                continue
            if kind == "end":
                step.elapsed_ns = perf_counter_ns() - started
                return None
            choice = choose_edge(node.edges, context, clock)
            step.edge = choice
            if run.observe is not None:
                run.observe(node, choice, context)
            if outcome.failure is not None and (choice.edge is None or choice.edge.size == 0):
                # only an edge with a condition handles a failure; an unconditional
                # edge is the happy path the builder drew
                raise TurnError(outcome.failure)
        except _TURN_ERRORS as exc:
            error = _located(node, exc)
            step.error = error.message
            step.elapsed_ns = perf_counter_ns() - started
            raise error from exc
        step.elapsed_ns = perf_counter_ns() - started
        if choice.edge is None:
            return None
        node = choice.edge.target


# --- results ------------------------------------------------------------------------


def _same(a: Position | None, b: Position) -> bool:
    return a is not None and id_key(a[0]) == id_key(b[0]) and id_key(a[1]) == id_key(b[1])


def _render_system(template: Template, fallback: str, context: dict[str, Any]) -> dict[str, Any]:
    try:
        text = template.render(context)
    except TemplateError:
        text = fallback
    return {"type": "text", "text": text}


def _last_message(before: ConversationState, message: InboundMessage) -> Any:
    # an "open" event is not something the user said
    return before.last_message if message.event == "open" else stored_message(message)


def _finished(
    program: Program,
    before: ConversationState,
    message: InboundMessage,
    run: Run,
    waiting: CompiledNode | None,
) -> TurnResult:
    context = run.context
    stack = run.back_stack
    if waiting is None:
        current: Position | None = None
        visit_count = 0
        screen_on_top = False
    else:
        current = waiting.position
        visit_count = before.visit_count + 1 if _same(before.current, current) else 1
        if run.push_consumed:
            screen_on_top = False
        else:
            assert run.run_start is not None
            stack = backstack.push(stack, run.run_start.position)
            screen_on_top = True
    replies = run.replies
    if not replies:
        replies = [_render_system(program.system.empty, _DEFAULT_SYSTEM.empty, context)]
    fetch, sandbox = context["fetch"], context["sandbox"]
    state = ConversationState(
        current=current,
        visit_count=visit_count,
        prev=before.current,
        params=run.params,
        back_stack=stack,
        screen_on_top=screen_on_top,
        # (a turn without fetch or sandbox nodes keeps the objects it began with)
        fetch=fetch if fetch is before.fetch else _kept(fetch, "data"),
        sandbox=sandbox if sandbox is before.sandbox else _kept(sandbox, "result"),
        keyboard=context["keyboard"],
        error=None,
        last_message=_last_message(before, message),
        handoff=run.handoff,
    )
    if (
        state.params is not before.params
        or state.fetch is not before.fetch
        or state.sandbox is not before.sandbox
    ):
        _check_size(state, run)
    quick_replies = run.quick_replies if waiting is not None else []
    result = _result(program, state, replies, quick_replies, run.trace, None)
    if run.handoff is not None:
        result.handoff = "requested"
    return result


def _check_size(state: ConversationState, run: Run) -> None:
    """Refuse a state that would outgrow MAX_PARAMS or MAX_STATE_CHARS (the turn then fails).

    The state is rewritten with every later save and read into every later
    turn: a visitor who makes a loop append to a param would otherwise grow it
    without bound (and every turn after it slower).
    """
    where = run.trace[-1] if run.trace else None
    flow_id, node_id = (where.flow_id, where.node_id) if where is not None else (None, None)
    if len(state.params) > MAX_PARAMS:
        reason = f"{len(state.params)} params, at most {MAX_PARAMS}"
        raise TurnLimitError(f"the conversation would keep {reason}", flow_id, node_id, reason)
    size = _json_size([state.params, state.fetch, state.sandbox])
    if size > MAX_STATE_CHARS:
        reason = f"params and node results of {size:,} characters, at most {MAX_STATE_CHARS:,}"
        raise TurnLimitError(f"the conversation would keep {reason}", flow_id, node_id, reason)


def _kept(result: Any, field: str) -> Any:
    """What a fetch or sandbox result keeps in the state: all of it, up to MAX_RESULT_CHARS.

    The turn that fetched sees the whole answer; the state, rewritten with every
    later save, keeps a larger answer's status and error but not its `field`
    (`data` or `result`), which later turns see as null beside `omitted`: its size.
    """
    if not isinstance(result, dict):
        return result
    size = _json_size(result)
    if size <= MAX_RESULT_CHARS:
        return result
    return {**result, field: None, "omitted": size}


def _json_size(value: Any) -> int:
    try:
        return len(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str))
    except (orjson.JSONEncodeError, TypeError):  # integers over 64 bits, deep values
        return len(json.dumps(value, ensure_ascii=False, default=str))


def _idle(
    program: Program,
    before: ConversationState,
    message: InboundMessage,
    run: Run,
    is_new: bool,
) -> TurnResult:
    """An "open" that runs nothing: restore the waiting position, or just start a session.

    A session started so (no welcome) stays `unstarted` until something runs:
    the user's first message is still a message without a session.
    """
    quick_replies: list[dict[str, Any]] = []
    if before.current is not None and _restores(program, before, False):
        waiting = program.node(*before.current)
        if waiting is not None and waiting.type == "keyboard":
            try:
                quick_replies = render_quick_replies(waiting, run.context)
            except _TURN_ERRORS:
                quick_replies = []
        return _result(program, before, [], quick_replies, run.trace, None)
    state = replace(
        before,
        current=None,
        visit_count=0,
        prev=before.current,
        unstarted=is_new or before.unstarted,
    )
    return TurnResult(state, [], [], run.trace, None)


def _failed(
    program: Program,
    before: ConversationState,
    message: InboundMessage,
    run: Run,
    exc: Exception,
) -> TurnResult:
    error = exc.message if isinstance(exc, TurnError | ConditionError) else str(exc)
    context = dict(run.context)
    context["error"] = error
    context["params"] = before.params
    reply = _render_system(program.system.error, _DEFAULT_SYSTEM.error, context)
    state = replace(
        before,
        current=None,
        visit_count=0,
        prev=before.current,
        error=error,
        last_message=_last_message(before, message),
        unstarted=False,
    )
    return _result(program, state, [reply], [], run.trace, error)


def _result(
    program: Program,
    state: ConversationState,
    replies: list[dict[str, Any]],
    quick_replies: list[dict[str, Any]],
    trace: list[TraceStep],
    error: str | None,
) -> TurnResult:
    if not program.uses_mask:
        return TurnResult(state, replies, quick_replies, trace, error)
    # One walk tells whether any marker is there (user text may bring stray
    # ones too): the shown replies never carry markers, the logged ones star.
    logged = None
    if contains_mask(replies):
        logged = star_value(replies)
        replies = reveal_value(replies)
    if contains_mask(quick_replies):
        quick_replies = reveal_value(quick_replies)
    return TurnResult(state, replies, quick_replies, trace, error, logged)
