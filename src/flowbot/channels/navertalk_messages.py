"""TalkTalk's message objects: one turn's replies as a webhook answer and send events.

The outbound half of `flowbot.channels.navertalk` (see its docstring for the
platform's rules): `textContent`, `imageContent` and `compositeContent`
(a text with buttons, a card, a carousel of up to 10), TEXT and LINK buttons
and quick replies, each fitted to the chatbot API's documented limits with a
note for every cut, and the way they travel — the first message as the
webhook's answer, the rest as send events through the send API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from flowbot.channels import clicks
from flowbot.channels.base import OutboundCall, Recipient, Rendered
from flowbot.channels.capabilities import ChannelCapabilities
from flowbot.channels.fitting import (
    WEB_SCHEMES,
    MessageRenderer,
    coordinate,
    label_of,
    map_link,
    scheme_of,
)

__all__ = ["SEND_PATH", "Renderer"]

NAME = "navertalk"
SEND_PATH = "/chatbot/v1/event"
EMPTY_TEXT = "…"  # a composite needs a title or a description; a bot's may render empty
_CLICKS = ("postback", "goto")


class Renderer(MessageRenderer):
    channel = NAME

    def __init__(self, recipient: Recipient, caps: ChannelCapabilities) -> None:
        super().__init__(recipient, caps)
        # numbers of the `tel:` buttons of the message being made: TalkTalk has
        # no call button, but links a phone number in a text (README, textContent)
        self._phones: list[str] = []

    # --- texts ---

    def _text(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        text = reply.get("text") if isinstance(reply.get("text"), str) else ""
        assert isinstance(text, str)
        buttons = self._buttons(index, reply.get("buttons"), "buttons", self.caps.buttons_per_text)
        text = self._with_phones(text)
        if not buttons:
            if not text:
                self.notes.add(index, "text", "an empty text cannot be sent: dropped")
                return []
            return [_text(self.notes.cut(text, self.caps.text_chars, index, "text"))]
        # a text with buttons is a composite of a description and a button list
        limit = self.caps.text_with_buttons_chars or self.caps.card_body_chars
        shown = self.notes.cut(text, limit, index, "text") if text else EMPTY_TEXT
        return [_composites([{"description": shown, "buttonList": buttons}])]

    def _with_phones(self, text: str) -> str:
        phones, self._phones = self._phones, []
        return "\n".join(part for part in (text, *phones) if part)

    # --- cards ---

    def _cards(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        given = reply.get("cards")
        cards = [c for c in given if isinstance(c, Mapping)] if isinstance(given, list) else []
        if not cards:
            self.notes.add(index, "cards", "no cards: dropped")
            return []
        size = self.caps.cards if self.caps.carousel else 1
        made: list[dict[str, Any]] = []
        run: list[dict[str, Any]] = []
        count = 0
        for c, card in enumerate(cards):
            composite, plain = self._composite(index, c, card)
            if composite is None:
                # a card TalkTalk cannot show as a composite goes between the carousels
                if run and plain:
                    made.append(_composites(run))
                    run = []
                made += plain
                continue
            count += 1
            if len(run) == size:
                made.append(_composites(run))
                run = []
            run.append(composite)
        if run:
            made.append(_composites(run))
        if count > size:
            self.notes.add(
                index,
                "cards",
                f"{count} cards split into carousels of {size}"
                if self.caps.carousel
                else f"no carousel: {count} cards sent one by one",
            )
        return made

    def _composite(
        self, index: int, c: int, card: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """A card as a composite, or (None, the messages it is sent as instead)."""
        where = f"cards[{c}]"
        title = card.get("title") if isinstance(card.get("title"), str) else ""
        body = card.get("description") if isinstance(card.get("description"), str) else ""
        assert isinstance(title, str) and isinstance(body, str)
        image = self._image(index, card, where)
        limit = self.caps.buttons_per_card
        buttons = self._buttons(index, card.get("buttons"), f"{where}.buttons", limit)
        body = self._with_phones(body)
        if isinstance(card.get("uri"), str) and card["uri"]:
            if len(buttons) < limit:
                link = self._card_link(index, card["uri"], where)
                if link is not None:
                    buttons.append(link)
            else:
                self.notes.add(index, f"{where}.uri", f"no room beside {limit} buttons: dropped")
        # A composite holds a title, a description or an element list, and at
        # least two of title, description, elementList, image and buttonList:
        # a card of less is sent as what it has.
        if not image and not buttons and not (title and body):
            if not (title or body):
                self.notes.add(index, where, "an empty card: dropped")
                return None, []
            self.notes.add(index, where, "a card of a text alone sent as a text")
            return None, [_text(self.notes.cut(title or body, self.caps.text_chars, index, where))]
        if not title and not body and not buttons:
            assert image is not None
            self.notes.add(index, where, "a card of an image alone sent as an image")
            return None, [_image(image)]
        composite = self._title_and_description(index, where, title, body)
        if not body and not title:
            composite["description"] = EMPTY_TEXT  # an image and buttons need a text beside
        if image:
            composite["image"] = {"imageUrl": image}
        if buttons:
            composite["buttonList"] = buttons
        return composite, []

    def _image(self, index: int, card: Mapping[str, Any], where: str) -> str | None:
        return self._web_image(index, card, where, "TalkTalk")

    def _card_link(self, index: int, uri: str, where: str) -> dict[str, Any] | None:
        """A card's `uri` (a tap on it elsewhere) as a LINK button named by the link's host."""
        if scheme_of(uri) not in self.caps.link_schemes:
            self.notes.add(index, f"{where}.uri", "TalkTalk cannot open this link: dropped")
            return None
        try:
            host = urlsplit(uri).hostname or uri
        except ValueError:  # "http://[…": not a host a person reads
            host = uri
        self.notes.add(index, f"{where}.uri", "TalkTalk has no tap on a card: a link button")
        title = self.notes.cut(host, self.caps.button_label_chars, index, f"{where}.uri")
        return _link(title, uri)

    # --- media and locations ---

    def _media(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        found = self._media_uri(index, reply)
        if found is None:
            return []
        media, uri = found
        kind = media.get("contentType", "image")
        if not isinstance(kind, str) or kind not in self.caps.media_types:
            # TalkTalk links a URL in a text
            self.notes.add(index, "media.contentType", f"{kind!r} media sent as a link")
            return [_text(self.notes.cut(uri, self.caps.text_chars, index, "media.uri"))]
        if scheme_of(uri) not in WEB_SCHEMES:
            self.notes.add(index, "media.uri", "TalkTalk needs an http(s) image URL: dropped")
            return []
        return [_image(uri)]

    def _location(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        latitude, longitude = reply.get("latitude"), reply.get("longitude")
        if coordinate(latitude, 90) is None or coordinate(longitude, 180) is None:
            self.notes.add(index, "", "a location without numeric coordinates: dropped")
            return []
        link = map_link(latitude, longitude)
        self.notes.add(index, "", "TalkTalk has no location message: sent as a map link")
        label = reply.get("label")
        text = f"{label}\n{link}" if isinstance(label, str) and label else link
        return [_text(self.notes.cut(text, self.caps.text_chars, index, "label"))]

    # --- buttons ---

    def _button(self, index: int, button: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        return self._action(index, button, where, self.caps.button_label_chars, phones=True)

    def _action(
        self,
        index: int | None,
        button: Mapping[str, Any],
        where: str,
        title_chars: int,
        *,
        phones: bool,
    ) -> dict[str, Any] | None:
        kind = button.get("type", "postback")
        if kind == "operator":
            return None  # Kakao's call for a person: nothing on TalkTalk
        label = label_of(button)
        if kind == "link":
            uri = button.get("uri")
            uri = uri if isinstance(uri, str) else ""
            scheme = scheme_of(uri)
            if scheme in self.caps.link_schemes:
                title = self.notes.cut(label, title_chars, index, f"{where}.label")
                return _link(title or EMPTY_TEXT, uri)
            if scheme == "tel" and phones and uri[4:]:
                number = uri[4:]
                self._phones.append(f"{label}: {number}" if label else number)
                self.notes.add(
                    index, where, "TalkTalk has no call button: the number is in the text"
                )
                return None
            self.notes.add(index, where, f"TalkTalk cannot open a {scheme or 'bare'} link: dropped")
            return None
        if kind not in _CLICKS:
            self.notes.add(index, where, f"a {kind!r} button cannot be shown: dropped")
            return None
        title = self.notes.cut(label, title_chars, index, f"{where}.label") or EMPTY_TEXT
        # TalkTalk sends the title back as the user's text and the code with it
        # (README, ButtonData TEXT): the code rebuilds what the title cannot
        code = clicks.encode_click(
            button,
            limit=self.caps.payload_chars or 1000,
            label_comes_back=True,
            shown_label=title,
            scope=self.scope,
            keys=self.keys,
        )
        return {"type": "TEXT", "data": {"title": title, "code": code}}

    # --- the answer and the calls ---

    def finish(self, quick_replies: Sequence[Mapping[str, Any]]) -> Rendered:
        buttons = self._quick_replies(quick_replies)
        if buttons:
            if self.messages:
                message = self.messages[-1][0]
                for content in message.values():  # the one content object
                    content["quickReply"] = {"buttonList": buttons}
            else:
                self.notes.add(None, "", "quick replies need a message to ride on: dropped")
        answer, calls = self._delivery()
        return Rendered(calls=calls, answer=answer, payload_keys=self.keys, notes=self.notes.items)

    def _quick_replies(self, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        limit = self.caps.quick_replies
        if len(items) > limit:
            self.notes.add(
                None, "", f"{len(items) - limit} quick replies over the limit of {limit} dropped"
            )
        made = []
        for q, item in enumerate(items[:limit]):
            if not isinstance(item, Mapping):
                continue
            button = self._action(
                None, item, f"[{q}]", self.caps.quick_reply_label_chars, phones=False
            )
            if button is not None:
                made.append(button)
        return made

    def _delivery(self) -> tuple[dict[str, Any] | None, list[OutboundCall]]:
        """The webhook's answer (the first message) and the send events of the rest.

        A delay on the first message cannot be waited out inside the webhook's
        answer (TalkTalk reads for 5 seconds), so then nothing is answered and
        every message is a send event; so too for a push (`recipient.push`).
        A delayed send event follows a `typingOn` action, which TalkTalk shows
        for 10 seconds or until the next message.
        """
        user = self.recipient.user_key
        answer: dict[str, Any] | None = None
        calls: list[OutboundCall] = []
        for position, (message, delay) in enumerate(self.messages):
            if position == 0 and not delay and not self.recipient.push:
                answer = {"event": "send", **message}
                continue
            if delay:
                typing = {"event": "action", "user": user, "options": {"action": "typingOn"}}
                calls.append(OutboundCall(SEND_PATH, typing, purpose="typing"))
            body = {"event": "send", "user": user, **message}
            calls.append(OutboundCall(SEND_PATH, body, wait_ms=delay))
        return answer, calls


def _text(text: str) -> dict[str, Any]:
    return {"textContent": {"text": text}}


def _image(uri: str) -> dict[str, Any]:
    return {"imageContent": {"imageUrl": uri}}


def _link(title: str, uri: str) -> dict[str, Any]:
    # both are required: TalkTalk opens `url` on a PC and `mobileUrl` on a phone
    return {"type": "LINK", "data": {"title": title, "url": uri, "mobileUrl": uri}}


def _composites(composites: list[dict[str, Any]]) -> dict[str, Any]:
    return {"compositeContent": {"compositeList": composites}}
