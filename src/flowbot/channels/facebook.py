"""Facebook Messenger: the webhook and the Send API, as pure functions.

Webhook (https://developers.facebook.com/docs/messenger-platform/webhooks):
a GET with `hub.mode=subscribe`, `hub.verify_token` and `hub.challenge`
subscribes the URL; each POST is signed in `X-Hub-Signature-256`
(`sha256=` + hex HMAC-SHA256 of the raw body with the app secret) and holds
`{"object": "page", "entry": [{"messaging": [event, …]}, …]}`, every event a
turn in order. A user event is a `message` (`text`, `quick_reply.payload`,
`attachments`) or a `postback` (`title`, `payload`); echoes of the page's
own messages, deliveries, reads and reactions are acknowledged and ignored.

Send API (https://developers.facebook.com/docs/messenger-platform/reference/send-api):
one `POST {api_base}/me/messages` per message, in order, with
`recipient.id`, `messaging_type` ("RESPONSE" for a turn's answer, "UPDATE"
for a push) and one `message`: a text, a button template (a text with
buttons), a generic template (cards; 2–10 make a carousel) or an
attachment. Quick replies ride on the last message; a message's `delay` is
covered by `sender_action: typing_on`.

A postback button or quick reply carries its click in `payload` as
`flowbot.channels.clicks` encodes it; Facebook sends back the payload and
the label as shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import SecretStr, field_validator

from flowbot.channels import clicks
from flowbot.channels.base import (
    Acknowledgement,
    ChannelInputError,
    ChannelRefused,
    ChannelSettings,
    InboundEvent,
    OutboundCall,
    Parsed,
    PreparedRequest,
    Recipient,
    Rendered,
    WebhookRequest,
)
from flowbot.channels.capabilities import CAPABILITIES, ChannelCapabilities
from flowbot.channels.fitting import (
    Notes,
    constant_time_equal,
    hmac_sha256,
    label_of,
    load_body,
    map_link,
    message_delay,
    scheme_of,
)
from flowbot.engine.messages import InboundMessage

__all__ = [
    "NAME",
    "SIGNATURE_HEADER",
    "Settings",
    "capabilities",
    "handshake",
    "parse",
    "prepare",
    "render",
    "sign",
    "verify",
]

NAME = "facebook"
capabilities = CAPABILITIES["facebook"]
SIGNATURE_HEADER = "x-hub-signature-256"
SEND_PATH = "/me/messages"
EMPTY_TEXT = "…"  # a template needs a text; a bot's may render empty


class Settings(ChannelSettings):
    """`[bots.<id>.channels.facebook]`."""

    app_secret: SecretStr
    verify_token: SecretStr
    page_access_token: SecretStr
    api_base: str = "https://graph.facebook.com/v21.0"

    @field_validator("app_secret", "verify_token", "page_access_token")
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        # an empty app secret would accept a signature anyone can compute
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http(s) URL")
        return value.rstrip("/")


# --- the webhook ------------------------------------------------------------------


def sign(app_secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value Facebook sends with `body`."""
    return "sha256=" + hmac_sha256(app_secret, body).hex()


def verify(settings: Settings, request: WebhookRequest) -> None:
    given = request.header(SIGNATURE_HEADER)
    if not given:
        raise ChannelRefused("no X-Hub-Signature-256 header")
    expected = sign(settings.app_secret.get_secret_value(), request.body)
    # a signature is ASCII: any other header is just wrong (and some text, such
    # as a lone surrogate, cannot even be encoded for the comparison)
    if not given.isascii() or not constant_time_equal(expected, given.strip()):
        raise ChannelRefused("X-Hub-Signature-256 does not match the body and the app secret")


