"""Channels that take the turn's answer in the webhook's HTTP response: KakaoTalk, TalkTalk.

Kakao i Open Builder gives a skill server 5 seconds and shows its own
failure message after them; TalkTalk answers the first message from the
response body and takes the rest through its send API. So the route runs
the turn itself, queued behind the conversation's earlier work like every
messenger turn, and waits for it up to ANSWER_BUDGET:

- in time: the rendered answer is the response body; further platform calls
  (TalkTalk's second and later messages) go afterwards, in order;
- late: the channel's `late_acknowledgement` is answered at once (Kakao's
  `useCallback` when the request carried a callback URL, else the bot's
  error message; TalkTalk's empty 200) and, when the turn finishes, its
  `late_calls` deliver what it rendered (the callback POST; TalkTalk's
  whole answer by the send API).

A channel also bounds the turn's own time (`time_limit`): without a
callback, Kakao's turn stops in time to answer with the error message, and
then keeps nothing of its run.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from starlette.responses import Response

from flowbot.channels import Acknowledgement, InboundEvent, Parsed, Rendered
from flowbot.channels.base import SyncChannelModule
from flowbot.engine import Program
from flowbot.format.models import SystemMessages
from flowbot.server.context import ServerContext
from flowbot.server.conversations import ChannelTurn, TurnRequest, lock_key

__all__ = ["ANSWER_BUDGET", "answer_in_response"]

logger = logging.getLogger("flowbot.server")

# Kakao waits 5 s for a skill's answer; the rest is the network's and Kakao's.
ANSWER_BUDGET = 3.5


def json_answer(answer: Any) -> Response:
    return Response(orjson.dumps(answer), 200, media_type="application/json")


def _response(ack: Acknowledgement) -> Response:
    return Response(ack.body, ack.status, media_type=ack.media_type)


def error_text(program: Program) -> str:
    """The bot's error message, as a turn that fails shows it (without a context)."""
    try:
        return program.system.error.render({})
    except Exception:  # a template that needs a context: the built-in text
        return SystemMessages().error


async def answer_in_response(
    ctx: ServerContext,
    module: SyncChannelModule,
    settings: Any,
    bot_id: str,
    parsed: Parsed,
) -> Response:
    if not parsed.events:
        return _response(parsed.acknowledgement)
    # A platform that answers in the response sends one event per request;
    # any further one is answered like an asynchronous channel's.
    first, *others = parsed.events
    for event in others:
        _submit(ctx, module, settings, bot_id, event, late=lambda: True)
    late = False
    future = _submit(ctx, module, settings, bot_id, first, late=lambda: late)
    done, _ = await asyncio.wait({future}, timeout=ANSWER_BUDGET)
    if future in done:
        try:
            turn: ChannelTurn = future.result()
        except Exception as error:  # a refusal of the service, logged by it
            logger.warning("%s turn of bot %s failed: %s", module.NAME, bot_id, error)
            program = ctx.bots.get(bot_id)
            text = error_text(program) if program is not None else ""
            return _response(module.late_acknowledgement(settings, first, text))
        rendered = turn.rendered
        if turn.repeated:
            return _response(parsed.acknowledgement)
        if rendered.calls:
            _deliver_later(ctx, module.NAME, bot_id, first, rendered, turn)
        if rendered.answer is None:  # all by the API (TalkTalk: a delay before the first)
            return _response(parsed.acknowledgement)
        return json_answer(rendered.answer)
    late = True
    future.add_done_callback(_log_failure)
    program = ctx.bots.get(bot_id)
    text = error_text(program) if program is not None else ""
    logger.info(
        "%s turn of bot %s user %s still running after %.1f s: answered at once, the rest later",
        module.NAME,
        bot_id,
        first.user_key,
        ANSWER_BUDGET,
    )
    return _response(module.late_acknowledgement(settings, first, text))


def _log_failure(future: asyncio.Future[ChannelTurn]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.warning("a late turn failed: %s", future.exception())


def _submit(
    ctx: ServerContext,
    module: SyncChannelModule,
    settings: Any,
    bot_id: str,
    event: InboundEvent,
    late: Any,
) -> asyncio.Future[ChannelTurn]:
    """Queue the event's turn; once it ran, deliver what the response could not carry."""
    name = module.NAME
    request = TurnRequest(
        bot_id,
        name,
        event.user_key,
        event.message,
        delivery_id=event.delivery_id,
        durable_delivery=True,
        trusted=True,
        click_key=event.click_key,
        time_limit=module.time_limit(settings, event),
    )
    render = ctx.outbound.renderer(bot_id, name, event.user_key)

    async def turn_then_late_calls() -> ChannelTurn:
        turn = await ctx.service.turn(request, render)
        if late() and not turn.repeated:
            calls = module.late_calls(settings, turn.rendered, event)
            what = f"conversation {turn.conversation.id}"
            if calls:
                await ctx.outbound.deliver(bot_id, name, Rendered(calls=calls), what)
            else:
                logger.warning("%s: the answer came too late for %s and is lost", what, name)
        return turn

    future: asyncio.Future[ChannelTurn] = ctx.outbound.queues.submit(
        lock_key((bot_id, name, event.user_key)), turn_then_late_calls
    )
    return future


def _deliver_later(
    ctx: ServerContext,
    name: str,
    bot_id: str,
    event: InboundEvent,
    rendered: Rendered,
    turn: ChannelTurn,
) -> None:
    """The turn's further messages, behind the conversation's queue (TalkTalk's send API)."""
    what = f"conversation {turn.conversation.id}"
    calls = Rendered(calls=rendered.calls)

    async def send() -> None:
        await ctx.outbound.deliver(bot_id, name, calls, what)

    ctx.outbound.queues.submit(lock_key((bot_id, name, event.user_key)), send)
