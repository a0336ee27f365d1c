"""Running turns for the server: one at a time per conversation, saved once.

A turn is: take the conversation's lock, load its state (from the in-process
cache, else the store), run the engine, then `store.save_turn` the new state
and the transcript rows in one transaction. Nothing is written before the
turn succeeded, so a failing turn leaves the stored state as it was.

The cache holds the last saved state of recent conversations so that the hot
path does not read the database; it is safe with several processes because
every save names the version it started from, and a `ConflictError` (someone
else saved first) reloads the conversation and runs the turn again.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flowbot.engine import ConversationState, InboundMessage, Ports, Program, TurnResult, run_turn
from flowbot.engine.messages import GotoTarget
from flowbot.events import EventDispatcher
from flowbot.server.bots import BotRegistry
from flowbot.server.errors import Forbidden, NotFound, Unavailable
from flowbot.server.locks import KeyedLocks
from flowbot.server.push import PushHub
from flowbot.server.transcript import inbound_json, logged_replies
from flowbot.store import (
    ConflictError,
    Conversation,
    Store,
    TranscriptEntry,
)

__all__ = ["ConversationService", "TurnOutcome"]

logger = logging.getLogger("flowbot.server")

SAVE_ATTEMPTS = 3
NEEDS_TOKEN = "this userKey has a conversation: send its token as 'Authorization: Bearer <token>'"


@dataclass(slots=True)
class _Cached:
    conversation: Conversation
    state: ConversationState | None


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    conversation: Conversation
    result: TurnResult
    created: bool


class ConversationService:
    def __init__(
        self,
        store: Store,
        bots: BotRegistry,
        *,
        events: EventDispatcher,
        hub: PushHub,
        ports: Ports | None = None,
        cache_size: int = 10_000,
        replay_size: int = 10_000,
    ) -> None:
        self.store = store
        self.bots = bots
        self.events = events
        self.hub = hub
        self.ports = ports
        self._locks = KeyedLocks()
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._ids: dict[tuple[str, str, str], str] = {}
        self._cache_size = cache_size
        # (conversation id, client message id) → the answer already given.
        self._replays: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._replay_size = replay_size

    # --- the web channel --------------------------------------------------------

    async def web_turn(
        self,
        bot_id: str,
        message: InboundMessage,
        token: str | None,
        message_id: str | None,
        render: Any,
    ) -> dict[str, Any]:
        """One web-channel request: the answer JSON (`render`ed replies + ids)."""
        program = self._program(bot_id)
        key = (bot_id, "web", message.user_key)
        async with self._locks.hold(_lock_key(key)):
            cached = await self._find(key)
            created = False
            if cached is None:
                conversation = await self._create(key)
                cached, created = self._remember(conversation), True
            elif not _may_use(cached.conversation, token):
                raise Forbidden(NEEDS_TOKEN)
            conversation = cached.conversation
            if message_id is not None:
                replayed = self._replays.get((conversation.id, message_id))
                if replayed is not None:
                    logger.info(
                        "conversation %s: message %s answered again", conversation.id, message_id
                    )
                    return replayed
            outcome = await self._run(program, cached, message, created=created)
            answer: dict[str, Any] = render(outcome.result.replies, outcome.result.quick_replies)
            answer["conversationId"] = conversation.id
            answer["token"] = conversation.token
            if message_id is not None:
                self._remember_answer((conversation.id, message_id), answer)
            return answer

    async def open_stream(
        self, bot_id: str, conversation_id: str, token: str | None
    ) -> Conversation:
        """The conversation an EventSource may follow (403 on a wrong token)."""
        self._program(bot_id)
        conversation = await self.get(conversation_id)
        if conversation is None or conversation.bot_id != bot_id:
            raise NotFound(f"bot {bot_id!r} has no conversation {conversation_id!r}")
        if not token or not hmac.compare_digest(token, conversation.token):
            raise Forbidden("the token does not open this conversation")
        return conversation

    # --- the JSON API -----------------------------------------------------------

    async def get(self, conversation_id: str) -> Conversation | None:
        cached = self._cache.get(conversation_id)
        if cached is not None:
            return cached.conversation
        return await self.store.get_conversation(conversation_id)

    async def change_navigation(
        self, conversation_id: str, flow_id: str, node_id: str | None, *, run: bool = False
    ) -> TurnOutcome | Conversation:
        """Move a conversation to a flow's entry or one of its nodes (CLOSER's changeNavigation).

        By default only the position changes: the next user message starts
        there. With `run` the target runs now like a goto click, and its
        replies go to the conversation's open widgets. Raises `NotFound` for
        an unknown conversation, flow or node.
        """
        conversation = await self._existing(conversation_id)
        program = self._program(conversation.bot_id)
        target = program.node(flow_id, node_id)
        if target is None:
            what = (
                f"flow {flow_id!r}" if node_id is None else f"node {node_id!r} in flow {flow_id!r}"
            )
            raise NotFound(f"bot {conversation.bot_id!r} has no {what}")
        key = (conversation.bot_id, conversation.channel, conversation.user_key)
        async with self._locks.hold(_lock_key(key)):
            cached = await self._reload(conversation_id)
            if not run:
                return await self._move(cached, target.position)
            message = InboundMessage(
                conversation_key=conversation_id,
                type="event",
                event="navigation",
                goto=GotoTarget(flow_id, node_id),
                channel=conversation.channel,
                user_key=conversation.user_key,
            )
            outcome = await self._run(program, cached, message, created=False)
        result = outcome.result
        if result.replies or result.quick_replies:
            self.hub.publish(
                conversation_id,
                {"replies": result.replies, "quickReplies": result.quick_replies, "source": "api"},
            )
        return outcome

    async def _move(self, cached: _Cached, position: tuple[Any, Any]) -> Conversation:
        for _ in range(SAVE_ATTEMPTS):
            conversation = cached.conversation
            state = (cached.state or ConversationState.new()).with_navigation(*position)
            state_json = state.to_json()
            try:
                version = await self.store.save_turn(
                    conversation.id, state_json, [], conversation.version
                )
            except ConflictError:
                cached = await self._reload(conversation.id)
                continue
            conversation = _saved(conversation, state_json, version, datetime.now(UTC))
            self._remember(conversation, state)
            self.events.emit(
                "bot.conversation.updated",
                bot_id=conversation.bot_id,
                conversation_id=conversation.id,
                data={"navigation": state.navigation, "version": version, "error": None},
            )
            return conversation
        self.forget(cached.conversation.id)
        raise Unavailable("the conversation is busy in another process; try again")

    async def push(
        self,
        conversation_id: str,
        messages: list[dict[str, Any]],
        quick_replies: list[dict[str, Any]],
    ) -> tuple[Conversation, int]:
        """Send messages to a conversation from outside; recorded in its transcript.

        Returns the conversation and the number of open widgets reached.
        """
        conversation = await self._existing(conversation_id)
        key = (conversation.bot_id, conversation.channel, conversation.user_key)
        async with self._locks.hold(_lock_key(key)):
            at = datetime.now(UTC)
            await self.store.append_transcript(
                conversation_id, [TranscriptEntry("out", message, at) for message in messages]
            )
            reached = self.hub.publish(
                conversation_id,
                {"replies": messages, "quickReplies": quick_replies, "source": "api"},
            )
        for message in messages:
            self.events.emit(
                "bot.message.sent",
                bot_id=conversation.bot_id,
                conversation_id=conversation_id,
                data={"message": message, "source": "api"},
            )
        return conversation, reached

    def forget(self, conversation_id: str) -> None:
        cached = self._cache.pop(conversation_id, None)
        if cached is not None:
            c = cached.conversation
            self._ids.pop((c.bot_id, c.channel, c.user_key), None)

    # --- turns --------------------------------------------------------------------

    async def _run(
        self, program: Program, cached: _Cached, message: InboundMessage, *, created: bool
    ) -> TurnOutcome:
        conversation = cached.conversation
        inbound = message.with_conversation_key(conversation.id)
        for attempt in range(SAVE_ATTEMPTS):
            result = await run_turn(program, cached.state, inbound, self.ports)
            state_json = result.state.to_json()
            at = datetime.now(UTC)
            entries = [TranscriptEntry("in", inbound_json(inbound), at)]
            entries.extend(TranscriptEntry("out", reply, at) for reply in logged_replies(result))
            try:
                version = await self.store.save_turn(
                    conversation.id, state_json, entries, conversation.version
                )
            except ConflictError:
                # Another process saved first: run the turn again on its state.
                logger.info(
                    "conversation %s changed under turn (attempt %d): reloading",
                    conversation.id,
                    attempt + 1,
                )
                cached = await self._reload(conversation.id)
                conversation = cached.conversation
                continue
            conversation = _saved(conversation, state_json, version, at)
            self._remember(conversation, result.state)
            if result.error:
                logger.warning(
                    "conversation %s: turn answered with the error message: %s",
                    conversation.id,
                    result.error,
                )
            self._emit_turn(conversation, inbound, result, created)
            return TurnOutcome(conversation, result, created)
        self.forget(conversation.id)
        raise Unavailable("the conversation is busy in another process; try again")

    def _emit_turn(
        self, conversation: Conversation, inbound: InboundMessage, result: TurnResult, created: bool
    ) -> None:
        events = self.events
        if not events.enabled:
            return
        ids = {"bot_id": conversation.bot_id, "conversation_id": conversation.id}
        if created:
            events.emit(
                "bot.conversation.created",
                **ids,
                data={"channel": conversation.channel, "userKey": conversation.user_key},
            )
        events.emit("bot.message.received", **ids, data={"message": inbound_json(inbound)})
        for reply in logged_replies(result):
            events.emit("bot.message.sent", **ids, data={"message": reply})
        events.emit(
            "bot.conversation.updated",
            **ids,
            data={
                "navigation": result.state.navigation,
                "version": conversation.version,
                "error": result.error,
            },
        )

    # --- lookups and the cache ----------------------------------------------------

    def _program(self, bot_id: str) -> Program:
        program = self.bots.get(bot_id)
        if program is None:
            raise NotFound(f"no bot {bot_id!r}")
        return program

    async def _existing(self, conversation_id: str) -> Conversation:
        conversation = await self.get(conversation_id)
        if conversation is None:
            raise NotFound(f"no conversation {conversation_id!r}")
        return conversation

    async def _find(self, key: tuple[str, str, str]) -> _Cached | None:
        conversation_id = self._ids.get(key)
        if conversation_id is not None:
            cached = self._cache.get(conversation_id)
            if cached is not None:
                self._cache.move_to_end(conversation_id)
                return cached
        conversation = await self.store.find_conversation(*key)
        return None if conversation is None else self._remember(conversation)

    async def _create(self, key: tuple[str, str, str]) -> Conversation:
        try:
            return await self.store.create_conversation(*key, secrets.token_urlsafe(24))
        except ConflictError:
            # Another process created it a moment ago: the request is not the first.
            found = await self.store.find_conversation(*key)
            if found is None:
                raise Unavailable("the conversation could not be created; try again") from None
            raise Forbidden(NEEDS_TOKEN) from None

    async def _reload(self, conversation_id: str) -> _Cached:
        conversation = await self.store.get_conversation(conversation_id)
        if conversation is None:
            self.forget(conversation_id)
            raise NotFound(f"no conversation {conversation_id!r}")
        return self._remember(conversation)

    def _remember(
        self, conversation: Conversation, state: ConversationState | None = None
    ) -> _Cached:
        if state is None and conversation.state is not None:
            state = ConversationState.from_json(conversation.state)
        cached = _Cached(conversation, state)
        self._cache[conversation.id] = cached
        self._cache.move_to_end(conversation.id)
        self._ids[(conversation.bot_id, conversation.channel, conversation.user_key)] = (
            conversation.id
        )
        while len(self._cache) > self._cache_size:
            _, old = self._cache.popitem(last=False)
            c = old.conversation
            self._ids.pop((c.bot_id, c.channel, c.user_key), None)
        return cached

    def _remember_answer(self, key: tuple[str, str], answer: dict[str, Any]) -> None:
        self._replays[key] = answer
        while len(self._replays) > self._replay_size:
            self._replays.popitem(last=False)


def _saved(
    conversation: Conversation, state: dict[str, Any], version: int, at: datetime
) -> Conversation:
    """`conversation` after a save: a new object, as the old one may be in use.

    Not `dataclasses.replace`, which looks the fields up again on every call.
    """
    return Conversation(
        **{**vars(conversation), "state": state, "version": version, "updated_at": at}
    )


def _may_use(conversation: Conversation, token: str | None) -> bool:
    if token is not None and hmac.compare_digest(token, conversation.token):
        return True
    # A conversation that never finished a turn has shown nobody anything: its
    # first request failed before the token reached the client, so hand it out again.
    return conversation.state is None and conversation.version == 0


def _lock_key(key: tuple[str, str, str]) -> str:
    return "\x00".join(key)