def handshake(settings: Settings, request: WebhookRequest) -> Acknowledgement | None:
    """The subscription check: echo `hub.challenge` for the right verify token, else 403."""
    query = request.query
    token = query.get("hub.verify_token", "")
    challenge = query.get("hub.challenge", "")
    if (
        query.get("hub.mode") == "subscribe"
        and challenge
        and token
        and constant_time_equal(settings.verify_token.get_secret_value(), token)
    ):
        return Acknowledgement(200, challenge.encode("utf-8"))
    return Acknowledgement(403, b"verification failed")


def parse(request: WebhookRequest) -> Parsed:
    data = load_body(request.body)
    if not isinstance(data, dict) or data.get("object") != "page":
        raise ChannelInputError(400, 'expected {"object": "page", "entry": [...]}')
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise ChannelInputError(400, "entry: expected a list")
    events: list[InboundEvent] = []
    ignored = 0
    for e, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ChannelInputError(400, f"entry[{e}]: expected an object")
        # `standby` holds events while another app owns the thread (handover protocol)
        ignored += len(entry["standby"]) if isinstance(entry.get("standby"), list) else 0
        messaging = entry.get("messaging", [])
        if not isinstance(messaging, list):
            raise ChannelInputError(400, f"entry[{e}].messaging: expected a list")
        for m, item in enumerate(messaging):
            event = _event(item, f"entry[{e}].messaging[{m}]")
            if event is None:
                ignored += 1
            else:
                events.append(event)
    return Parsed(events, Acknowledgement(200, b"EVENT_RECEIVED"), ignored)


def _event(item: Any, where: str) -> InboundEvent | None:
    if not isinstance(item, dict):
        raise ChannelInputError(400, f"{where}: expected an object")
    sender = item.get("sender")
    user = sender.get("id") if isinstance(sender, dict) else None
    message, postback = item.get("message"), item.get("postback")
    if message is None and postback is None:
        return None  # delivery, read, reaction, optin, referral…
    if not isinstance(user, str) or not user:
        if isinstance(sender, dict) and "user_ref" in sender:
            return None  # a chat-plugin guest: the Send API cannot answer by PSID
        raise ChannelInputError(400, f"{where}.sender.id: expected a string")
    if isinstance(message, dict):
        if message.get("is_echo"):
            return None
        return _message_event(user, message, where)
    if isinstance(postback, dict):
        return _postback_event(user, postback, item, where)
    raise ChannelInputError(400, f"{where}: message and postback must be objects")


def _message_event(user: str, message: dict[str, Any], where: str) -> InboundEvent | None:
    mid = _text(message, "mid", where + ".message")
    text = message.get("text")
    if text is not None and not isinstance(text, str):
        raise ChannelInputError(400, f"{where}.message.text: expected a string")
    quick = message.get("quick_reply")
    if isinstance(quick, dict) and isinstance(quick.get("payload"), str):
        return _click_event(user, clicks.decode_click(quick["payload"], text), mid)
    if text is not None:
        inbound = InboundMessage(user, "text", text=text, channel=NAME, user_key=user)
        return InboundEvent(user, inbound, delivery_id=mid)
    attachments = message.get("attachments")
    if isinstance(attachments, list) and attachments and isinstance(attachments[0], dict):
        return InboundEvent(user, _attachment(user, attachments[0]), delivery_id=mid)
    return None


def _attachment(user: str, attachment: dict[str, Any]) -> InboundMessage:
    kind = attachment.get("type")
    payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
    assert isinstance(payload, dict)
    coordinates = payload.get("coordinates")
    if kind == "location" and isinstance(coordinates, dict):
        location = {"latitude": coordinates.get("lat"), "longitude": coordinates.get("long")}
        return InboundMessage(user, "location", location=location, channel=NAME, user_key=user)
    url = payload.get("url")
    media = {"uri": url if isinstance(url, str) else None, "contentType": str(kind)}
    return InboundMessage(user, "media", media=media, channel=NAME, user_key=user)


