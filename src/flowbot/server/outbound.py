"""Replies on their way to a conversation's channel: rendered, logged once per node, delivered.

`Outbound` is what the routes and the JSON API use after (or instead of) a
turn: `renderer` gives the channel's pure `render` for one recipient,
`deliver` sends a rendering's platform calls through the shared transport,
and `send` reaches a conversation from outside a turn — the widget's event
stream on the web, the platform's push API on Facebook and LINE (queued
behind the conversation's own turns, so it never overtakes one).

What a channel could not show as drawn is logged once per bot, channel,
node and place, with the flow and node the message came from: a busy bot
would otherwise repeat the same line every turn.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from flowbot.channels import CHANNELS, ChannelSettings, Degradation, Recipient, Rendered
from flowbot.channels.fitting import absolute_uris
from flowbot.delivery import ConversationQueues, DeliveryReport, Transport
from flowbot.engine import TurnResult
from flowbot.format.models import Id
from flowbot.server.conversations import Render, lock_key
from flowbot.server.errors import ServiceError
from flowbot.server.push import PushHub
from flowbot.store import Conversation

__all__ = ["DeliveryFailed", "Outbound", "reply_origins"]

logger = logging.getLogger("flowbot.channels")

# how many distinct degradations are remembered as already logged
_LOGGED_LIMIT = 10_000


class DeliveryFailed(ServiceError):
    """The platform refused a message sent through the JSON API."""

    status = 502


class CannotPush(ServiceError):
    status = 409


def reply_origins(result: TurnResult) -> list[tuple[Id, Id] | None]:
    """The (flow, node) each reply came from; None for a system message."""
    if result.error is not None:
        return [None] * len(result.replies)
    origins: list[tuple[Id, Id] | None] = [
        (step.flow_id, step.node_id)
        for step in result.trace
        if step.phase == "run"
        and step.error is None
        and (
            (step.type == "response" and step.data)
            # a sandbox script's returned message
            or (step.type == "sandbox" and isinstance(step.data, dict) and "sent" in step.data)
        )
    ]
    if len(origins) != len(result.replies):  # the `empty` system message
        return [None] * len(result.replies)
    return origins


def _keyboard_origin(result: TurnResult) -> tuple[Id, Id] | None:
    for step in reversed(result.trace):
        if step.type == "keyboard":
            return (step.flow_id, step.node_id)
    return None


class Outbound:
    def __init__(
        self,
        settings: Mapping[tuple[str, str], ChannelSettings],
        hub: PushHub,
        transport: Transport,
        queues: ConversationQueues,
        public_url: str | None = None,
    ) -> None:
        # (bot id, channel) → that bot's settings for that messenger
        self.settings = settings
        self.hub = hub
        self.transport = transport
        self.queues = queues
        # root-relative URIs become absolute on it for the messengers
        self.public_url = public_url
        self._logged: set[tuple[str, ...]] = set()

    def channel_settings(self, bot_id: str, channel: str) -> ChannelSettings | None:
        return self.settings.get((bot_id, channel))

    def renderer(
        self,
        bot_id: str,
        channel: str,
        user_key: str,
        *,
        reply_token: str | None = None,
        push: bool = False,
    ) -> Render:
        """The channel's rendering of one turn for this recipient."""
        module = CHANNELS[channel]
        recipient = Recipient(bot_id, user_key, reply_token, push)
        capabilities = module.capabilities

        public = self.public_url if channel != "web" else None

        def render(result: TurnResult) -> Rendered:
            replies = result.replies if public is None else absolute_uris(result.replies, public)
            rendered = module.render(replies, result.quick_replies, recipient, capabilities)
            if rendered.notes:
                self._log(bot_id, channel, result, rendered.notes)
            return rendered

        return render

    def render_push(
        self,
        conversation: Conversation,
        messages: Sequence[Mapping[str, Any]],
        quick_replies: Sequence[Mapping[str, Any]],
    ) -> Rendered:
        """Messages from the JSON API, in the conversation's channel's form."""
        module = CHANNELS.get(conversation.channel)
        if module is None or not module.capabilities.can_push:
            raise CannotPush(
                f"the {conversation.channel} channel cannot reach a user outside a turn"
            )
        recipient = Recipient(conversation.bot_id, conversation.user_key, push=True)
        if self.public_url is not None and conversation.channel != "web":
            messages = absolute_uris(messages, self.public_url)
        rendered = module.render(messages, quick_replies, recipient, module.capabilities)
        for note in rendered.notes:
            logger.info(
                "bot %s %s conversation %s: pushed message degraded: %s",
                conversation.bot_id,
                conversation.channel,
                conversation.id,
                note,
            )
        return rendered

    async def deliver(
        self, bot_id: str, channel: str, rendered: Rendered, what: str
    ) -> DeliveryReport:
        """Send a rendering's platform calls, in order (nothing to send on the web)."""
        if not rendered.calls:
            return DeliveryReport()
        settings = self.channel_settings(bot_id, channel)
        if settings is None:  # the bot lost the channel's settings (a reload)
            logger.warning("%s: no %s settings for bot %s: not sent", what, channel, bot_id)
            return DeliveryReport(failed=len(rendered.calls), last_error="no channel settings")
        return await self.transport.deliver(CHANNELS[channel], settings, rendered.calls, what)

    async def send(
        self,
        conversation: Conversation,
        rendered: Rendered,
        source: str = "api",
        agent: str | None = None,
    ) -> int:
        """Reach the conversation outside a turn; how many clients or platforms took it.

        On a messenger the calls wait behind the conversation's queued turns;
        a refusal by the platform raises `DeliveryFailed`.
        """
        if rendered.answer is not None:
            event = {**rendered.answer, "source": source}
            if agent is not None:
                event["agent"] = agent  # the widget shows who wrote
            return await self.hub.publish(conversation.id, event)
        if not rendered.calls:
            return 0
        what = f"conversation {conversation.id}"
        key = lock_key((conversation.bot_id, conversation.channel, conversation.user_key))

        async def job() -> DeliveryReport:
            return await self.deliver(conversation.bot_id, conversation.channel, rendered, what)

        report: DeliveryReport = await self.queues.submit(key, job)
        if not report.ok:
            raise DeliveryFailed(f"{conversation.channel} refused the message: {report.last_error}")
        return 1

    def _log(
        self, bot_id: str, channel: str, result: TurnResult, notes: Sequence[Degradation]
    ) -> None:
        origins = reply_origins(result)
        for note in notes:
            origin = (
                _keyboard_origin(result)
                if note.message is None
                else origins[note.message]
                if note.message < len(origins)
                else None
            )
            flow, node = origin if origin is not None else ("-", "-")
            seen = (bot_id, channel, str(flow), str(node), str(note.message is None), note.path)
            if seen in self._logged:
                continue
            if len(self._logged) >= _LOGGED_LIMIT:
                self._logged.clear()
            self._logged.add(seen)
            where = "quick replies" if note.message is None else note.path or "message"
            logger.warning(
                "bot %s channel %s flow %s node %s: %s: %s (logged once)",
                bot_id,
                channel,
                flow,
                node,
                where,
                note.note,
            )
