"""Helpers the messenger renderers share: cutting with a note, links, delays, JSON bodies.

Every cut or drop a renderer makes goes through `Notes`, so that one list
says what a channel could not show as drawn: the server logs it once per
node, and `flowbot validate --channel` prints the same list ahead of time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

from flowbot.channels.base import ChannelInputError, Degradation, Recipient
from flowbot.channels.capabilities import ChannelCapabilities
from flowbot.channels.limits import truncate
from flowbot.format.shape import value_problem

__all__ = [
    "WEB_SCHEMES",
    "MessageRenderer",
    "Notes",
    "absolute_uris",
    "constant_time_equal",
    "coordinate",
    "hmac_sha256",
    "label_of",
    "load_body",
    "map_link",
    "message_delay",
    "scheme_of",
]

# What a platform's servers fetch an image from themselves.
WEB_SCHEMES = ("http", "https")
# Longer than any delay delivery waits (flowbot.delivery.MAX_WAIT_MS caps it lower).
_MAX_DELAY_MS = 3_600_000
# A webhook body nested deeper than this is not what a platform sends.
_MAX_DEPTH = 64


class Notes:
    """The degradations of one rendering, in order."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[Degradation] = []

    def add(self, message: int | None, path: str, note: str) -> None:
        self.items.append(Degradation(message, path, note))

    def cut(self, text: str, limit: int, message: int | None, path: str) -> str:
        """`text` within `limit` characters, noting the cut."""
        if len(text) <= limit:
            return text
        self.add(message, path, f"cut from {len(text)} to {limit} characters")
        return truncate(text, limit)


