"""The messenger webhooks: `GET|POST /channels/{channel}/{botId}[/{pathToken}]`.

One route serves every messenger in `flowbot.channels.registry`, the way
python-telegram-bot's and aiogram's webhook handlers are built: check the
request came from the platform (`verify`), `parse` its events, queue one
turn per event behind the conversation's earlier work, and answer.

- Facebook and LINE answer 200 at once; the turns and their sends run
  afterwards (`ConversationQueues`), so a slow Send API never delays the
  acknowledgement the platform waits for.
- KakaoTalk and TalkTalk (`sync_reply`) take the answer in the HTTP response
  (`flowbot.server.sync_answers`): the route waits for the turn, up to
  ANSWER_BUDGET, and answers with what it rendered; a later answer goes by
  Kakao's callback URL or TalkTalk's send API. Their URL ends in the path
  token that stands in for a signature.

Refusals are 4xx with a log line, never a 500: 404 for an unknown channel, a
bot without that channel's settings or a wrong path token (nothing is
revealed), 403 for a missing or wrong signature or an address outside the
allow-list, 400 for a body that is not the platform's, 413 over
MAX_WEBHOOK_BYTES, 503 when the queues are full (the platform retries).
"""

from __future__ import annotations

import logging
from typing import cast

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from flowbot.channels import (
    MESSENGERS,
    ChannelInputError,
    ChannelModule,
    ChannelRefused,
    InboundEvent,
    WebhookRequest,
    channel,
)
from flowbot.channels.base import SyncChannelModule
from flowbot.delivery import QueueFull
from flowbot.server.context import ServerContext
from flowbot.server.conversations import TurnRequest, lock_key
from flowbot.server.http import BodyTooLarge, error_response, read_body
from flowbot.server.sync_answers import answer_in_response

__all__ = ["MAX_WEBHOOK_BYTES", "channel_routes"]

logger = logging.getLogger("flowbot.server")

# Facebook batches up to 1,000 events in one body; a few KB each at most.
MAX_WEBHOOK_BYTES = 1024 * 1024


def channel_routes(ctx: ServerContext) -> list[BaseRoute]:
    async def webhook(request: Request) -> Response:
        name = request.path_params["channel"]
        bot_id = request.path_params["bot_id"]
        module = channel(name) if name in MESSENGERS else None
        settings = ctx.outbound.channel_settings(bot_id, name) if module is not None else None
        if module is None or settings is None or bot_id not in ctx.bots:
            return error_response(request, 404, f"no {name} webhook for bot {bot_id!r}")
        try:
            body = await read_body(
                request.receive, request.headers.get("content-length"), MAX_WEBHOOK_BYTES
            )
        except BodyTooLarge:
            return error_response(request, 413, f"the body is over {MAX_WEBHOOK_BYTES} bytes")
        except ClientDisconnect:
            return Response(status_code=400)
        hook = WebhookRequest(
            method=request.method,
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in request.scope["headers"]},
            query=dict(request.query_params),
            body=body,
            client=request.client.host if request.client else None,
            path_token=request.path_params.get("path_token"),
        )
        if request.method == "GET":
            answer = module.handshake(settings, hook)
            if answer is None:
                return error_response(
                    request, 405, f"{name} webhooks take POST only", headers={"Allow": "POST"}
                )
            if answer.status != 200:
                logger.info(
                    "GET %s -> %d %s handshake refused", request.scope["path"], answer.status, name
                )
            return Response(answer.body, answer.status, media_type=answer.media_type)
        try:
            module.verify(settings, hook)
        except ChannelRefused as refusal:
            return error_response(request, refusal.status, refusal.message)
        try:
            parsed = module.parse(hook)
        except ChannelInputError as error:
            return error_response(request, error.status, error.message, error.problems)
        if module.capabilities.sync_reply:
            try:
                sync = cast(SyncChannelModule, module)
                return await answer_in_response(ctx, sync, settings, bot_id, parsed)
            except QueueFull as full:
                logger.warning("%s webhook of %s refused: %s", name, bot_id, full)
                return error_response(request, 503, "too busy: try again later")
        try:
            for event in parsed.events:
                _queue_turn(ctx, module, bot_id, event)
        except QueueFull as full:
            logger.warning("%s webhook of %s refused: %s", name, bot_id, full)
            return error_response(request, 503, "too busy: try again later")
        ack = parsed.acknowledgement
        return Response(ack.body, ack.status, media_type=ack.media_type)

    return [
        Route("/channels/{channel}/{bot_id}", webhook, methods=["GET", "POST"]),
        Route("/channels/{channel}/{bot_id}/{path_token}", webhook, methods=["POST"]),
    ]


def _queue_turn(
    ctx: ServerContext, module: ChannelModule, bot_id: str, event: InboundEvent
) -> None:
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
        durable_send=True,
    )
    render = ctx.outbound.renderer(bot_id, name, event.user_key, reply_token=event.reply_token)

    async def turn_and_send() -> None:
        turn = await ctx.service.turn(request, render)
        if turn.repeated:
            return
        what = f"conversation {turn.conversation.id}"
        await ctx.outbound.deliver(bot_id, name, turn.rendered, what)
        if turn.send_id is not None:
            # sent (or refused by the platform, which a resend would not change)
            try:
                await ctx.store.mark_sent([turn.send_id])
            except Exception as error:  # the store is away: a relay sends it again later
                logger.warning("%s: send not marked done: %r", what, error)

    ctx.outbound.queues.submit(lock_key((bot_id, name, event.user_key)), turn_and_send)
