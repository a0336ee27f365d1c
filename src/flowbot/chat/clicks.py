"""What a user can click in the replies, and what a channel sends for each click.

The chat and the conversation tests both let a user click a button by its
label. The replies are CLOSER Message JSON as the engine sent them (after
templating), so a button here is a small typed copy of one button dict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from flowbot.engine import GotoTarget, InboundMessage
from flowbot.format.models import id_key

__all__ = ["ClickError", "Clickable", "clickables_in", "inbound_for_click", "quick_replies_of"]

ClickKind = Literal["postback", "link", "goto"]


class ClickError(Exception):
    """A click that cannot be sent: an unknown label, or a link button."""


@dataclass(frozen=True, slots=True)
class Clickable:
    """One button or quick reply as the user received it."""

    label: str
    kind: ClickKind
    payload: str | None = None
    uri: str | None = None
    flow_id: str | None = None
    node_id: str | None = None
    quick_reply: bool = False


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    # A payload that templating left as a JSON value still travels as a string.
    return json.dumps(value, ensure_ascii=False)


def clickable_from(button: Mapping[str, Any], *, quick_reply: bool = False) -> Clickable | None:
    """The clickable for one button dict; None for something that is not a button."""
    kind = button.get("type", "postback")
    label = _text(button.get("label")) or ""
    if kind == "postback":
        return Clickable(
            label, "postback", payload=_text(button.get("payload")), quick_reply=quick_reply
        )
    if kind == "link":
        return Clickable(label, "link", uri=_text(button.get("uri")))
    if kind == "goto":
        node_id = button.get("nodeId")
        return Clickable(
            label,
            "goto",
            flow_id=id_key(button.get("flowId")),
            node_id=None if node_id in (None, "") else id_key(node_id),
        )
    return None


def _buttons(owner: Mapping[str, Any]) -> list[Clickable]:
    found: list[Clickable] = []
    buttons = owner.get("buttons")
    for button in buttons if isinstance(buttons, list) else []:
        if isinstance(button, Mapping) and (clickable := clickable_from(button)) is not None:
            found.append(clickable)
    return found


def clickables_in(message: Mapping[str, Any]) -> list[Clickable]:
    """The buttons of one reply, in the order the user sees them (cards left to right)."""
    if message.get("type") == "cards":
        cards = message.get("cards")
        return [
            clickable
            for card in (cards if isinstance(cards, list) else [])
            if isinstance(card, Mapping)
            for clickable in _buttons(card)
        ]
    return _buttons(message)


def quick_replies_of(quick_replies: list[dict[str, Any]]) -> list[Clickable]:
    found: list[Clickable] = []
    for reply in quick_replies:
        if (clickable := clickable_from(reply, quick_reply=True)) is not None:
            found.append(clickable)
    return found


def inbound_for_click(clickable: Clickable, conversation_key: str) -> InboundMessage:
    """Exactly what a channel sends for the click (SPEC §3, the web channel contract)."""
    if clickable.kind == "link":
        link = f"{clickable.label!r} is a link button ({clickable.uri})"
        raise ClickError(f"{link}; links do not post back")
    if clickable.kind == "goto":
        return InboundMessage(
            conversation_key,
            type="postback",
            text=clickable.label,
            goto=GotoTarget(clickable.flow_id or "", clickable.node_id),
            user_key=conversation_key,
        )
    if clickable.payload is None:
        return InboundMessage(
            conversation_key, type="text", text=clickable.label, user_key=conversation_key
        )
    return InboundMessage(
        conversation_key,
        type="postback",
        text=clickable.label,
        payload=clickable.payload,
        user_key=conversation_key,
    )