class MessageRenderer(ABC):
    """What a messenger's renderer shares: one reply at a time into message objects.

    A subclass turns each message type into its platform's objects; the
    messages, with the delay to wait before each, the notes and the payload
    keys its buttons refer to are collected here.
    """

    channel: ClassVar[str]

    def __init__(self, recipient: Recipient, caps: ChannelCapabilities) -> None:
        self.recipient = recipient
        self.caps = caps
        self.notes = Notes()
        self.keys: dict[str, str] = {}
        self.scope = f"{recipient.bot_id}/{self.channel}"
        # (message object, delay before it)
        self.messages: list[tuple[dict[str, Any], int]] = []

    def reply(self, index: int, reply: Mapping[str, Any]) -> None:
        kind = reply.get("type")
        if kind == "text":
            made = self._text(index, reply)
        elif kind == "cards":
            made = self._cards(index, reply)
        elif kind == "media":
            made = self._media(index, reply)
        elif kind == "location":
            made = self._location(index, reply)
        else:
            self.notes.add(index, "type", f"a {kind!r} message cannot be sent: dropped")
            made = []
        delay = message_delay(reply)
        for position, message in enumerate(made):
            self.messages.append((message, delay if position == 0 else 0))

    def _buttons(self, index: int, buttons: Any, where: str, limit: int) -> list[dict[str, Any]]:
        """A message's or card's buttons in the platform's form, the first `limit` of them."""
        if not isinstance(buttons, list):
            return []
        made: list[dict[str, Any]] = []
        for b, button in enumerate(buttons):
            if not isinstance(button, Mapping):
                continue
            if len(made) == limit:
                self.notes.add(
                    index, where, f"{len(buttons) - b} buttons over the limit of {limit} dropped"
                )
                break
            shown = self._button(index, button, f"{where}[{b}]")
            if shown is not None:
                made.append(shown)
        return made

    def _title_and_description(
        self, index: int, where: str, title: str, body: str
    ) -> dict[str, Any]:
        """A card's `title` and `description`, each cut to the row's limit; empty ones left out."""
        made: dict[str, Any] = {}
        if title:
            made["title"] = self.notes.cut(
                title, self.caps.card_title_chars, index, f"{where}.title"
            )
        if body:
            made["description"] = self.notes.cut(
                body, self.caps.card_body_chars, index, f"{where}.description"
            )
        return made

    def _media_uri(
        self, index: int, reply: Mapping[str, Any]
    ) -> tuple[Mapping[str, Any], str] | None:
        """A media message's media object and its URI; None (noted) when it has none."""
        media = reply.get("media")
        uri = media.get("uri") if isinstance(media, Mapping) else None
        if not isinstance(media, Mapping) or not isinstance(uri, str) or not uri:
            self.notes.add(index, "media", "no media uri: dropped")
            return None
        return media, uri

    def _web_image(
        self, index: int, card: Mapping[str, Any], where: str, platform: str
    ) -> str | None:
        """A card's image URL when it is an http(s) image the platform can fetch, else None."""
        media = card.get("media")
        if not isinstance(media, Mapping) or not isinstance(media.get("uri"), str):
            return None
        uri: str = media["uri"]
        if media.get("contentType", "image") != "image":
            self.notes.add(index, f"{where}.media", "a card shows images only: dropped")
            return None
        if scheme_of(uri) not in WEB_SCHEMES:
            # the platform's servers fetch the image: a path on this server means nothing there
            self.notes.add(
                index, f"{where}.media", f"{platform} needs an http(s) image URL: dropped"
            )
            return None
        return uri

    @abstractmethod
    def _button(self, index: int, button: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        """One button in the platform's form; None (with a note) when it cannot be shown."""

    @abstractmethod
    def _text(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]: ...

    @abstractmethod
    def _cards(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]: ...

    @abstractmethod
    def _media(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]: ...

    @abstractmethod
    def _location(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]: ...


def absolute_uris(messages: Sequence[Mapping[str, Any]], base: str) -> list[Mapping[str, Any]]:
    """`messages` with root-relative URIs (`/media/pokemon/x.svg`) made absolute on `base`.

    A bot's own media are served by flowbot at such paths; the web widget
    resolves them against its server, a messenger fetches what it is given,
    so it needs the server's public address (`[web] public_url`). Messages
    without such URIs are passed on as they are.
    """
    root = base.rstrip("/")

    def fixed(uri: Any) -> Any:
        if isinstance(uri, str) and uri.startswith("/") and not uri.startswith("//"):
            return root + uri
        return uri

    def button(item: Any) -> Any:
        if (
            isinstance(item, Mapping)
            and item.get("type") == "link"
            and fixed(item.get("uri")) is not item.get("uri")
        ):
            return {**item, "uri": fixed(item["uri"])}
        return item

    def media(item: Any) -> Any:
        if isinstance(item, Mapping) and fixed(item.get("uri")) is not item.get("uri"):
            return {**item, "uri": fixed(item["uri"])}
        return item

    def card(item: Any) -> Any:
        if not isinstance(item, Mapping):
            return item
        changed = {
            "media": media(item.get("media")),
            "uri": fixed(item.get("uri")),
            "buttons": _each(item.get("buttons"), button),
        }
        return _changed(item, changed)

    out: list[Mapping[str, Any]] = []
    for message in messages:
        changed = {
            "media": media(message.get("media")),
            "buttons": _each(message.get("buttons"), button),
            "cards": _each(message.get("cards"), card),
        }
        out.append(_changed(message, changed))
    return out


def _each(items: Any, change: Any) -> Any:
    if not isinstance(items, list):
        return items
    changed = [change(item) for item in items]
    return items if all(a is b for a, b in zip(changed, items, strict=True)) else changed


def _changed(item: Mapping[str, Any], fields: Mapping[str, Any]) -> Mapping[str, Any]:
    updates = {k: v for k, v in fields.items() if k in item and v is not item.get(k)}
    return {**item, **updates} if updates else item


def label_of(item: Mapping[str, Any]) -> str:
    label = item.get("label")
    return label if isinstance(label, str) else ""


def message_delay(message: Mapping[str, Any]) -> int:
    """A message's `delay` in milliseconds: a number or a numeric string (a bot file
    allows both), 0 when absent, not positive or not finite. Delivery caps it."""
    delay = message.get("delay")
    if isinstance(delay, str):
        try:
            delay = float(delay.strip())
        except ValueError:
            return 0
    if isinstance(delay, bool) or not isinstance(delay, int | float):
        return 0
    if not math.isfinite(delay) or delay <= 0:
        return 0
    return int(min(delay, _MAX_DELAY_MS))


def scheme_of(uri: str) -> str:
    scheme, colon, _ = uri.partition(":")
    return scheme.lower() if colon else ""


def map_link(latitude: Any, longitude: Any) -> str:
    """A map URL any phone opens, for channels without a location message."""
    return f"https://www.google.com/maps/search/?api=1&query={quote(f'{latitude},{longitude}')}"


def hmac_sha256(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def constant_time_equal(expected: str | bytes, given: str | bytes) -> bool:
    """`hmac.compare_digest` on bytes, so a header with any character is just unequal.

    (On `str`, compare_digest raises for non-ASCII text: an attacker's header
    must not become a 500. "surrogatepass" encodes even a lone surrogate.)
    """
    a = expected if isinstance(expected, bytes) else expected.encode("utf-8", "surrogatepass")
    b = given if isinstance(given, bytes) else given.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(a, b)


def load_body(body: bytes) -> Any:
    """A webhook body as JSON; `ChannelInputError` (400) when it is not, or absurdly deep."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ChannelInputError(400, f"the body is not JSON: {error}") from None
    except RecursionError:
        raise ChannelInputError(400, "the body is nested too deeply") from None
    problem = value_problem(data, max_depth=_MAX_DEPTH)
    if problem is not None:
        raise ChannelInputError(400, f"the body is not one a platform sends: {problem}")
    return data


def coordinate(value: Any, bound: float) -> float | int | None:
    """A latitude (bound 90) or longitude (180) as a number; None when it is not one.

    A string of a number counts (a template's output).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    # (abs before isfinite: a huge int would overflow isfinite's float)
    if not isinstance(value, int | float) or abs(value) > bound or not math.isfinite(value):
        return None
    return value
