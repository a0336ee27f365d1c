"""One turn for any channel: lock → load → engine → render → save once → events.

`ConversationService.turn` is the pipeline every channel's route calls:

1. take the conversation's lock (one turn at a time per conversation, in
   arrival order), find or create the conversation;
2. answer a delivery the platform sent before once only: a Facebook `mid` or
   LINE `webhookEventId` from the store; the web channel's `messageId` with
   the first answer's body, from this process's memory when it is the only
   one, else from the store (where the turn saved it with its answer);
3. resolve a stored payload key of a click (LINE's 300-character `data`);
4. run the engine, let the channel render the replies, and `store.save_turn`
   the state, the transcript, the payload keys the rendering refers to, the
   delivery id and the webhook events (the outbox, `flowbot.events`), in one
   transaction — so nothing is sent that refers to a key not yet stored,
   nothing is written before the turn succeeded, and an event exists if and
   only if its turn does;
5. wake the events' relay; the caller delivers what was rendered.

The state of recent conversations lives in `ConversationCache`. When other
processes share the conversations (`shared`: Redis or PostgreSQL locks), the
conversation is read from the store once its lock is held, so a turn never
starts from a state another process has moved on from; a save that still
meets another writer's version (`ConflictError`, the last line of defence)
reloads and runs again, and a lock lost during the turn (`held.check()`
before the save) saves nothing. A database or Redis that does not answer is
a 503 (`Unavailable`), with a log line.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from flowbot.channels import Rendered
from flowbot.channels.clicks import decode_record, resolved
from flowbot.channels.fitting import constant_time_equal
from flowbot.coordination import ConversationLocks, Held, LockLostError, MemoryLocks
from flowbot.engine import ConversationState, InboundMessage, Ports, Program, TurnResult, run_turn
from flowbot.engine.messages import GotoTarget
from flowbot.events import Event, EventDispatcher
from flowbot.server.bots import BotRegistry
from flowbot.server.cache import Cached, ConversationCache, UserKey
from flowbot.server.errors import TOKEN_EXPIRED, Forbidden, NotFound, TooMany, Unavailable
from flowbot.server.limits import RateLimiter
from flowbot.server.sends import not_before, send_row
from flowbot.server.transcript import inbound_json, logged_replies
from flowbot.store import (
    ConflictError,
    Conversation,
    ConversationExistsError,
    DeliveryAnsweredError,
    OutboxEvent,
    Store,
    TranscriptEntry,
)
from flowbot.store.base import new_conversation
from flowbot.studio.traces import turn_trace

__all__ = ["ChannelTurn", "ConversationService", "Render", "TurnRequest", "lock_key"]

logger = logging.getLogger("flowbot.server")

SAVE_ATTEMPTS = 3
NEEDS_TOKEN = "this userKey has a conversation: send its token as 'Authorization: Bearer <token>'"

# A channel's rendering of one turn's result (pure: see flowbot.channels).
Render = Callable[[TurnResult], Rendered]


@dataclass(slots=True)
class TurnRequest:
    """One inbound event, for the conversation of (bot, channel, user key).

    `trusted`: the channel proved the request comes from its platform (a
    signature); otherwise (the web channel) the conversation's bearer
    `token` must come with it. `delivery_id` is the platform's id of the
    event; `durable_delivery` remembers it in the store (messengers) rather
    than in this process with its answer (the web's `messageId`).
    """

    bot_id: str
    channel: str
    user_key: str
    message: InboundMessage
    delivery_id: str | None = None
    durable_delivery: bool = False
    token: str | None = None
    trusted: bool = False
    click_key: str | None = None
    # the client's address, for `[web] open_rate`
    client: str | None = None
    # seconds the turn's nodes may take (Kakao must be answered within 5 s)
    time_limit: float | None = None
    # the rendered platform calls are saved with the turn, so that another
    # process sends them if this one dies first (flowbot.server.sends)
    durable_send: bool = False


@dataclass(slots=True)
class ChannelTurn:
    """What a turn did; `result` None: the delivery was answered before, nothing ran."""

    conversation: Conversation
    rendered: Rendered
    result: TurnResult | None
    created: bool = False
    # the outbox row of the rendered calls: mark it sent once they are
    send_id: str | None = None

    @property
    def repeated(self) -> bool:
        return self.result is None


def lock_key(key: UserKey) -> str:
    """The lock (and background queue) of one conversation: whom it is with."""
    return "\x00".join(key)


class ConversationService:
    def __init__(
        self,
        store: Store,
        bots: BotRegistry,
        *,
        events: EventDispatcher,
        ports: Ports | None = None,
        cache_size: int = 10_000,
        replay_size: int = 10_000,
        token_ttl: float | None = None,
        message_params: Mapping[str, frozenset[str]] | None = None,
        open_rate: RateLimiter | None = None,
        locks: ConversationLocks | None = None,
        shared: bool = False,
        recover_sends_after: float = 60.0,
    ) -> None:
        self.store = store
        self.bots = bots
        self.events = events
        self.ports = ports
        # seconds a conversation may stay idle before its token stops opening it
        self.token_ttl = token_ttl
        # bot id → the params a web request may set after the conversation opened
        self.message_params = message_params or {}
        # new web conversations per client address
        self.open_rate = open_rate
        # told of every saved turn (the agents' live view of handoffs)
        self.turn_listeners: list[Callable[[Conversation, InboundMessage, TurnResult], None]] = []
        # one process: its own lock table; several: Redis or PostgreSQL's
        # (flowbot.server.backends)
        self.locks: ConversationLocks = locks if locks is not None else MemoryLocks()
        # other processes take requests of the same conversations
        self.shared = shared
        self.recover_sends_after = recover_sends_after
        self._cache = ConversationCache(cache_size)
        # (conversation id, web messageId) → the rendering already answered
        self._replays: OrderedDict[tuple[str, str], Rendered] = OrderedDict()
        self._replay_size = replay_size

    # --- a turn, for any channel ------------------------------------------------

    async def turn(self, request: TurnRequest, render: Render) -> ChannelTurn:
        # (a try rather than `_dependencies`: no context manager on every turn's path)
        try:
            return await self._turn(request, render)
        except _OUTAGES as error:
            raise _unavailable(request.bot_id, request.channel, request.user_key, error) from error

    async def _turn(self, request: TurnRequest, render: Render) -> ChannelTurn:
        program = self._program(request.bot_id)
        key = (request.bot_id, request.channel, request.user_key)
        async with self.locks.hold(lock_key(key)) as held:
            cached = await self._find(key)
            created = cached is None
            if cached is None:
                if not request.trusted and self.open_rate is not None:
                    self._may_open(request.client)
                # stored with its first turn, in the same transaction, or not at all
                fresh = new_conversation(*key, secrets.token_urlsafe(24))
                cached = Cached(fresh, None)
            elif not request.trusted:
                self._admit(cached.conversation, request.token)
            conversation = cached.conversation
            delivery = None
            if request.delivery_id is not None:
                if request.durable_delivery:
                    delivery = f"{request.bot_id}/{request.channel}/{request.delivery_id}"
                    if await self.store.has_delivery(delivery):
                        return self._repeated(conversation, delivery, Rendered())
                else:
                    replayed = self._replays.get((conversation.id, request.delivery_id))
                    if replayed is not None:
                        return self._repeated(conversation, request.delivery_id, replayed)
                    if self.shared:
                        # another process may answer a retry: the answer is stored
                        delivery = _answer_key(conversation.id, request.delivery_id)
                        stored = (
                            None if created else await self._stored_answer(conversation, delivery)
                        )
                        if stored is not None:
                            return stored
            message = request.message
            if request.click_key is not None:
                message = await self._resolve_click(program, request)
            if message.params and not created and not request.trusted:
                # (a platform's own params, Kakao's `action.params` or TalkTalk's
                # friend on/off, are the platform's word, not a visitor's)
                message.params = self._later_params(request.bot_id, message.params)
            outcome = await self._run(
                program,
                cached,
                message,
                render,
                created,
                delivery,
                request.trusted,
                request.time_limit,
                # (this process's own locks are never lost: nothing to check)
                held if self.shared else None,
                keeps_answer=delivery is not None and not request.durable_delivery,
                durable_send=request.durable_send,
            )
            if request.delivery_id is not None and not request.durable_delivery:
                self._remember_answer((conversation.id, request.delivery_id), outcome.rendered)
            return outcome

    def _may_open(self, client: str | None) -> None:
        assert self.open_rate is not None
        wait = self.open_rate.allow(client or "-")
        if wait is not None:
            logger.warning("%s opened too many conversations: refused for %.0f s", client, wait)
            raise TooMany(
                f"too many new conversations from this address: try again in {wait:.0f} s",
                retry_after=wait,
            )

    def _admit(
        self, conversation: Conversation, token: str | None, refusal: str = NEEDS_TOKEN
    ) -> None:
        """Raise `Forbidden` unless `token` opens the conversation (in constant time)."""
        if not token or not _same_token(conversation.token, token):
            raise Forbidden(refusal)
        if self.token_ttl is not None:
            idle = (datetime.now(UTC) - conversation.updated_at).total_seconds()
            if idle > self.token_ttl:
                raise Forbidden(
                    "the conversation's token has expired: open a new conversation",
                    code=TOKEN_EXPIRED,
                )

    def _later_params(self, bot_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """Params sent once the conversation is open: only the keys the bot allows.

        A visitor's params (the widget's `?name=`) are initial values, taken
        when the conversation opens; afterwards they could overwrite what the
        bot decided (the Pokémon bot's `partner`), unless the bot lists the key
        in `message_params`.
        """
        allowed = self.message_params.get(bot_id, frozenset())
        kept = {key: value for key, value in params.items() if key in allowed}
        if len(kept) < len(params):
            logger.info(
                "bot %s: params %s ignored: set when a conversation opens, or list them in "
                "message_params",
                bot_id,
                ", ".join(sorted(set(params) - set(kept))),
            )
        return kept

    def _repeated(
        self, conversation: Conversation, delivery: str, rendered: Rendered
    ) -> ChannelTurn:
        logger.info("conversation %s: delivery %s answered before", conversation.id, delivery)
        return ChannelTurn(conversation, rendered, None)

    async def _resolve_click(self, program: Program, request: TurnRequest) -> InboundMessage:
        """The click behind a stored payload key; an unknown key is plain text for the fallback."""
        assert request.click_key is not None
        record = await self.store.get_payload(request.click_key)
        click = decode_record(record) if record is not None else None
        message = request.message
        if click is not None:
            return resolved(message, click)
        logger.warning(
            "bot %s %s user %s: payload key %s is unknown or expired: "
            "the click goes to the fallback flow as text",
            request.bot_id,
            request.channel,
            request.user_key,
            request.click_key,
        )
        return InboundMessage(
            message.conversation_key,
            "text",
            text=message.text,
            goto=GotoTarget(str(program.fallback_flow.id)),
            channel=message.channel,
            user_key=message.user_key,
            params=message.params,
        )

    # --- the web channel's event stream ------------------------------------------

    async def open_stream(
        self, bot_id: str, conversation_id: str, token: str | None
    ) -> Conversation:
        """The conversation an EventSource may follow (403 on a wrong token)."""
        self._program(bot_id)
        conversation = await self.get(conversation_id)
        if conversation is None or conversation.bot_id != bot_id:
            raise NotFound(f"bot {bot_id!r} has no conversation {conversation_id!r}")
        self._admit(conversation, token, "the token does not open this conversation")
        return conversation

    # --- the JSON API -----------------------------------------------------------

    async def get(self, conversation_id: str) -> Conversation | None:
        cached = None if self.shared else self._cache.get(conversation_id)
        if cached is not None:
            return cached.conversation
        # (shared: another process may have saved it since this one cached it)
        return await self.store.get_conversation(conversation_id)

    async def existing(self, conversation_id: str) -> Conversation:
        conversation = await self.get(conversation_id)
        if conversation is None:
            raise NotFound(f"no conversation {conversation_id!r}")
        return conversation

    async def change_navigation(
        self,
        conversation_id: str,
        flow_id: str,
        node_id: str | None,
        *,
        render: Callable[[Conversation], Render] | None = None,
    ) -> ChannelTurn | Conversation:
        """Move a conversation to a flow's entry or one of its nodes (CLOSER's changeNavigation).

        Without `render` only the position changes: the next user message
        starts there. With it the target runs now like a goto click, rendered
        for the conversation's channel by `render(conversation)`; the caller
        delivers the result. Raises `NotFound` for an unknown conversation,
        flow or node.
        """
        conversation = await self.existing(conversation_id)
        program = self._program(conversation.bot_id)
        target = program.node(flow_id, node_id)
        if target is None:
            what = (
                f"flow {flow_id!r}" if node_id is None else f"node {node_id!r} in flow {flow_id!r}"
            )
            raise NotFound(f"bot {conversation.bot_id!r} has no {what}")
        key = (conversation.bot_id, conversation.channel, conversation.user_key)
        async with _dependencies(key), self.locks.hold(lock_key(key)):
            cached = await self._reload(conversation_id)
            if render is None:
                return await self._move(cached, target.position)
            message = InboundMessage(
                conversation_key=conversation_id,
                type="event",
                event="navigation",
                goto=GotoTarget(flow_id, node_id),
                channel=conversation.channel,
                user_key=conversation.user_key,
            )
            return await self._run(program, cached, message, render(conversation), False, None)

    async def _move(self, cached: Cached, position: tuple[Any, Any]) -> Conversation:
        return await self._update(cached, lambda state: state.with_navigation(*position))

    async def update_state(
        self, conversation_id: str, change: Callable[[ConversationState], ConversationState]
    ) -> Conversation:
        """Save `change(state)` as the conversation's new state, under its lock (no turn runs).

        For what operators and agents do to a conversation: joining or ending
        a handoff. Raises `NotFound` for an unknown conversation.
        """
        conversation = await self.existing(conversation_id)
        key = (conversation.bot_id, conversation.channel, conversation.user_key)
        async with _dependencies(key), self.locks.hold(lock_key(key)):
            return await self._update(await self._reload(conversation_id), change)

    async def _update(
        self, cached: Cached, change: Callable[[ConversationState], ConversationState]
    ) -> Conversation:
        for _ in range(SAVE_ATTEMPTS):
            conversation = cached.conversation
            state = change(cached.state or ConversationState.new())
            state_json = state.to_json()
            outbox = None
            if self.events.enabled:
                # the version save_turn gives, or it raises and writes nothing
                data = {
                    "navigation": state.navigation,
                    "version": conversation.version + 1,
                    "error": None,
                }
                outbox = self.events.rows(
                    [Event("bot.conversation.updated", conversation.bot_id, conversation.id, data)]
                )
            try:
                version = await self.store.save_turn(
                    conversation.id, state_json, [], conversation.version, events=outbox
                )
            except ConflictError:
                cached = await self._reload(conversation.id)
                continue
            conversation = _saved(conversation, state_json, version, datetime.now(UTC))
            self._cache.remember(conversation, state)
            if outbox:
                self.events.notify(outbox)
            return conversation
        self.forget(cached.conversation.id)
        raise Unavailable("the conversation is busy in another process; try again")

    async def record_push(
        self, conversation_id: str, messages: list[dict[str, Any]], payloads: Mapping[str, str]
    ) -> Conversation:
        """Keep messages sent from outside a turn: the transcript, their payload keys, events.

        The caller renders and delivers them; this runs first, under the
        conversation's lock, so a push never lands in the middle of a turn's
        transcript and its buttons' keys are stored before it is sent.
        """
        conversation = await self.existing(conversation_id)
        key = (conversation.bot_id, conversation.channel, conversation.user_key)
        async with _dependencies(key), self.locks.hold(lock_key(key)):
            at = datetime.now(UTC)
            if payloads:
                await self.store.put_payloads(payloads)
            await self.store.append_transcript(
                conversation_id, [TranscriptEntry("out", message, at) for message in messages]
            )
            # under the lock: before the events of the conversation's next turn
            await self.events.publish_all(
                [
                    Event(
                        "bot.message.sent",
                        conversation.bot_id,
                        conversation_id,
                        {"message": message, "source": "api"},
                    )
                    for message in messages
                ]
            )
        return conversation

    def forget(self, conversation_id: str) -> None:
        self._cache.forget(conversation_id)

    # --- turns --------------------------------------------------------------------

    async def _run(
        self,
        program: Program,
        cached: Cached,
        message: InboundMessage,
        render: Render,
        created: bool,
        delivery: str | None,
        trusted: bool = True,
        time_limit: float | None = None,
        held: Held | None = None,
        *,
        keeps_answer: bool = False,
        durable_send: bool = False,
    ) -> ChannelTurn:
        conversation = cached.conversation
        # The message is this turn's own (a channel parsed it for this request):
        # it takes the conversation's id in place rather than as a copy.
        message.conversation_key = conversation.id
        inbound = message
        for attempt in range(SAVE_ATTEMPTS):
            result = await run_turn(
                program, cached.state, inbound, self.ports, time_limit=time_limit
            )
            rendered = render(result)
            state_json = result.state.to_json()
            at = datetime.now(UTC)
            # what the turn ran, for the studio's statistics (flowbot.studio.traces)
            entries = [TranscriptEntry("in", inbound_json(inbound), at, turn_trace(result))]
            entries.extend(TranscriptEntry("out", reply, at) for reply in logged_replies(result))
            payloads = rendered.payload_keys or None
            # with no webhook configured: nothing built, nothing written
            outbox = (
                self._turn_events(conversation, inbound, result, created)
                if self.events.enabled
                else None
            )
            # the web's answer, for a retry of its messageId in another process
            answer = _dumped(rendered.answer) if keeps_answer else None
            rows = outbox
            send = None
            if durable_send and rendered.calls:
                send = send_row(
                    conversation.bot_id,
                    conversation.channel,
                    conversation.id,
                    rendered.calls,
                    not_before(at, self.recover_sends_after),
                )
                rows = [*(outbox or ()), send]
            if held is not None:
                # computed under a lock that may have passed to another holder:
                # saving it could interleave two turns (LockLostError: 503)
                held.check()
            try:
                if created:
                    version = await self.store.save_first_turn(
                        conversation,
                        state_json,
                        entries,
                        payloads=payloads,
                        delivery=delivery,
                        events=rows,
                        answer=answer,
                    )
                else:
                    version = await self.store.save_turn(
                        conversation.id,
                        state_json,
                        entries,
                        conversation.version,
                        payloads=payloads,
                        delivery=delivery,
                        events=rows,
                        answer=answer,
                    )
            except ConversationExistsError:
                # another process opened this user's conversation a moment ago
                found = await self.store.find_conversation(
                    conversation.bot_id, conversation.channel, conversation.user_key
                )
                if found is None:
                    raise Unavailable("the conversation could not be created; try again") from None
                if not trusted:
                    raise Forbidden(NEEDS_TOKEN) from None
                cached, conversation, created = self._cache.remember(found), found, False
                continue
            except DeliveryAnsweredError:
                # another process saved this delivery's turn first: that one stands
                assert delivery is not None
                self.forget(conversation.id)
                stored = await self._stored_answer(conversation, delivery) if keeps_answer else None
                return stored or self._repeated(conversation, delivery, Rendered())
            except ConflictError:
                if _reaches_out(result):
                    # A request or a script already ran: running the turn again would
                    # send that POST twice. The user's message is not answered.
                    self.forget(conversation.id)
                    logger.warning(
                        "conversation %s changed in another process during a turn that "
                        "reached out (fetch/sandbox): not run again",
                        conversation.id,
                    )
                    raise Unavailable(
                        "the conversation changed meanwhile; send the message again"
                    ) from None
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
            self._cache.remember(conversation, result.state)
            if result.error:
                logger.warning(
                    "conversation %s: turn answered with the error message: %s",
                    conversation.id,
                    result.error,
                )
            if outbox:
                self.events.notify(outbox)
            for listener in self.turn_listeners:
                listener(conversation, inbound, result)
            return ChannelTurn(
                conversation, rendered, result, created, None if send is None else send.event_id
            )
        self.forget(conversation.id)
        raise Unavailable("the conversation is busy in another process; try again")

    def _turn_events(
        self, conversation: Conversation, inbound: InboundMessage, result: TurnResult, created: bool
    ) -> list[OutboxEvent]:
        """The outbox rows of a turn about to be saved (as version `conversation.version + 1`)."""
        ids = (conversation.bot_id, conversation.id)
        events: list[Event] = []
        if created:
            events.append(
                Event(
                    "bot.conversation.created",
                    *ids,
                    {"channel": conversation.channel, "userKey": conversation.user_key},
                )
            )
        events.append(Event("bot.message.received", *ids, {"message": inbound_json(inbound)}))
        events.extend(
            Event("bot.message.sent", *ids, {"message": reply}) for reply in logged_replies(result)
        )
        events.append(
            Event(
                "bot.conversation.updated",
                *ids,
                {
                    "navigation": result.state.navigation,
                    # what the save gives, or it raises and nothing is written
                    "version": 1 if created else conversation.version + 1,
                    "error": result.error,
                },
            )
        )
        # a manual node's handoff (flowbot.server.handoffs tells the agents)
        if result.handoff == "requested":
            events.append(
                Event(
                    "bot.conversation.agent_call_requested",
                    *ids,
                    {
                        "handoff": dict(result.state.handoff or {}),
                        "channel": conversation.channel,
                        "userKey": conversation.user_key,
                    },
                )
            )
        elif result.handoff == "cancelled":
            events.append(Event("bot.conversation.handoff_ended", *ids, {"by": "user"}))
        return self.events.rows(events)

    # --- lookups ------------------------------------------------------------------

    def _program(self, bot_id: str) -> Program:
        program = self.bots.get(bot_id)
        if program is None:
            raise NotFound(f"no bot {bot_id!r}")
        return program

    async def _find(self, key: UserKey) -> Cached | None:
        cached = self._cache.find(key)
        if cached is not None and not self.shared:
            return cached
        conversation = await self.store.find_conversation(*key)
        if conversation is None:
            return None
        if cached is not None and cached.conversation.version == conversation.version:
            return cached  # nobody saved it meanwhile: the parsed state still holds
        return self._cache.remember(conversation)

    async def _stored_answer(self, conversation: Conversation, delivery: str) -> ChannelTurn | None:
        """The turn of a web `messageId` that a turn (maybe another process's) answered."""
        found = await self.store.get_delivery(delivery)
        if found is None:
            return None
        answer = found[0]
        rendered = Rendered(answer=json.loads(answer)) if answer is not None else Rendered()
        return self._repeated(conversation, delivery, rendered)

    async def _reload(self, conversation_id: str) -> Cached:
        conversation = await self.store.get_conversation(conversation_id)
        if conversation is None:
            self.forget(conversation_id)
            raise NotFound(f"no conversation {conversation_id!r}")
        return self._cache.remember(conversation)

    def _remember_answer(self, key: tuple[str, str], rendered: Rendered) -> None:
        self._replays[key] = rendered
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


def _answer_key(conversation_id: str, message_id: str) -> str:
    """The delivery key of a web request's `messageId` (unique per conversation)."""
    return f"web/{conversation_id}/{message_id}"


def _dumped(answer: dict[str, Any] | None) -> str | None:
    if answer is None:
        return None
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":"))


