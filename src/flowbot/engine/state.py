"""The state of one conversation between two turns (SPEC §4).

A turn never mutates the state it is given: it returns a new one, so a failed
turn leaves nothing half-applied. The serialized form is compact (short keys,
empty parts left out) because it is written once per turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flowbot.format.models import Id

__all__ = ["ConversationState", "Position", "StateFormatError"]

# (flow id, node id) exactly as the bot file spells them.
Position = tuple[Id, Id]

_VERSION = 1


class StateFormatError(ValueError):
    """Stored state that is not a `ConversationState.to_json()` value."""


@dataclass(frozen=True, slots=True)
class ConversationState:
    """Navigation, params, back stack, node results and the last user message.

    `current` is where the conversation waits (a keyboard node) or None when
    the last run ended; `prev` is the position before the last turn.
    `screen_on_top` tells whether the top of the back stack is the screen the
    user is looking at now (a `pop` skips it).
    """

    current: Position | None = None
    visit_count: int = 0
    prev: Position | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    back_stack: tuple[Position, ...] = ()
    screen_on_top: bool = False
    fetch: Any = None
    sandbox: Any = None
    keyboard: Any = None
    error: str | None = None
    last_message: Mapping[str, Any] | None = None
    # The conversation is with a person (a `manual` node): {"status": "waiting" |
    # "active", "flowId", "nodeId", "agent", "since"}; the bot does not answer.
    handoff: Mapping[str, Any] | None = None
    # A session was opened (an "open" or a platform event) but nothing ran and the
    # user has said nothing yet: their first message is still a message without
    # a session (bot settings: welcomeOnMessageWithoutSession).
    unstarted: bool = False

    @classmethod
    def new(cls, params: Mapping[str, Any] | None = None) -> ConversationState:
        return cls(params=dict(params or {}))

    @property
    def navigation(self) -> dict[str, Any] | None:
        if self.current is None:
            return None
        return {"flowId": self.current[0], "nodeId": self.current[1]}

    def with_navigation(self, flow_id: Id | None, node_id: Id | None = None) -> ConversationState:
        """Move the conversation (an operator's "change navigation"); None clears it.

        The next message then starts at that node: among its edges when it is
        a keyboard node, else by running it.
        """
        if flow_id is None or node_id is None:
            return replace(self, current=None, visit_count=0, prev=self.current)
        # a conversation placed somewhere has started: the next message answers there
        return replace(
            self, current=(flow_id, node_id), visit_count=0, prev=self.current, unstarted=False
        )

    def to_json(self) -> dict[str, Any]:
        """The stored form: a JSON-ready dict (pairs may be tuples; JSON writes arrays)."""
        data: dict[str, Any] = {"v": _VERSION}
        if self.current is not None:
            data["at"] = [self.current[0], self.current[1], self.visit_count]
        if self.prev is not None:
            data["prev"] = [self.prev[0], self.prev[1]]
        if self.params:
            data["params"] = dict(self.params)
        if self.back_stack:
            # The tuples as they are: JSON writes them as arrays, and copying the
            # stack (up to 50 pairs) into lists was a visible part of a turn.
            data["back"] = self.back_stack
        if self.screen_on_top:
            data["top"] = 1
        if self.fetch is not None:
            data["fetch"] = self.fetch
        if self.sandbox is not None:
            data["sandbox"] = self.sandbox
        if self.keyboard is not None:
            data["kb"] = self.keyboard
        if self.error is not None:
            data["error"] = self.error
        if self.last_message is not None:
            data["msg"] = dict(self.last_message)
        if self.handoff is not None:
            data["handoff"] = dict(self.handoff)
        if self.unstarted:
            data["new"] = 1
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConversationState:
        if not isinstance(data, Mapping):
            raise StateFormatError("conversation state must be a JSON object")
        version = data.get("v", _VERSION)
        if version != _VERSION:
            raise StateFormatError(f"unknown conversation state version {version!r}")
        current: Position | None = None
        visit_count = 0
        at = data.get("at")
        if at is not None:
            if not isinstance(at, list) or len(at) != 3 or not isinstance(at[2], int):
                raise StateFormatError('"at" must be [flowId, nodeId, visitCount]')
            current = (_id(at[0], "at"), _id(at[1], "at"))
            visit_count = at[2]
        prev = _position(data["prev"], "prev") if data.get("prev") is not None else None
        params = data.get("params", {})
        if not isinstance(params, dict):
            raise StateFormatError('"params" must be an object')
        back = data.get("back", ())
        if not isinstance(back, list | tuple):
            raise StateFormatError('"back" must be a list of [flowId, nodeId]')
        error = data.get("error")
        if error is not None and not isinstance(error, str):
            raise StateFormatError('"error" must be a string')
        message = data.get("msg")
        if message is not None and not isinstance(message, dict):
            raise StateFormatError('"msg" must be an object')
        handoff = data.get("handoff")
        if handoff is not None and not isinstance(handoff, dict):
            raise StateFormatError('"handoff" must be an object')
        return cls(
            current=current,
            visit_count=visit_count,
            prev=prev,
            params=params,
            back_stack=tuple(_position(item, "back") for item in back),
            screen_on_top=bool(data.get("top", 0)),
            fetch=data.get("fetch"),
            sandbox=data.get("sandbox"),
            keyboard=data.get("kb"),
            error=error,
            last_message=message,
            handoff=handoff,
            unstarted=bool(data.get("new", 0)),
        )


def _id(value: Any, name: str) -> Id:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise StateFormatError(f'"{name}" holds an id that is not an integer or string')
    return value


def _position(value: Any, name: str) -> Position:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise StateFormatError(f'"{name}" must hold [flowId, nodeId] pairs')
    return (_id(value[0], name), _id(value[1], name))
