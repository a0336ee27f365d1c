"""Fitting one turn's messages into a channel's limits (SPEC §6: degrade, never fail).

`apply_limits` is the generic pass the web channel uses: texts cut with "…",
surplus buttons and quick replies dropped, long carousels split. Messenger
channels render into their platforms' own shapes and use `truncate` and
their capability row directly (see `flowbot.channels.facebook`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, cast

from flowbot.channels.capabilities import ChannelCapabilities

__all__ = ["ELLIPSIS", "apply_limits", "truncate"]

logger = logging.getLogger("flowbot.channels")

ELLIPSIS = "…"


def truncate(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, the last one being "…" when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def apply_limits(
    replies: Sequence[Mapping[str, Any]],
    quick_replies: Sequence[Mapping[str, Any]],
    caps: ChannelCapabilities,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Fit one turn's messages into a channel's limits.

    Returns the replies, the quick replies and one note per degradation
    (logged by the caller's channel). Messages within the limits are passed on
    as they are (not copied): the common case costs one scan.
    """
    if _all_fit(replies, quick_replies, caps):
        # _all_fit saw plain dicts only: the caller's objects are passed on, not copied
        return (
            cast(list[dict[str, Any]], list(replies)),
            cast(list[dict[str, Any]], list(quick_replies)),
            [],
        )
    out, quick, notes = _fit_all(replies, quick_replies, caps)
    for note in notes:
        logger.info("%s channel degraded a message: %s", caps.name, note)
    return out, quick, notes


# --- the common case: everything already fits -----------------------------------------
#
# Most turns send a few short messages. These checks answer "does anything
# exceed a limit?" without building the notes' JSON paths or comparing copies,
# so such a turn costs one scan; anything over a limit (or not a plain dict)
# takes the slow path below, which decides what to cut. Both must agree on
# what fits: tests/channels/test_base.py checks them against each other.


def _all_fit(
    replies: Sequence[Mapping[str, Any]],
    quick_replies: Sequence[Mapping[str, Any]],
    caps: ChannelCapabilities,
) -> bool:
    for reply in replies:
        if type(reply) is not dict or not _message_fits(reply, caps):
            return False
    if len(quick_replies) > caps.quick_replies:
        return False
    return _labels_fit(quick_replies, caps.quick_reply_label_chars)


def _message_fits(message: dict[str, Any], caps: ChannelCapabilities) -> bool:
    kind = message.get("type")
    if kind == "text":
        text = message.get("text")
        if isinstance(text, str) and len(text) > caps.text_chars:
            return False
        return _buttons_fit(message.get("buttons"), caps.buttons_per_text, caps)
    if kind == "cards":
        cards = message.get("cards")
        if not isinstance(cards, list):
            return True
        if len(cards) > caps.cards:
            return False
        for card in cards:
            if not isinstance(card, dict):
                continue
            title = card.get("title")
            if isinstance(title, str) and len(title) > caps.card_title_chars:
                return False
            body = card.get("description")
            if isinstance(body, str) and len(body) > caps.card_body_chars:
                return False
            if not _buttons_fit(card.get("buttons"), caps.buttons_per_card, caps):
                return False
    return True


def _buttons_fit(buttons: Any, limit: int, caps: ChannelCapabilities) -> bool:
    if not isinstance(buttons, list):
        return True
    return len(buttons) <= limit and _labels_fit(buttons, caps.button_label_chars)


def _labels_fit(items: Sequence[Any], limit: int) -> bool:
    for item in items:
        if isinstance(item, dict):
            label = item.get("label")
            if isinstance(label, str) and len(label) > limit:
                return False
    return True


# --- the slow path: cut what exceeds, noting each cut ---------------------------------


