"""Conversations with a person: the agents' side of a `manual` node.

A manual node marks the conversation as waiting for an agent
(`ConversationState.handoff`), and its turn writes the webhook event
`bot.conversation.agent_call_requested` (`ConversationService._turn_events`);
while it is with a person the bot does not answer, and the user's messages
are kept in the transcript and sent to the agents' live view. Agents list
the waiting and active conversations, join one, reply as themselves (their
messages reach the user on the conversation's own channel, marked with
their name), move the user to a flow, and end the handoff — through the JSON
API (`flowbot.server.agents`) and the agent console at `/agent`.

The agents' live view is the `AGENTS` subscription of the push hub: every
handoff event of every bot goes there, as `{"type", "botId",
"conversationId", …}`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal

from flowbot.engine import ConversationState, InboundMessage, TurnResult
from flowbot.events import EventDispatcher
from flowbot.server.bots import BotRegistry
from flowbot.server.conversations import ChannelTurn, ConversationService, Render
from flowbot.server.errors import NotFound, ServiceError
from flowbot.server.outbound import Outbound
from flowbot.server.push import PushHub
from flowbot.server.transcript import inbound_json
from flowbot.store import Conversation, Store

__all__ = ["AGENTS", "HandoffError", "Handoffs", "handoff_of"]

logger = logging.getLogger("flowbot.server")

# the push hub's key for the agents' live view
AGENTS = "\x00agents"

Status = Literal["waiting", "active"]


class HandoffError(ServiceError):
    """The conversation is not in the handoff state the operation needs."""

    status = 409


def handoff_of(conversation: Conversation) -> dict[str, Any] | None:
    state = conversation.state or {}
    handoff = state.get("handoff")
    return dict(handoff) if isinstance(handoff, dict) else None


class Handoffs:
    def __init__(
        self,
        service: ConversationService,
        outbound: Outbound,
        hub: PushHub,
        events: EventDispatcher,
        store: Store,
        bots: BotRegistry,
    ) -> None:
        self.service = service
        self.outbound = outbound
        self.hub = hub
        self.events = events
        self.store = store
        self.bots = bots
        service.turn_listeners.append(self._after_turn)

    # --- what turns tell the agents ---------------------------------------------------

    def _after_turn(
        self, conversation: Conversation, inbound: InboundMessage, result: TurnResult
    ) -> None:
        if result.handoff is None:
            return
        # (the webhook events of these are the turn's own, saved with it)
        if result.handoff == "requested":
            handoff = dict(result.state.handoff or {})
            self._tell("requested", conversation, handoff=handoff)
        elif result.handoff == "held":
            self._tell("message", conversation, message=inbound_json(inbound))
        elif result.handoff == "cancelled":
            self._tell("ended", conversation, by="user")

    def _tell(self, kind: str, conversation: Conversation, **data: Any) -> None:
        self.hub.publish_soon(
            AGENTS,
            {
                "type": kind,
                "botId": conversation.bot_id,
                "conversationId": conversation.id,
                "channel": conversation.channel,
                **data,
            },
        )

    # --- what agents do ----------------------------------------------------------------

    async def listed(self, bot_id: str | None, status: Status | None) -> list[Conversation]:
        """The conversations with a handoff (of one bot, or all), longest waiting first."""
        found: list[Conversation] = []
        for bot in [bot_id] if bot_id is not None else self.bots.ids():
            for conversation in await self.store.list_conversations(bot, 1000):
                handoff = handoff_of(conversation)
                if handoff is not None and status in (None, handoff.get("status")):
                    found.append(conversation)
        found.sort(key=lambda c: str((handoff_of(c) or {}).get("since", "")))
        return found

    async def join(self, conversation_id: str, agent: str) -> Conversation:
        def joined(state: ConversationState) -> ConversationState:
            handoff = state.handoff
            if handoff is None:
                raise HandoffError("the conversation is not waiting for an agent")
            if handoff.get("status") == "active" and handoff.get("agent") != agent:
                raise HandoffError(f"{handoff.get('agent')} has this conversation already")
            now = datetime.now(UTC).isoformat(timespec="milliseconds")
            return _with_handoff(
                state, {**handoff, "status": "active", "agent": agent, "joined": now}
            )

        conversation = await self.service.update_state(conversation_id, joined)
        await self.events.publish(
            "bot.conversation.agent_joined",
            bot_id=conversation.bot_id,
            conversation_id=conversation.id,
            data={"agent": agent},
        )
        self._tell("joined", conversation, agent=agent)
        # the widget shows who joined
        await self.hub.publish(
            conversation.id, {"replies": [], "source": "agent", "agent": agent, "joined": True}
        )
        return conversation

    async def reply(self, conversation_id: str, agent: str, messages: list[dict[str, Any]]) -> int:
        """An agent's messages, on the conversation's own channel; how many clients got them."""
        conversation = await self.service.existing(conversation_id)
        handoff = handoff_of(conversation)
        if handoff is None or handoff.get("status") != "active" or handoff.get("agent") != agent:
            raise HandoffError(f"{agent} has not joined this conversation")
        marked = [{**message, "agent": agent} for message in messages]
        rendered = self.outbound.render_push(conversation, marked, [])
        await self.service.record_push(conversation_id, marked, rendered.payload_keys)
        self._tell("agent_message", conversation, agent=agent, messages=marked)
        return await self.outbound.send(conversation, rendered, source="agent", agent=agent)

    async def end(
        self,
        conversation_id: str,
        agent: str | None,
        flow_id: str | None = None,
        node_id: str | None = None,
        render_for: Callable[[Conversation], Render] | None = None,
    ) -> ChannelTurn | Conversation:
        """End the handoff; with `flow_id`, the bot takes over there at once."""
        if flow_id is not None:
            # checked first: a move that cannot happen must not end the handoff
            conversation = await self.service.existing(conversation_id)
            program = self.bots.get(conversation.bot_id)
            if program is None or program.node(flow_id, node_id) is None:
                what = (
                    f"flow {flow_id!r}"
                    if node_id is None
                    else f"node {node_id!r} of flow {flow_id!r}"
                )
                raise NotFound(f"bot {conversation.bot_id!r} has no {what}")

        def ended(state: ConversationState) -> ConversationState:
            if state.handoff is None:
                raise HandoffError("the conversation is not with an agent")
            return _with_handoff(state, None).with_navigation(None)

        conversation = await self.service.update_state(conversation_id, ended)
        await self.events.publish(
            "bot.conversation.handoff_ended",
            bot_id=conversation.bot_id,
            conversation_id=conversation.id,
            data={"by": "agent", "agent": agent},
        )
        self._tell("ended", conversation, by="agent", agent=agent)
        if flow_id is None:
            return conversation
        return await self.service.change_navigation(
            conversation_id, flow_id, node_id, render=render_for
        )


def _with_handoff(state: ConversationState, handoff: dict[str, Any] | None) -> ConversationState:
    return replace(state, handoff=handoff)
