"""LINE's message objects: one turn's replies as reply, push and loading calls.

The outbound half of `flowbot.channels.line` (see its docstring for the
platform's rules): texts, buttons and carousel templates, image and location
messages, quick replies, each fitted to LINE's documented limits with a note
for every cut, and the calls that carry them — the reply token for the
messages up to the first delay (5 at most), pushes for the rest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from flowbot.channels import clicks
from flowbot.channels.base import OutboundCall, Rendered
from flowbot.channels.fitting import MessageRenderer, coordinate, label_of, scheme_of
from flowbot.channels.limits import ELLIPSIS

__all__ = ["LOADING_PATH", "PUSH_PATH", "REPLY_PATH", "Renderer"]

NAME = "line"
REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"
LOADING_PATH = "/v2/bot/chat/loading/start"
EMPTY_TEXT = "…"  # templates need texts and labels; a bot's may render empty
ALT_TEXT_CHARS = 400
ACTION_TEXT_CHARS = 300  # a message action's text, a postback's displayText
LOCATION_TEXT_CHARS = 100  # a location message's title and address
TITLE_OR_IMAGE_TEXT_CHARS = 60  # a buttons template's text beside a title or image
URI_CHARS = 1000  # a uri action's uri
IMAGE_URL_CHARS = 2000  # an image message's URLs, a template's thumbnailImageUrl

# LINE counts most texts in UTF-16 code units, so that 🍎 is two characters
# (https://developers.line.biz/en/docs/messaging-api/text-character-count/):
# a text message, altText, a location's title and address, a postback's
# `data`, URLs. Labels, displayText and a template's title and text count
# grapheme clusters, never more than Python's characters: `Notes.cut` fits
# those.


class Renderer(MessageRenderer):
    channel = NAME

    # --- texts ---
    def _text(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        text = reply.get("text") if isinstance(reply.get("text"), str) else ""
        assert isinstance(text, str)
        actions = self._buttons(index, reply.get("buttons"), "buttons", self.caps.buttons_per_text)
        if not actions:
            if not text:
                self.notes.add(index, "text", "an empty text cannot be sent: dropped")
                return []
            return [_text(self._cut_units(text, self.caps.text_chars, index, "text"))]
        limit = self.caps.text_with_buttons_chars or self.caps.text_chars
        shown = self.notes.cut(text, limit, index, "text") if text else EMPTY_TEXT
        template = {"type": "buttons", "text": shown, "actions": actions}
        return [_template(text or EMPTY_TEXT, template)]

    # --- cards ---

    def _cards(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        given = reply.get("cards")
        cards = [c for c in given if isinstance(c, Mapping)] if isinstance(given, list) else []
        if not cards:
            self.notes.add(index, "cards", "no cards: dropped")
            return []
        # one card, or a channel row without carousels: a buttons template per card
        single = len(cards) == 1 or not self.caps.carousel
        actions = [
            self._buttons(
                index,
                card.get("buttons"),
                f"cards[{c}].buttons",
                self.caps.buttons_per_text if single else self.caps.buttons_per_card,
            )
            for c, card in enumerate(cards)
        ]
        if not any(actions):
            # a template needs an action: without buttons a card is its image and its text
            self.notes.add(index, "cards", "cards without buttons sent as images and texts")
            return [m for c, card in enumerate(cards) for m in self._plain_card(index, c, card)]
        if single:
            if len(cards) > 1:
                self.notes.add(index, "cards", f"no carousel: {len(cards)} cards sent one by one")
            made: list[dict[str, Any]] = []
            for c, card in enumerate(cards):
                if actions[c]:
                    made.append(self._buttons_card(index, c, card, actions[c]))
                else:
                    made += self._plain_card(index, c, card)
            return made
        size = self.caps.cards
        if len(cards) > size:
            self.notes.add(index, "cards", f"{len(cards)} cards split into carousels of {size}")
        made = []
        for at in range(0, len(cards), size):
            chunk, chunk_actions = cards[at : at + size], actions[at : at + size]
            if any(chunk_actions):
                made.append(self._carousel(index, at, chunk, chunk_actions))
                continue
            # a carousel's columns need an action each: a split-off run of cards without
            # buttons is sent as images and texts, like cards without any buttons
            self.notes.add(index, f"cards[{at}]", "cards without buttons sent as images and texts")
            for c, card in enumerate(chunk, at):
                made += self._plain_card(index, c, card)
        return made

    def _buttons_card(
        self, index: int, c: int, card: Mapping[str, Any], actions: list[dict[str, Any]]
    ) -> dict[str, Any]:
        where = f"cards[{c}]"
        title, body = _card_texts(card)
        image = self._image(index, card, where)
        template: dict[str, Any] = {"type": "buttons"}
        if image:
            template["thumbnailImageUrl"] = image
        if title and body:
            template["title"] = self.notes.cut(
                title, self.caps.card_title_chars, index, f"{where}.title"
            )
        text = body or title
        limit = self.caps.text_with_buttons_chars or self.caps.card_body_chars
        if image or "title" in template:
            limit = TITLE_OR_IMAGE_TEXT_CHARS
        path = f"{where}.description" if body else f"{where}.title"
        template["text"] = self.notes.cut(text, limit, index, path) if text else EMPTY_TEXT
        uri_action = self._default_action(index, card, where)
        if uri_action:
            template["defaultAction"] = uri_action
        template["actions"] = actions
        return _template(title or body or EMPTY_TEXT, template)

    def _carousel(
        self,
        index: int,
        first: int,
        cards: list[Mapping[str, Any]],
        actions: list[list[dict[str, Any]]],
    ) -> dict[str, Any]:
        texts = [_card_texts(card) for card in cards]
        images = [self._image(index, card, f"cards[{first + c}]") for c, card in enumerate(cards)]
        # LINE: every column has the same number of actions, and an image and
        # a title on all columns or on none
        if any(images) and not all(images):
            self.notes.add(index, "cards", "images dropped: some cards have none")
            images = [None] * len(cards)
        bodies = any(body for _, body in texts)
        titled = bodies and any(title for title, _ in texts)
        most = max(len(a) for a in actions)
        columns = []
        for c, card in enumerate(cards):
            where = f"cards[{first + c}]"
            title, body = texts[c]
            column: dict[str, Any] = {}
            if images[c]:
                column["thumbnailImageUrl"] = images[c]
            if titled:
                column["title"] = (
                    self.notes.cut(title, self.caps.card_title_chars, index, f"{where}.title")
                    if title
                    else EMPTY_TEXT
                )
            text = body if bodies else title
            limit = self.caps.card_body_chars
            if images[c] or titled:
                limit = self.caps.card_body_with_title_chars or limit
            path = f"{where}.description" if bodies else f"{where}.title"
            column["text"] = self.notes.cut(text, limit, index, path) if text else EMPTY_TEXT
            uri_action = self._default_action(index, card, where)
            if uri_action:
                column["defaultAction"] = uri_action
            padding = most - len(actions[c])
            if padding:
                self.notes.add(index, f"{where}.buttons", f"{padding} empty buttons added")
            column["actions"] = actions[c] + [_noop()] * padding
            columns.append(column)
        alt = ", ".join(title or body for title, body in texts if title or body) or EMPTY_TEXT
        return _template(alt, {"type": "carousel", "columns": columns})

    def _plain_card(self, index: int, c: int, card: Mapping[str, Any]) -> list[dict[str, Any]]:
        made = []
        image = self._image(index, card, f"cards[{c}]")
        if image:
            made.append(_image_message(image))
        title, body = _card_texts(card)
        text = "\n".join(part for part in (title, body) if part)
        if text:
            made.append(_text(self._cut_units(text, self.caps.text_chars, index, f"cards[{c}]")))
        return made

    def _image(self, index: int, card: Mapping[str, Any], where: str) -> str | None:
        media = card.get("media")
        if not isinstance(media, Mapping) or not isinstance(media.get("uri"), str):
            return None
        uri: str = media["uri"]
        if media.get("contentType", "image") != "image" or scheme_of(uri) != "https":
            self.notes.add(index, f"{where}.media", "LINE shows https images only: dropped")
            return None
        if _units(uri) > IMAGE_URL_CHARS:
            self.notes.add(
                index, f"{where}.media", f"an image URL over {IMAGE_URL_CHARS} characters: dropped"
            )
            return None
        return uri

    def _default_action(
        self, index: int, card: Mapping[str, Any], where: str
    ) -> dict[str, Any] | None:
        """A card's `uri`: what a tap on its image or text opens."""
        uri = card.get("uri")
        if not isinstance(uri, str) or not uri:
            return None
        if scheme_of(uri) not in ("http", "https") or _units(uri) > URI_CHARS:
            self.notes.add(index, f"{where}.uri", "LINE cannot open this link: dropped")
            return None
        return {"type": "uri", "label": "open", "uri": uri}

    # --- media and locations ---

    def _media(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        found = self._media_uri(index, reply)
        if found is None:
            return []
        media, uri = found
        kind = media.get("contentType", "image")
        if (
            kind in self.caps.media_types
            and scheme_of(uri) == "https"
            and _units(uri) <= IMAGE_URL_CHARS
        ):
            return [_image_message(uri)]
        self.notes.add(index, "media", f"{kind} media sent as a link")
        return [_text(uri)]

    def _location(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        # LINE wants numbers; the bot format also allows strings (templates render to them)
        latitude = coordinate(reply.get("latitude"), 90)
        longitude = coordinate(reply.get("longitude"), 180)
        if latitude is None or longitude is None:
            self.notes.add(index, "", "a location without numeric coordinates: dropped")
            return []
        label = reply.get("label") if isinstance(reply.get("label"), str) else ""
        assert isinstance(label, str)
        coordinates = f"{latitude}, {longitude}"
        return [
            {
                "type": "location",
                "title": self._cut_units(label or coordinates, LOCATION_TEXT_CHARS, index, "label"),
                "address": _fit_units(coordinates, LOCATION_TEXT_CHARS),
                "latitude": latitude,
                "longitude": longitude,
            }
        ]

    def _cut_units(self, text: str, limit: int, message: int | None, path: str) -> str:
        """`Notes.cut` for a text LINE counts in UTF-16 code units."""
        units = _units(text)
        if units <= limit:
            return text
        self.notes.add(message, path, f"cut from {units} to {limit} characters")
        return _fit_units(text, limit)

    # --- actions ---

    def _button(self, index: int, button: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        return self._action(index, button, where, self.caps.button_label_chars, links=True)

    def _action(
        self,
        index: int | None,
        button: Mapping[str, Any],
        where: str,
        label_chars: int,
        *,
        links: bool,
    ) -> dict[str, Any] | None:
        label = label_of(button)
        shown = self.notes.cut(label, label_chars, index, f"{where}.label") or EMPTY_TEXT
        kind = button.get("type", "postback")
        if kind == "link" and links:
            uri = button.get("uri")
            uri = uri if isinstance(uri, str) else ""
            scheme = scheme_of(uri)
            if scheme in self.caps.link_schemes:
                if _units(uri) <= URI_CHARS:
                    return {"type": "uri", "label": shown, "uri": uri}
                self.notes.add(index, where, f"a link over {URI_CHARS} characters: dropped")
                return None
            self.notes.add(index, where, f"LINE cannot open a {scheme or 'bare'} link: dropped")
            return None
        said = label[:ACTION_TEXT_CHARS] or EMPTY_TEXT
        if kind != "goto" and not isinstance(button.get("payload"), str):
            # the click is the label as text: a message action says exactly that
            return {"type": "message", "label": shown, "text": said}
        limit = self.caps.payload_chars or 300
        data = self._click_data(button, limit, shown)
        if _units(data) > limit:
            # clicks counts characters, LINE UTF-16 units (an emoji is two): a stored key
            data = self._click_data(button, 0, shown)
        return {"type": "postback", "label": shown, "data": data, "displayText": said}

    def _click_data(self, button: Mapping[str, Any], limit: int, shown: str) -> str:
        return clicks.encode_click(
            button,
            limit=limit,
            label_comes_back=False,
            shown_label=shown,
            scope=self.scope,
            keys=self.keys,
        )

    # --- the calls ---

    def finish(self, quick_replies: Sequence[Mapping[str, Any]]) -> Rendered:
        items = self._quick_reply_items(quick_replies)
        if items:
            if self.messages:
                self.messages[-1][0]["quickReply"] = {"items": items}
            else:
                self.notes.add(None, "", "quick replies need a message to ride on: dropped")
        return Rendered(calls=self._calls(), payload_keys=self.keys, notes=self.notes.items)

    def _quick_reply_items(self, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        limit = self.caps.quick_replies
        if len(items) > limit:
            self.notes.add(
                None, "", f"{len(items) - limit} quick replies over the limit of {limit} dropped"
            )
        made = []
        for q, item in enumerate(items[:limit]):
            action = self._action(
                None, item, f"[{q}]", self.caps.quick_reply_label_chars, links=False
            )
            if action is not None:
                made.append({"type": "action", "action": action})
        return made

    def _calls(self) -> list[OutboundCall]:
        """Reply with the messages up to the first delay (5 at most), push the rest."""
        per_request = self.caps.messages_per_request or 5
        groups: list[tuple[list[dict[str, Any]], int]] = []
        for message, delay in self.messages:
            if not groups or delay or len(groups[-1][0]) == per_request:
                groups.append(([], delay))
            groups[-1][0].append(message)
        user = self.recipient.user_key
        reply_token = None if self.recipient.push else self.recipient.reply_token
        calls: list[OutboundCall] = []
        for number, (messages, delay) in enumerate(groups):
            if delay and user.startswith("U"):  # the animation shows in one-on-one chats only
                seconds = min(max(math.ceil(delay / 5000) * 5, 5), 60)
                loading = {"chatId": user, "loadingSeconds": seconds}
                calls.append(OutboundCall(LOADING_PATH, loading, purpose="typing"))
            push = OutboundCall(PUSH_PATH, {"to": user, "messages": messages}, wait_ms=delay)
            if number == 0 and reply_token is not None:
                reply = {"replyToken": reply_token, "messages": messages}
                calls.append(OutboundCall(REPLY_PATH, reply, wait_ms=delay, fallback=push))
            else:
                calls.append(push)
        return calls


def _card_texts(card: Mapping[str, Any]) -> tuple[str, str]:
    title = card.get("title")
    body = card.get("description")
    return (title if isinstance(title, str) else "", body if isinstance(body, str) else "")


def _units(text: str) -> int:
    """The length of `text` as LINE counts most texts: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _fit_units(text: str, limit: int) -> str:
    """`text` within `limit` UTF-16 code units, the last one being "…" when cut."""
    data = text.encode("utf-16-le", "surrogatepass")
    if len(data) <= 2 * limit:
        return text
    head = data[: 2 * max(limit - 1, 0)]
    if head and 0xD8 <= head[-1] <= 0xDB:  # the first half of a pair: keep the pair whole
        head = head[:-2]
    return head.decode("utf-16-le", "surrogatepass") + ELLIPSIS


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _image_message(uri: str) -> dict[str, Any]:
    return {"type": "image", "originalContentUrl": uri, "previewImageUrl": uri}


def _template(alt: str, template: dict[str, Any]) -> dict[str, Any]:
    return {"type": "template", "altText": _fit_units(alt, ALT_TEXT_CHARS), "template": template}


def _noop() -> dict[str, Any]:
    # LINE wants as many actions on every column: a button that does nothing
    return {"type": "postback", "label": "-", "data": clicks.noop_data()}