# what a database, Redis or a lost lock raise: the service is unavailable for now
_OUTAGES = (SQLAlchemyError, RedisError, OSError, LockLostError, TimeoutError)


@contextlib.asynccontextmanager
async def _dependencies(key: UserKey) -> AsyncIterator[None]:
    """Answer an outage of the database or Redis with 503 and a log line, not a 500.

    Nothing was saved then (a turn saves in one transaction, after its lock
    was checked): the client may send the message again.
    """
    try:
        yield
    except _OUTAGES as error:
        raise _unavailable(*key, error) from error


def _unavailable(bot_id: str, channel: str, user_key: str, error: BaseException) -> Unavailable:
    logger.warning("bot %s %s user %s: not run: %r", bot_id, channel, user_key, error)
    return Unavailable("the service is unavailable for a moment: try again")


_REACHING_OUT = frozenset({"fetch", "sandbox"})


def _reaches_out(result: TurnResult) -> bool:
    """Whether the turn did something outside flowbot that must not happen twice."""
    return any(step.type in _REACHING_OUT for step in result.trace)


def _same_token(expected: str, given: str) -> bool:
    # Tokens are URL-safe ASCII: compare_digest takes such str as they are (the
    # common case, every web turn); any other text is compared as bytes.
    if given.isascii():
        return hmac.compare_digest(given, expected)
    return constant_time_equal(expected, given)
