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
from typing import Any

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
from flowbot.channels.facebook_messages import SEND_PATH, Renderer
from flowbot.channels.fitting import (
    constant_time_equal,
    hmac_sha256,
    load_body,
)
from flowbot.engine.messages import InboundMessage

__all__ = [
    "NAME",
    "SEND_PATH",
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
    renderer = Renderer(recipient, capabilities)
    for index, reply in enumerate(replies):
        renderer.reply(index, reply)
    return renderer.finish(quick_replies)
