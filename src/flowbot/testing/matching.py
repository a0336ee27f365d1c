"""Comparing what a turn produced with what a test step expects.

Replies are summarised in the notation of the test file (a text bubble as its
string, cards as `{cards: [titles]}` …) so that a failure's diff shows the
"got" side in a form that can be pasted back into the test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flowbot.format.models import id_key
from flowbot.testing.schema import MEDIA_KEYS, Expect, ExpectedReply

__all__ = ["Mismatch", "check_expect", "summarise_reply"]


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One failed check of a step: `what` is the expect key."""

    what: str
    expected: Any
    got: Any


def _labels(owner: Mapping[str, Any]) -> list[str]:
    buttons = owner.get("buttons")
    return [
        str(button.get("label", ""))
        for button in (buttons if isinstance(buttons, list) else [])
        if isinstance(button, Mapping)
    ]


def summarise_reply(reply: Mapping[str, Any]) -> str | dict[str, Any]:
    kind = reply.get("type")
    if kind == "text":
        text = str(reply.get("text", ""))
        labels = _labels(reply)
        return {"text": text, "buttons": labels} if labels else text
    if kind == "cards":
        return {"cards": _card_titles(reply)}
    if kind == "media":
        media = reply.get("media")
        media = media if isinstance(media, Mapping) else {}
        content_type = str(media.get("contentType", "media"))
        key = content_type if content_type in MEDIA_KEYS else "media"
        return {key: str(media.get("uri", ""))}
    if kind == "location":
        return {"location": str(reply.get("label", ""))}
    return dict(reply)


def _card_titles(reply: Mapping[str, Any]) -> list[str]:
    cards = reply.get("cards")
    cards = cards if isinstance(cards, list) else []
    return [str(card.get("title", "")) for card in cards if isinstance(card, Mapping)]


def reply_matches(expected: ExpectedReply, reply: Mapping[str, Any]) -> bool:
    kind = reply.get("type")
    if expected.text is not None:
        return (
            kind == "text"
            and str(reply.get("text", "")) == expected.text
            and (expected.buttons is None or _labels(reply) == expected.buttons)
        )
    if expected.cards is not None:
        return kind == "cards" and _card_titles(reply) == expected.cards
    if expected.location is not None:
        return kind == "location" and str(reply.get("label", "")) == expected.location
    media = reply.get("media")
    if kind != "media" or not isinstance(media, Mapping):
        return False
    uri = str(media.get("uri", ""))
    if expected.media is not None:
        return uri == expected.media
    content_type = str(media.get("contentType", "image"))
    return any(
        getattr(expected, key) == uri and content_type == key for key in ("image", "video", "audio")
    )


def _expected_reply(expected: ExpectedReply) -> str | dict[str, Any]:
    shown = expected.model_dump(exclude_none=True)
    return expected.text if list(shown) == ["text"] and expected.text is not None else shown


def reply_texts(replies: list[dict[str, Any]]) -> list[str]:
    """Every text a user reads: bubbles, card titles and descriptions, button labels."""
    texts: list[str] = []
    for reply in replies:
        if reply.get("type") == "text":
            texts.append(str(reply.get("text", "")))
        for card in reply.get("cards") or []:
            if isinstance(card, Mapping):
                texts.extend(str(card.get(key) or "") for key in ("title", "description"))
                texts.extend(_labels(card))
        texts.extend(_labels(reply))
        if reply.get("type") == "location":
            texts.append(str(reply.get("label", "")))
    return texts


def _params_differ(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    for key, value in expected.items():
        if value is None:
            if got.get(key) is not None:
                return True
        elif key not in got or got[key] != value:
            return True
    return False


def _subset(expected: Any, got: Any) -> bool:
    """Whether every key of `expected` is in `got` with that value (mappings compared deeply)."""
    if isinstance(expected, dict):
        return isinstance(got, Mapping) and all(
            key in got and _subset(value, got[key]) for key, value in expected.items()
        )
    return bool(expected == got)


def _navigation(navigation: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if navigation is None:
        return None
    return {"flowId": navigation.get("flowId"), "nodeId": navigation.get("nodeId")}


def check_expect(
    expect: Expect,
    replies: list[dict[str, Any]],
    quick_replies: list[dict[str, Any]],
    navigation: Mapping[str, Any] | None,
    params: dict[str, Any],
    error: str | None,
    nlp: Mapping[str, Any] | None = None,
) -> list[Mismatch]:
    """Every failed check of one step, in the order of the test file's keys.

    `nlp` is the result of the turn's last nlp node (None: the turn ran none).
    """
    found: list[Mismatch] = []
    if expect.replies is not None:
        same = len(expect.replies) == len(replies) and all(
            reply_matches(want, got) for want, got in zip(expect.replies, replies, strict=True)
        )
        if not same:
            want = [_expected_reply(reply) for reply in expect.replies]
            found.append(Mismatch("replies", want, [summarise_reply(reply) for reply in replies]))
    if expect.contains is not None:
        wanted = [expect.contains] if isinstance(expect.contains, str) else expect.contains
        texts = reply_texts(replies)
        missing = [part for part in wanted if not any(part in text for text in texts)]
        if missing:
            found.append(Mismatch("contains", missing, texts))
    if expect.checks_navigation:
        want_nav = expect.navigation
        got_nav = _navigation(navigation)
        if want_nav is None or got_nav is None:
            if not (want_nav is None and got_nav is None):
                want_dump = None if want_nav is None else want_nav.model_dump(by_alias=True)
                found.append(Mismatch("navigation", want_dump, got_nav))
        elif id_key(want_nav.flow_id) != id_key(got_nav["flowId"]) or id_key(
            want_nav.node_id
        ) != id_key(got_nav["nodeId"]):
            found.append(Mismatch("navigation", want_nav.model_dump(by_alias=True), got_nav))
    if expect.params is not None and _params_differ(expect.params, params):
        shown = {key: params.get(key) for key in expect.params}
        found.append(Mismatch("params", expect.params, shown))
    if expect.quick_replies is not None:
        labels = [str(reply.get("label", "")) for reply in quick_replies]
        if labels != expect.quick_replies:
            found.append(Mismatch("quickReplies", expect.quick_replies, labels))
    if expect.nlp is not None and not _subset(expect.nlp, nlp):
        shown = {key: (nlp or {}).get(key) for key in expect.nlp}
        found.append(Mismatch("nlp", expect.nlp, shown if nlp is not None else None))
    if expect.error is None and error is not None:
        found.append(Mismatch("error", None, error))
    elif expect.error is not None and (error is None or expect.error not in error):
        found.append(Mismatch("error", expect.error, error))
    return found
