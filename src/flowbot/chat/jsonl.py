"""`flowbot chat --jsonl`: one JSON event per input line, one JSON answer per event.

The stable machine interface the acceptance checks drive; docs/chat-jsonl.md
is its reference. In short, every input line is one of::

    {"user": "u1", "event": "open"}
    {"user": "u1", "text": "hello"}
    {"user": "u1", "text": "I choose you!", "payload": "{\\"pokemon\\": \\"Charmander\\"}"}
    {"user": "u1", "payload": "{\\"flowId\\": 2}"}
    {"user": "u1", "click": "I choose you!"}

with optional `"params": {...}` merged into the conversation's params before
the turn, and every input line (blank and broken ones included) produces
exactly one output line::

    {"user": "u1", "replies": [...], "quickReplies": [...],
     "navigation": {"flowId": 1, "nodeId": 5} | null, "params": {...}, "error": null | "..."}
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from flowbot.chat.clicks import ClickError
from flowbot.chat.conversation import Conversation
from flowbot.engine import Ports, Program, TurnResult

__all__ = ["JsonlChat", "serve_jsonl"]

EVENT_KEYS = ("event", "click", "text", "payload")
KNOWN_KEYS = {"user", "params", *EVENT_KEYS}


class EventError(Exception):
    """An input line that is not a valid event; reported on the output line."""


class JsonlChat:
    """Conversations of several users, kept apart by the "user" of each event."""

    def __init__(
        self,
        program: Program,
        *,
        ports: Ports | None = None,
        initial_params: dict[str, Any] | None = None,
    ) -> None:
        self.program = program
        self.ports = ports
        self.initial_params = dict(initial_params or {})
        self.conversations: dict[str, Conversation] = {}

    def conversation(self, user: str) -> Conversation:
        if user not in self.conversations:
            self.conversations[user] = Conversation(
                self.program, user, ports=self.ports, initial_params=self.initial_params
            )
        return self.conversations[user]

    async def handle_line(self, line: str) -> dict[str, Any]:
        """The answer to one input line; never raises."""
        user: str | None = None
        try:
            event = parse_json(line)
            named = event.get("user")
            user = named if isinstance(named, str) and named else None
            check_event(event)
            conversation = self.conversation(event["user"])
            result = await run_event(conversation, event)
        except (EventError, ClickError) as exc:
            return answer(user, self.conversations.get(user or ""), None, str(exc))
        except Exception as exc:  # an engine bug must not end the session
            error = f"internal error: {type(exc).__name__}: {exc}"
            return answer(user, self.conversations.get(user or ""), None, error)
        return answer(user, conversation, result, result.error)


def parse_json(line: str) -> dict[str, Any]:
    try:
        event = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EventError(f"not a JSON line: {exc.msg} at column {exc.colno}") from None
    if not isinstance(event, dict):
        raise EventError("an event must be a JSON object")
    return event


def check_event(event: dict[str, Any]) -> None:
    user = event.get("user")
    if not isinstance(user, str) or not user:
        raise EventError('an event needs "user": a non-empty string')
    unknown = sorted(set(event) - KNOWN_KEYS)
    if unknown:
        raise EventError(f"unknown keys {unknown}; an event has {sorted(KNOWN_KEYS)}")
    params = event.get("params")
    if params is not None and not isinstance(params, dict):
        raise EventError('"params" must be an object')
    kinds = [key for key in EVENT_KEYS if key in event]
    if not kinds:
        raise EventError('an event needs one of "event", "click", "text" or "payload"')
    if "event" in event:
        if event["event"] != "open":
            raise EventError(f'unknown event {event["event"]!r}; the only event is "open"')
        if len(kinds) > 1:
            raise EventError('"event": "open" cannot carry "click", "text" or "payload"')
    if "click" in event:
        if not isinstance(event["click"], str):
            raise EventError('"click" must be a button label (a string)')
        if len(kinds) > 1:
            raise EventError('"click" cannot be combined with "text" or "payload"')
    if "text" in event and not isinstance(event["text"], str):
        raise EventError('"text" must be a string')


async def run_event(conversation: Conversation, event: dict[str, Any]) -> TurnResult:
    params = event.get("params")
    if "event" in event:
        return await conversation.open(params)
    if "click" in event:
        return await conversation.click(event["click"], params)
    if "payload" in event:
        payload = event["payload"]
        # A payload given as a JSON value travels as its JSON text, like a button's.
        raw = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        return await conversation.post(raw, event.get("text"), params)
    return await conversation.say(event["text"], params)


def answer(
    user: str | None,
    conversation: Conversation | None,
    result: TurnResult | None,
    error: str | None,
) -> dict[str, Any]:
    """The output line; on an input error it shows the conversation as it stands."""
    if conversation is None:
        return {
            "user": user,
            "replies": [],
            "quickReplies": [],
            "navigation": None,
            "params": {},
            "error": error,
        }
    if result is None:
        # No turn ran: show the conversation as it stands, quick replies still offered.
        replies, quick_replies = [], conversation.offered_quick_replies
    else:
        replies, quick_replies = result.replies, result.quick_replies
    return {
        "user": user,
        "replies": replies,
        "quickReplies": quick_replies,
        "navigation": conversation.navigation,
        "params": conversation.params,
        "error": error,
    }


async def serve_jsonl(chat: JsonlChat, source: TextIO, sink: TextIO) -> None:
    """Answer every line of `source` on `sink` until end of input."""
    while line := source.readline():
        reply = await chat.handle_line(line)
        sink.write(json.dumps(reply, ensure_ascii=False, default=str) + "\n")
        sink.flush()
