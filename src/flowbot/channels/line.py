"""LINE: the Messaging API webhook and its reply and push calls, as pure functions.

Webhook (https://developers.line.biz/en/reference/messaging-api/#webhooks):
each POST is signed in `x-line-signature` (Base64 HMAC-SHA256 of the raw
body with the channel secret) and holds `{"destination", "events": […]}`;
the console's "Verify" button posts an empty `events`. Every event has a
`webhookEventId` (the same on a redelivery, with
`deliveryContext.isRedelivery`), a `source` (user, group or room) and, when
it can be answered, a `replyToken`. A `message` (text, image, location…) or
a `postback` (`postback.data`) is a turn; `follow` opens the conversation
(the welcome); `unfollow`, `join`, `leave` and the rest are acknowledged and
ignored, as are events in `standby` mode.

Sending (https://developers.line.biz/en/reference/messaging-api/#send-reply-message):
`POST {api_base}/v2/bot/message/reply` with the event's reply token and at
most 5 message objects, the rest with `/v2/bot/message/push` to the user,
5 at a time, each with `Authorization: Bearer <channel access token>`. A text
with buttons is a buttons template, cards a carousel template, images image
messages, quick replies (13 at most) ride on the last message. A message's
`delay` is covered by the loading animation (`/v2/bot/chat/loading/start`,
one-on-one chats only); the messages from a delayed one on go by push, as a
reply token is used once (a delay on the very first message is waited out
before the reply, which costs no push quota).

A postback action carries its click in `data` (300 characters) as
`flowbot.channels.clicks` encodes it; LINE sends back only the data, so the
label shows in the chat as `displayText` and a payload-less button is a
message action, which sends its label as the user's text.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import SecretStr

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
    constant_time_equal,
    hmac_sha256,
    load_body,
)
from flowbot.channels.line_messages import LOADING_PATH, PUSH_PATH, REPLY_PATH, Renderer
from flowbot.engine.messages import InboundMessage

__all__ = [
    "LOADING_PATH",
    "NAME",
    "PUSH_PATH",
    "REPLY_PATH",
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

NAME = "line"
capabilities = CAPABILITIES["line"]
SIGNATURE_HEADER = "x-line-signature"
CONTENT_URL = "https://api-data.line.me/v2/bot/message/{id}/content"
_SOURCE_KEYS = {"user": "userId", "group": "groupId", "room": "roomId"}


class Settings(ChannelSettings):
    """`[bots.<id>.channels.line]`."""

    channel_secret: SecretStr
    channel_access_token: SecretStr
    api_base: str = "https://api.line.me"


# --- the webhook ------------------------------------------------------------------


def sign(channel_secret: str, body: bytes) -> str:
    """The `x-line-signature` value LINE sends with `body`."""
    return base64.b64encode(hmac_sha256(channel_secret, body)).decode("ascii")


def verify(settings: Settings, request: WebhookRequest) -> None:
    given = request.header(SIGNATURE_HEADER)
    if not given:
        raise ChannelRefused("no x-line-signature header")
    expected = sign(settings.channel_secret.get_secret_value(), request.body)
    # a signature is Base64: any other character (even a lone surrogate) is just wrong
    if not given.isascii() or not constant_time_equal(expected, given.strip()):
        raise ChannelRefused("x-line-signature does not match the body and the channel secret")


def handshake(settings: Settings, request: WebhookRequest) -> Acknowledgement | None:
    return None  # LINE verifies a webhook URL with a signed POST of no events


def parse(request: WebhookRequest) -> Parsed:
    data = load_body(request.body)
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise ChannelInputError(400, 'expected {"destination": …, "events": [...]}')
    events: list[InboundEvent] = []
    ignored = 0
    for index, item in enumerate(data["events"]):
        event = _event(item, f"events[{index}]")
        if event is None:
            ignored += 1
        else:
            events.append(event)
    return Parsed(events, Acknowledgement(200, b""), ignored)


def _event(item: Any, where: str) -> InboundEvent | None:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise ChannelInputError(400, f"{where}: expected an event object with a type")
    if item.get("mode", "active") != "active":
        return None  # standby: another channel (a module) answers this chat
    kind = item["type"]
    if kind not in ("message", "postback", "follow"):
        return None
    user = _source(item.get("source"), where)
    if user is None:
        return None
    event_id = item.get("webhookEventId")
    delivery = event_id if isinstance(event_id, str) and event_id else None
    context = item.get("deliveryContext")
    redelivery = isinstance(context, dict) and context.get("isRedelivery") is True
    token = item.get("replyToken")
    reply_token = token if isinstance(token, str) and token else None
    if kind == "follow":
        message = InboundMessage(user, "event", event="open", channel=NAME, user_key=user)
        return InboundEvent(user, message, delivery, reply_token, redelivery=redelivery)
    if kind == "postback":
        postback = item.get("postback")
        data = postback.get("data") if isinstance(postback, dict) else None
        if not isinstance(data, str):
            raise ChannelInputError(400, f"{where}.postback.data: expected a string")
        click = clicks.decode_click(data)
        if click.noop:
            return None
        message = clicks.click_message(click, channel=NAME, user_key=user)
        return InboundEvent(
            user, message, delivery, reply_token, click_key=click.key, redelivery=redelivery
        )
    inbound = _message(user, item.get("message"), where)
    return InboundEvent(user, inbound, delivery, reply_token, redelivery=redelivery)


def _source(source: Any, where: str) -> str | None:
    """Whom to answer: the user, or the group or room the bot was talked to in."""
    if not isinstance(source, dict):
        raise ChannelInputError(400, f"{where}.source: expected an object")
    kind = source.get("type")
    key = _SOURCE_KEYS.get(kind) if isinstance(kind, str) else None
    value = source.get(key) if key else None
    return value if isinstance(value, str) and value else None


def _message(user: str, message: Any, where: str) -> InboundMessage:
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ChannelInputError(400, f"{where}.message: expected a message object")
    kind = message["type"]
    if kind == "text":
        text = message.get("text")
        if not isinstance(text, str):
            raise ChannelInputError(400, f"{where}.message.text: expected a string")
        return InboundMessage(user, "text", text=text, channel=NAME, user_key=user)
    if kind == "location":
        location = {key: message.get(key) for key in ("latitude", "longitude", "title", "address")}
        return InboundMessage(user, "location", location=location, channel=NAME, user_key=user)
    media: dict[str, Any] = {"contentType": kind}
    if kind in ("image", "video", "audio", "file"):
        # the content is fetched with the channel access token
        media["uri"] = CONTENT_URL.format(id=message.get("id"))
    elif kind == "sticker":
        media.update(packageId=message.get("packageId"), stickerId=message.get("stickerId"))
    return InboundMessage(user, "media", media=media, channel=NAME, user_key=user)


# --- sending -----------------------------------------------------------------------


def prepare(settings: Settings, call: OutboundCall) -> PreparedRequest:
    headers = {"Authorization": f"Bearer {settings.channel_access_token.get_secret_value()}"}
    return PreparedRequest(
        "POST",
        settings.api_base + call.path,
        call.body,
        headers=headers,
        retry_key_header="X-Line-Retry-Key" if call.path == PUSH_PATH else None,
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