def _fit_all(
    replies: Sequence[Mapping[str, Any]],
    quick_replies: Sequence[Mapping[str, Any]],
    caps: ChannelCapabilities,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    notes: list[str] = []
    out: list[dict[str, Any]] = []
    for index, reply in enumerate(replies):
        out.extend(_fit_message(reply, index, caps, notes))
    quick: list[dict[str, Any]] = []
    for index, item in enumerate(quick_replies):
        if index >= caps.quick_replies:
            notes.append(
                f"quick replies: {len(quick_replies) - caps.quick_replies} over "
                f"the limit of {caps.quick_replies} dropped"
            )
            break
        quick.append(
            _fit_label(item, caps.quick_reply_label_chars, f"quickReplies[{index}]", notes)
        )
    return out, quick, notes


def _fit_message(
    reply: Mapping[str, Any], index: int, caps: ChannelCapabilities, notes: list[str]
) -> list[dict[str, Any]]:
    message = reply if isinstance(reply, dict) else dict(reply)
    kind = message.get("type")
    where = f"replies[{index}]"
    if kind == "text":
        text = message.get("text")
        buttons = message.get("buttons")
        fitted_buttons = _fit_buttons(
            buttons, caps.buttons_per_text, f"{where}.buttons", caps, notes
        )
        if isinstance(text, str) and len(text) > caps.text_chars:
            notes.append(f"{where}.text: cut to {caps.text_chars} characters")
            text = truncate(text, caps.text_chars)
        if text is message.get("text") and fitted_buttons is buttons:
            return [message]
        changed = dict(message, text=text)
        if fitted_buttons is not None:
            changed["buttons"] = fitted_buttons
        return [changed]
    if kind == "cards":
        cards = message.get("cards")
        if not isinstance(cards, list):
            return [message]
        fitted = [
            _fit_card(card, f"{where}.cards[{i}]", caps, notes) for i, card in enumerate(cards)
        ]
        same = all(a is b for a, b in zip(fitted, cards, strict=True))
        if len(fitted) <= caps.cards:
            return [message] if same else [dict(message, cards=fitted)]
        notes.append(f"{where}: {len(fitted)} cards split into messages of {caps.cards}")
        return [
            dict(message, cards=fitted[start : start + caps.cards])
            for start in range(0, len(fitted), caps.cards)
        ]
    return [message]


def _fit_card(card: Any, where: str, caps: ChannelCapabilities, notes: list[str]) -> Any:
    if not isinstance(card, dict):
        return card
    changed: dict[str, Any] | None = None
    for key, limit in (("title", caps.card_title_chars), ("description", caps.card_body_chars)):
        value = card.get(key)
        if isinstance(value, str) and len(value) > limit:
            notes.append(f"{where}.{key}: cut to {limit} characters")
            changed = changed if changed is not None else dict(card)
            changed[key] = truncate(value, limit)
    buttons = card.get("buttons")
    fitted = _fit_buttons(buttons, caps.buttons_per_card, f"{where}.buttons", caps, notes)
    if fitted is not buttons:
        changed = changed if changed is not None else dict(card)
        changed["buttons"] = fitted
    return card if changed is None else changed


def _fit_buttons(
    buttons: Any, limit: int, where: str, caps: ChannelCapabilities, notes: list[str]
) -> Any:
    if not isinstance(buttons, list):
        return buttons
    fitted = [
        _fit_label(button, caps.button_label_chars, f"{where}[{i}]", notes)
        for i, button in enumerate(buttons[:limit])
    ]
    if len(buttons) > limit:
        notes.append(f"{where}: {len(buttons) - limit} buttons over the limit of {limit} dropped")
        return fitted
    if all(a is b for a, b in zip(fitted, buttons, strict=False)):
        return buttons
    return fitted


def _fit_label(item: Any, limit: int, where: str, notes: list[str]) -> Any:
    if not isinstance(item, dict):
        return item
    label = item.get("label")
    if isinstance(label, str) and len(label) > limit:
        notes.append(f"{where}.label: cut to {limit} characters")
        return dict(item, label=truncate(label, limit))
    return item