def _postback_event(
    user: str, postback: dict[str, Any], item: dict[str, Any], where: str
) -> InboundEvent | None:
    data = postback.get("payload")
    title = postback.get("title")
    if data is None:
        # "only included in the webhook notification sent to the app that sent
        # the message": another app's button, not a click for this bot
        return None
    if not isinstance(data, str):
        raise ChannelInputError(400, f"{where}.postback.payload: expected a string")
    mid = postback.get("mid")
    if not isinstance(mid, str) or not mid:
        # older postbacks carry no mid: the sender and the time name one click
        mid = f"{user}:{item.get('timestamp')}"
    return _click_event(
        user, clicks.decode_click(data, title if isinstance(title, str) else None), mid
    )


def _click_event(user: str, click: clicks.Click, mid: str) -> InboundEvent | None:
    if click.noop:
        return None
    message = clicks.click_message(click, channel=NAME, user_key=user)
    return InboundEvent(user, message, delivery_id=mid, click_key=click.key)


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ChannelInputError(400, f"{where}.{key}: expected a string")
    return value


# --- the Send API ------------------------------------------------------------------


def prepare(settings: Settings, call: OutboundCall) -> PreparedRequest:
    token = settings.page_access_token.get_secret_value()
    # appsecret_proof: a stolen page token alone cannot call the API for this app
    proof = hmac_sha256(settings.app_secret.get_secret_value(), token.encode("utf-8")).hex()
    return PreparedRequest(
        "POST",
        settings.api_base + call.path,
        call.body,
        params={"access_token": token, "appsecret_proof": proof},
    )


def render(
    replies: Sequence[Mapping[str, Any]],
    quick_replies: Sequence[Mapping[str, Any]],
    recipient: Recipient,
    capabilities: ChannelCapabilities = capabilities,
) -> Rendered:
    renderer = _Renderer(recipient, capabilities)
    for index, reply in enumerate(replies):
        renderer.reply(index, reply)
    return renderer.finish(quick_replies)


class _Renderer:
    def __init__(self, recipient: Recipient, caps: ChannelCapabilities) -> None:
        self.recipient = recipient
        self.caps = caps
        self.notes = Notes()
        self.keys: dict[str, str] = {}
        self.scope = f"{recipient.bot_id}/{NAME}"
        # (message object, delay before it)
        self.messages: list[tuple[dict[str, Any], int]] = []

    # --- one reply → Messenger message objects ---

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
        size = self.caps.cards
        if len(elements) > size:
            self.notes.add(index, "cards", f"{len(elements)} cards split into carousels of {size}")
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
            if media.get("contentType", "image") == "image":
                element["image_url"] = media["uri"]
            else:
                self.notes.add(
                    index, f"{where}.media", "a card shows images only: the media is dropped"
                )
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
        media = reply.get("media")
        uri = media.get("uri") if isinstance(media, Mapping) else None
        if not isinstance(media, Mapping) or not isinstance(uri, str) or not uri:
            self.notes.add(index, "media", "no media uri: dropped")
            return []
        kind = media.get("contentType", "image")
        if not isinstance(kind, str) or kind not in self.caps.media_types:
            self.notes.add(index, "media.contentType", f"{kind!r} media sent as a link")
            return [{"text": uri}]
        return [{"attachment": {"type": kind, "payload": {"url": uri, "is_reusable": True}}}]

    def _location(self, index: int, reply: Mapping[str, Any]) -> list[dict[str, Any]]:
        link = map_link(reply.get("latitude"), reply.get("longitude"))
        self.notes.add(index, "", "Messenger has no location message: sent as a map link")
        label = reply.get("label")
        text = f"{label}\n{link}" if isinstance(label, str) and label else link
        return [{"text": self.notes.cut(text, self.caps.text_chars, index, "label")}]

    # --- buttons ---

    def _buttons(self, index: int, buttons: Any, where: str, limit: int) -> list[dict[str, Any]]:
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
            fb_button = self._button(index, button, f"{where}[{b}]")
            if fb_button is not None:
                made.append(fb_button)
        return made

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
