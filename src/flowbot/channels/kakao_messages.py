"""Kakao i Open Builder's skill response: one turn's replies as one SkillResponse.

The outbound half of `flowbot.channels.kakao` (its docstring has the
platform's rules). Every figure follows Kakao's "응답 타입별 JSON 포맷"
(https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format):

- a text is a `simpleText` (1000 characters); a text with buttons a
  `textCard` whose description is the text (title and description together
  at most 400 characters, 3 buttons);
- one card is a `basicCard` when it has an image (a basic card needs a
  `thumbnail`), else a `textCard`; several cards are a `carousel` of 10 at
  most, all of one type: basic cards when every card has an image, else text
  cards and the images are dropped (a text card's description is 128
  characters in a carousel);
- an image is a `simpleImage`; video and audio are sent as their link;
- a location is a text card with a map link (Kakao has no location output);
- a button is a `message` action that sends its full label as the user's
  utterance, carrying the click in its `extra` (`{"flowbot": <wire data>}`,
  back as `action.clientExtra`) when it has a payload or a goto; links are
  `webLink` (http, https) or `phone` (tel:); `{"type": "operator"}` is
  Kakao's consultation button;
- quick replies (10, as buttons, never links) ride on the template.

Kakao answers once, with at most 3 outputs: a message's `delay` is ignored
(with a note), and when the replies make more than 3 outputs, adjacent
simple texts are first joined (with a blank line, while within 1000
characters), then the outputs past the third are dropped, with a note per
dropped reply. A turn with nothing to show answers `outputs: []`: the skill
guide lists outputs as 1 to 3, but Kakao's group-chatbot (beta) guide has a
skill answer exactly this when it has nothing to send, and any bubble
flowbot made up would be text the bot never said. Quick replies need a
bubble, though: without outputs they ride on a "…" text (with a note).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flowbot.channels import clicks
from flowbot.channels.base import Recipient, Rendered
from flowbot.channels.capabilities import ChannelCapabilities
from flowbot.channels.fitting import (
    WEB_SCHEMES,
    MessageRenderer,
    coordinate,
    label_of,
    map_link,
    message_delay,
    scheme_of,
)
from flowbot.channels.limits import truncate

__all__ = ["EMPTY_TEXT", "EXTRA_KEY", "Renderer", "simple_text"]

NAME = "kakao"
# the key of flowbot's click in a button's `extra` (Kakao sends it back as clientExtra)
EXTRA_KEY = "flowbot"
EMPTY_TEXT = "…"  # a label, a card or a bubble needs a text; a bot's may render empty
# textCard: title and description together 400 characters in a single card,
# the description 128 in a carousel
TEXT_CARD_CAROUSEL_CHARS = 128
ALT_TEXT = "이미지"  # simpleImage `altText` (50 characters): the bot format gives none
ALT_TEXT_CHARS = 50
MAP_LABEL = "지도 보기"  # the button of a location's card


def simple_text(text: str) -> dict[str, Any]:
    return {"simpleText": {"text": text}}


class Renderer(MessageRenderer):
    channel = NAME

    def __init__(self, recipient: Recipient, caps: ChannelCapabilities) -> None:
        super().__init__(recipient, caps)
        # the reply each output in `messages` came from
        self.origins: list[int] = []

    def reply(self, index: int, reply: Mapping[str, Any]) -> None:
        before = len(self.messages)
        super().reply(index, reply)
        self.origins += [index] * (len(self.messages) - before)
        if message_delay(reply):
            self.notes.add(index, "delay", "Kakao answers once: the delay is ignored")

    # --- texts ---

    def _text(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        text = reply.get("text") if isinstance(reply.get("text"), str) else ""
        assert isinstance(text, str)
        buttons = self._buttons(index, reply.get("buttons"), "buttons", self.caps.buttons_per_text)
        if not buttons:
            if not text:
                self.notes.add(index, "text", "an empty text cannot be sent: dropped")
                return []
            return [simple_text(self.notes.cut(text, self.caps.text_chars, index, "text"))]
        limit = self.caps.text_with_buttons_chars or self.caps.text_chars
        description = self.notes.cut(text, limit, index, "text") if text else EMPTY_TEXT
        return [{"textCard": {"description": description, "buttons": buttons}}]

    # --- cards ---

    def _cards(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        given = reply.get("cards")
        cards = [c for c in given if isinstance(c, Mapping)] if isinstance(given, list) else []
        if not cards:
            self.notes.add(index, "cards", "no cards: dropped")
            return []
        if len(cards) == 1 or not self.caps.carousel:
            if len(cards) > 1:
                self.notes.add(index, "cards", f"no carousel: {len(cards)} cards sent one by one")
            return [self._card(index, c, card) for c, card in enumerate(cards)]
        size = self.caps.cards
        if len(cards) > size:
            self.notes.add(index, "cards", f"{len(cards)} cards split into carousels of {size}")
        made = []
        for at in range(0, len(cards), size):
            chunk = cards[at : at + size]
            if len(chunk) == 1:
                made.append(self._card(index, at, chunk[0]))
            else:
                made.append(self._carousel(index, at, chunk))
        return made

    def _card(self, index: int, c: int, card: Mapping[str, Any]) -> dict[str, Any]:
        """One card alone: a basic card with its image, else a text card."""
        image = self._image(index, card, f"cards[{c}]")
        if image:
            return {"basicCard": self._basic_card(index, c, card, image)}
        return {"textCard": self._text_card(index, c, card, carousel=False)}

    def _carousel(self, index: int, first: int, cards: list[Mapping[str, Any]]) -> dict[str, Any]:
        images = [self._image(index, card, f"cards[{first + c}]") for c, card in enumerate(cards)]
        items: list[dict[str, Any]]
        if all(images):
            items = [
                self._basic_card(index, first + c, card, images[c] or "")
                for c, card in enumerate(cards)
            ]
            return {"carousel": {"type": "basicCard", "items": items}}
        # A carousel's items are all of one type, and a basic card needs an image:
        # text cards, and the images of the cards that have one are dropped.
        if any(images):
            self.notes.add(index, "cards", "images dropped: some cards have none")
        items = [
            self._text_card(index, first + c, card, carousel=True) for c, card in enumerate(cards)
        ]
        return {"carousel": {"type": "textCard", "items": items}}

    def _basic_card(
        self, index: int, c: int, card: Mapping[str, Any], image: str
    ) -> dict[str, Any]:
        where = f"cards[{c}]"
        title, body = _card_texts(card)
        made = self._title_and_description(index, where, title, body)
        thumbnail: dict[str, Any] = {"imageUrl": image}
        link = self._card_link(index, card, where)
        if link:
            thumbnail["link"] = {"web": link}
        made["thumbnail"] = thumbnail
        buttons = self._buttons(
            index, card.get("buttons"), f"{where}.buttons", self.caps.buttons_per_card
        )
        if buttons:
            made["buttons"] = buttons
        return made

    def _text_card(
        self, index: int, c: int, card: Mapping[str, Any], *, carousel: bool
    ) -> dict[str, Any]:
        where = f"cards[{c}]"
        title, body = _card_texts(card)
        made: dict[str, Any] = {}
        if title:
            made["title"] = self.notes.cut(
                title, self.caps.card_title_chars, index, f"{where}.title"
            )
        if body:
            if carousel:
                limit = TEXT_CARD_CAROUSEL_CHARS
            else:  # a single text card shows its title and description in 400 characters
                whole = self.caps.text_with_buttons_chars or self.caps.text_chars
                limit = max(whole - len(made.get("title", "")), 1)
            made["description"] = self.notes.cut(body, limit, index, f"{where}.description")
        if not made:  # a text card needs a title or a description
            made["description"] = EMPTY_TEXT
        uri = card.get("uri")
        if isinstance(uri, str) and uri:
            self.notes.add(index, f"{where}.uri", "a Kakao text card opens no link: dropped")
        buttons = self._buttons(
            index, card.get("buttons"), f"{where}.buttons", self.caps.buttons_per_card
        )
        if buttons:
            made["buttons"] = buttons
        return made

    def _image(self, index: int, card: Mapping[str, Any], where: str) -> str | None:
        return self._web_image(index, card, where, "Kakao")

    def _card_link(self, index: int, card: Mapping[str, Any], where: str) -> str | None:
        """A card's `uri`: what a tap on its image opens (a thumbnail's `link.web`)."""
        uri = card.get("uri")
        if not isinstance(uri, str) or not uri:
            return None
        if scheme_of(uri) not in WEB_SCHEMES:
            self.notes.add(index, f"{where}.uri", "Kakao cannot open this link: dropped")
            return None
        return uri

    # --- media and locations ---

    def _media(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        found = self._media_uri(index, reply)
        if found is None:
            return []
        media, uri = found
        if scheme_of(uri) not in WEB_SCHEMES:
            self.notes.add(index, "media.uri", "Kakao needs an http(s) media URL: dropped")
            return []
        kind = media.get("contentType", "image")
        if isinstance(kind, str) and kind in self.caps.media_types:
            return [{"simpleImage": {"imageUrl": uri, "altText": _alt_text(media)}}]
        self.notes.add(index, "media.contentType", f"{kind!r} media sent as a link")
        return [simple_text(self.notes.cut(uri, self.caps.text_chars, index, "media.uri"))]

    def _location(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        latitude = coordinate(reply.get("latitude"), 90)
        longitude = coordinate(reply.get("longitude"), 180)
        if latitude is None or longitude is None:
            self.notes.add(index, "", "a location without numeric coordinates: dropped")
            return []
        self.notes.add(index, "", "Kakao has no location output: sent as a map link")
        card: dict[str, Any] = {}
        label = reply.get("label")
        if isinstance(label, str) and label:
            card["title"] = self.notes.cut(label, self.caps.card_title_chars, index, "label")
        card["description"] = f"{latitude}, {longitude}"
        link = map_link(latitude, longitude)
        card["buttons"] = [{"label": MAP_LABEL, "action": "webLink", "webLinkUrl": link}]
        return [{"textCard": card}]

    # --- buttons ---

    def _button(self, index: int, button: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        label = label_of(button)
        shown = self.notes.cut(label, self.caps.button_label_chars, index, f"{where}.label")
        shown = shown or EMPTY_TEXT
        kind = button.get("type", "postback")
        if kind == "link":
            uri = button.get("uri")
            uri = uri if isinstance(uri, str) else ""
            scheme = scheme_of(uri)
            if scheme in WEB_SCHEMES and scheme in self.caps.link_schemes:
                return {"label": shown, "action": "webLink", "webLinkUrl": uri}
            if scheme == "tel" and "tel" in self.caps.link_schemes and uri[4:]:
                return {"label": shown, "action": "phone", "phoneNumber": uri[4:]}
            self.notes.add(index, where, f"Kakao cannot open a {scheme or 'bare'} link: dropped")
            return None
        if kind == "operator":
            # Kakao's consultation button: the user goes to the channel's 1:1 chat
            return {"label": shown, "action": "operator"}
        return self._message_action(button, label, shown)

    def _message_action(self, item: Mapping[str, Any], label: str, shown: str) -> dict[str, Any]:
        """A `message` action: its full label comes back as the utterance, its click in extra."""
        said = label or EMPTY_TEXT
        action: dict[str, Any] = {"label": shown, "action": "message", "messageText": said}
        if item.get("type") == "goto" or isinstance(item.get("payload"), str):
            wire = clicks.encode_click(
                item,
                limit=self.caps.payload_chars or 1000,
                label_comes_back=True,
                shown_label=said,
                scope=self.scope,
                keys=self.keys,
            )
            action["extra"] = {EXTRA_KEY: wire}
        # a payload-less postback is its label sent as text: the utterance says exactly that
        return action

    def _quick_replies(self, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        limit = self.caps.quick_replies
        if len(items) > limit:
            self.notes.add(
                None, "", f"{len(items) - limit} quick replies over the limit of {limit} dropped"
            )
        made = []
        for q, item in enumerate(items[:limit]):
            kind = item.get("type", "postback")
            if kind in ("link", "operator"):
                # a quick reply is a message or a block: it opens nothing
                self.notes.add(None, f"[{q}]", f"a quick reply cannot be a {kind} button: dropped")
                continue
            label = label_of(item)
            shown = self.notes.cut(label, self.caps.quick_reply_label_chars, None, f"[{q}].label")
            made.append(self._message_action(item, label, shown or EMPTY_TEXT))
        return made

    # --- the answer ---

    def finish(self, quick_replies: Sequence[Mapping[str, Any]]) -> Rendered:
        quick = self._quick_replies(quick_replies)
        outputs = self._outputs()
        if quick and not outputs:
            self.notes.add(
                None, "", f"quick replies need a bubble to ride on: sent under {EMPTY_TEXT}"
            )
            outputs = [simple_text(EMPTY_TEXT)]
        template: dict[str, Any] = {"outputs": outputs}
        if quick:
            template["quickReplies"] = quick
        answer = {"version": "2.0", "template": template}
        keys = _referenced(self.keys, [*outputs, *quick])
        return Rendered(answer=answer, payload_keys=keys, notes=self.notes.items)

    def _outputs(self) -> list[dict[str, Any]]:
        """At most 3 outputs: adjacent simple texts joined, then the rest dropped."""
        limit = self.caps.messages_per_request or 3
        outputs: list[tuple[dict[str, Any], list[int]]] = [
            (message, [origin])
            for (message, _), origin in zip(self.messages, self.origins, strict=True)
        ]
        if len(outputs) > limit:
            outputs = self._joined(outputs, limit)
        for origin in dict.fromkeys(i for _, origins in outputs[limit:] for i in origins):
            kept = any(origin in origins for _, origins in outputs[:limit])
            what = "the rest of it is dropped" if kept else "dropped"
            self.notes.add(origin, "", f"Kakao answers with at most {limit} outputs: {what}")
        return [message for message, _ in outputs[:limit]]

    def _joined(
        self, outputs: list[tuple[dict[str, Any], list[int]]], limit: int
    ) -> list[tuple[dict[str, Any], list[int]]]:
        joined: list[tuple[dict[str, Any], list[int]]] = []
        for message, origins in outputs:
            if joined and "simpleText" in message and "simpleText" in joined[-1][0]:
                before, first = joined[-1]
                text = before["simpleText"]["text"] + "\n\n" + message["simpleText"]["text"]
                if len(text) <= self.caps.text_chars:
                    for origin in origins:
                        self.notes.add(
                            origin, "", f"joined to the text before it: Kakao shows {limit} outputs"
                        )
                    joined[-1] = (simple_text(text), first + origins)
                    continue
            joined.append((message, origins))
        return joined


def _referenced(keys: Mapping[str, str], sent: list[dict[str, Any]]) -> dict[str, str]:
    """The stored records the sent buttons refer to (not those of dropped outputs)."""
    if not keys:
        return {}
    found: dict[str, str] = {}
    stack: list[Any] = list(sent)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            extra = item.get("extra")
            wire = extra.get(EXTRA_KEY) if isinstance(extra, dict) else None
            if isinstance(wire, str):
                click = clicks.decode_click(wire)
                if click.key is not None and click.key in keys:
                    found[click.key] = keys[click.key]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _card_texts(card: Mapping[str, Any]) -> tuple[str, str]:
    title = card.get("title")
    body = card.get("description")
    return (title if isinstance(title, str) else "", body if isinstance(body, str) else "")


def _alt_text(media: Mapping[str, Any]) -> str:
    for key in ("altText", "alt", "title"):
        value = media.get(key)
        if isinstance(value, str) and value.strip():
            return truncate(value, ALT_TEXT_CHARS)
    return ALT_TEXT
