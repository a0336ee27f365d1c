"""Messenger's message objects: one turn's replies as Send API calls.

The outbound half of `flowbot.channels.facebook` (its docstring has the
platform's rules): texts, button and generic templates, attachments and
quick replies, fitted to the Send API's documented limits with a note for
every cut, one call per message and `typing_on` before a delayed one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from flowbot.channels import clicks
from flowbot.channels.base import OutboundCall, Rendered
from flowbot.channels.fitting import MessageRenderer, label_of, map_link, scheme_of

__all__ = ["SEND_PATH", "Renderer"]

NAME = "facebook"
SEND_PATH = "/me/messages"
EMPTY_TEXT = "…"  # a template needs a text; a bot's may render empty


class Renderer(MessageRenderer):
    channel = NAME

    def _text(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        text = reply.get("text") if isinstance(reply.get("text"), str) else ""
        assert isinstance(text, str)
        buttons = self._buttons(index, reply.get("buttons"), "buttons", self.caps.buttons_per_text)
        if not buttons:
            if not text:
                self.notes.add(index, "text", "an empty text cannot be sent: dropped")
                return []
            return [{"text": self.notes.cut(text, self.caps.text_chars, index, "text")}]
        limit = self.caps.text_with_buttons_chars or self.caps.text_chars
        shown = self.notes.cut(text, limit, index, "text") if text else EMPTY_TEXT
        template = {"template_type": "button", "text": shown, "buttons": buttons}
        return [{"attachment": {"type": "template", "payload": template}}]

    def _cards(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        given = reply.get("cards")
        cards = [c for c in given if isinstance(c, Mapping)] if isinstance(given, list) else []
        elements = [self._element(index, c, card) for c, card in enumerate(cards)]
        if not elements:
            self.notes.add(index, "cards", "no cards: dropped")
            return []
        size = self.caps.cards if self.caps.carousel else 1
        if len(elements) > size:
            self.notes.add(
                index,
                "cards",
                f"{len(elements)} cards split into carousels of {size}"
                if self.caps.carousel
                else f"no carousel: {len(elements)} cards sent one by one",
            )
        return [
            {
                "attachment": {
                    "type": "template",
                    "payload": {"template_type": "generic", "elements": elements[at : at + size]},
                }
            }
            for at in range(0, len(elements), size)
        ]

    def _element(self, index: int, c: int, card: Mapping[str, Any]) -> dict[str, Any]:
        where = f"cards[{c}]"
        title = card.get("title") if isinstance(card.get("title"), str) else ""
        body = card.get("description") if isinstance(card.get("description"), str) else ""
        assert isinstance(title, str) and isinstance(body, str)
        if not title:  # an element needs a title: the body takes its place
            title, body = body, ""
        element: dict[str, Any] = {
            "title": self.notes.cut(title, self.caps.card_title_chars, index, f"{where}.title")
            if title
            else EMPTY_TEXT
        }
        if body:
            element["subtitle"] = self.notes.cut(
                body, self.caps.card_body_chars, index, f"{where}.description"
            )
        media = card.get("media")
        if isinstance(media, Mapping) and isinstance(media.get("uri"), str):
            if media.get("contentType", "image") != "image":
                self.notes.add(
                    index, f"{where}.media", "a card shows images only: the media is dropped"
                )
            elif scheme_of(media["uri"]) not in ("http", "https"):
                # Messenger fetches the image itself: a path on this server means nothing there
                self.notes.add(
                    index, f"{where}.media", "Messenger needs an http(s) image URL: dropped"
                )
            else:
                element["image_url"] = media["uri"]
        uri = card.get("uri")
        if isinstance(uri, str) and scheme_of(uri) in ("http", "https"):
            element["default_action"] = {"type": "web_url", "url": uri}
        buttons = self._buttons(
            index, card.get("buttons"), f"{where}.buttons", self.caps.buttons_per_card
        )
        if buttons:
            element["buttons"] = buttons
        return element

    def _media(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        found = self._media_uri(index, reply)
        if found is None:
            return []
        media, uri = found
        kind = media.get("contentType", "image")
        if not isinstance(kind, str) or kind not in self.caps.media_types:
            self.notes.add(index, "media.contentType", f"{kind!r} media sent as a link")
            return [{"text": uri}]
        if scheme_of(uri) not in ("http", "https"):
            self.notes.add(index, "media.uri", "Messenger needs an http(s) media URL: dropped")
            return []
        return [{"attachment": {"type": kind, "payload": {"url": uri, "is_reusable": True}}}]

    def _location(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        link = map_link(reply.get("latitude"), reply.get("longitude"))
        self.notes.add(index, "", "Messenger has no location message: sent as a map link")
        label = reply.get("label")
        text = f"{label}\n{link}" if isinstance(label, str) and label else link
        return [{"text": self.notes.cut(text, self.caps.text_chars, index, "label")}]

    # --- buttons ---

    def _button(self, index: int, button: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        label = label_of(button)
        title = self.notes.cut(label, self.caps.button_label_chars, index, f"{where}.label")
        title = title or EMPTY_TEXT
        if button.get("type") == "link":
            uri = button.get("uri")
            scheme = scheme_of(uri) if isinstance(uri, str) else ""
            if scheme in ("http", "https"):
                return {"type": "web_url", "url": uri, "title": title}
            if scheme == "tel" and "tel" in self.caps.link_schemes:
                assert isinstance(uri, str)
                return {"type": "phone_number", "title": title, "payload": uri[4:]}
            self.notes.add(
                index, where, f"Messenger cannot open a {scheme or 'bare'} link: dropped"
            )
            return None
        return {"type": "postback", "title": title, "payload": self._click_data(button, title)}

    def _click_data(self, item: Mapping[str, Any], title: str) -> str:
        """The `payload` of a postback button or quick reply, as `clicks` encodes it."""
        return clicks.encode_click(
            item,
            limit=self.caps.payload_chars or 1000,
            label_comes_back=True,
            shown_label=title,
            scope=self.scope,
            keys=self.keys,
        )

    # --- the calls ---

    def finish(self, quick_replies: Sequence[Mapping[str, Any]]) -> Rendered:
        quick = self._quick_replies(quick_replies)
        if quick:
            if self.messages:
                self.messages[-1][0]["quick_replies"] = quick
            else:
                self.notes.add(None, "", "quick replies need a message to ride on: dropped")
        kind: Literal["RESPONSE", "UPDATE"] = "UPDATE" if self.recipient.push else "RESPONSE"
        recipient = {"id": self.recipient.user_key}
        calls: list[OutboundCall] = []
        for message, delay in self.messages:
            if delay:
                typing = {"recipient": recipient, "sender_action": "typing_on"}
                calls.append(OutboundCall(SEND_PATH, typing, purpose="typing"))
            body = {"recipient": recipient, "messaging_type": kind, "message": message}
            calls.append(OutboundCall(SEND_PATH, body, wait_ms=delay))
        return Rendered(calls=calls, payload_keys=self.keys, notes=self.notes.items)

    def _quick_replies(self, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        limit = self.caps.quick_replies
        if len(items) > limit:
            self.notes.add(
                None, "", f"{len(items) - limit} quick replies over the limit of {limit} dropped"
            )
        made = []
        for q, item in enumerate(items[:limit]):
            label = label_of(item)
            title = self.notes.cut(label, self.caps.quick_reply_label_chars, None, f"[{q}].label")
            title = title or EMPTY_TEXT
            payload = self._click_data(item, title)
            made.append({"content_type": "text", "title": title, "payload": payload})
        return made
