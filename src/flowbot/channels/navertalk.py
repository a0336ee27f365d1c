"""Naver TalkTalk: the chatbot API's webhook and send API, as pure functions.

Webhook (https://github.com/navertalk/chatbot-api, "이벤트 명세"): each POST
holds one event, `{"event": …, "user": …, "options": {…}, <content>}`, and
is signed by nothing: what proves it comes from TalkTalk is the secret last
segment of the webhook's URL and, where the operator lists them, TalkTalk's
addresses (`flowbot.channels.unsigned`; the README's ACL is 117.52.141.192/27).
`open` (the user entered the chat; `options.inflow`, `referer`) is the
welcome; `send` with a `textContent` is a text or, with `inputType` "button"
and a `code`, the click of one of the bot's TEXT buttons; `send` with an
`imageContent` is an image; `friend` (`options.set` on / off) tells a fact
about the user, answered by nothing. `leave`, `echo` (the bot's and the
agents' own messages), `handover`, `action` and the rest are acknowledged and
ignored, as is a `send` marked `standby` (a person at the partner center holds
the conversation, Handover API). No event carries an id.

Answering: the webhook's answer may carry one `send` event for the user
(200 with `Content-Type: application/json;charset=UTF-8`), read within 5
seconds; every other message goes as a send event, `POST {api_base}/chatbot/v1/event`
with `{"event": "send", "user": …, <content>}` and the partner's
`Authorization` key as it is. A message's `delay` is covered by an
`action` event (`typingOn`).

A TEXT button sends its title back as the user's text and its `code`
(1,000 characters) with it, so its click is encoded by `flowbot.channels.clicks`
with the label coming back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import SecretStr, field_validator

from flowbot.channels import clicks
from flowbot.channels.base import (
    Acknowledgement,
    ChannelInputError,
    InboundEvent,
    OutboundCall,
    Parsed,
    PreparedRequest,
    Recipient,
    Rendered,
    WebhookRequest,
)
from flowbot.channels.capabilities import CAPABILITIES, ChannelCapabilities
from flowbot.channels.fitting import load_body
from flowbot.channels.navertalk_messages import SEND_PATH, Renderer
from flowbot.channels.unsigned import UnsignedSettings, check_unsigned
from flowbot.engine.messages import InboundMessage

__all__ = [
    "NAME",
    "SEND_PATH",
    "Settings",
    "capabilities",
    "handshake",
    "late_acknowledgement",
    "late_calls",
    "parse",
    "prepare",
    "render",
    "time_limit",
    "verify",
]

NAME = "navertalk"
capabilities = CAPABILITIES["navertalk"]
CONTENT_TYPE = "application/json;charset=UTF-8"
# the welcome's params: how the user came in (`inflow`: list, button, none) and from where
_OPEN_PARAMS = ("inflow", "referer")
_TURN_EVENTS = frozenset({"open", "send", "friend"})


class Settings(UnsignedSettings):
    """`[bots.<id>.channels.navertalk]`."""

    # the send API's key (partner center → 개발자도구 → 챗봇 API 설정 → 보내기 API),
    # sent as the `Authorization` header as it is
    authorization: SecretStr
    api_base: str = "https://gw.talk.naver.com"

    @field_validator("authorization")
    @classmethod
    def _header_value(cls, value: SecretStr) -> SecretStr:
        key = value.get_secret_value()
        if not key.strip():
            raise ValueError("must not be empty")
        if not key.isprintable() or not key.isascii():
            raise ValueError("must be printable ASCII: it is sent as an HTTP header")
        return value


# --- the webhook ------------------------------------------------------------------


def verify(settings: Settings, request: WebhookRequest) -> None:
    check_unsigned(settings, request)


def handshake(settings: Settings, request: WebhookRequest) -> Acknowledgement | None:
    return None  # the partner center registers the URL without calling it first


def parse(request: WebhookRequest) -> Parsed:
    data = load_body(request.body)
    if not isinstance(data, dict):
        raise ChannelInputError(400, 'expected a TalkTalk event {"event": …, "user": …}')
    kind = data.get("event")
    if not isinstance(kind, str):
        raise ChannelInputError(400, "event: expected a string")
    event = _event(kind, data) if kind in _TURN_EVENTS else None
    if event is None:
        return Parsed([], _ACK, ignored=1)
    return Parsed([event], _ACK)


_ACK = Acknowledgement(200, b"")


def _event(kind: str, data: dict[str, Any]) -> InboundEvent | None:
    user = data.get("user")
    if not isinstance(user, str) or not user:
        raise ChannelInputError(400, "user: expected a string")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ChannelInputError(400, "options: expected an object")
    if kind == "open":
        params = {k: options[k] for k in _OPEN_PARAMS if isinstance(options.get(k), str)}
        message = InboundMessage(
            user, "event", event="open", params=params, channel=NAME, user_key=user
        )
        return InboundEvent(user, message)
    if kind == "friend":
        setting = options.get("set")
        if setting not in ("on", "off"):
            raise ChannelInputError(400, 'options.set: expected "on" or "off"')
        message = InboundMessage(
            user, "event", event="params", params={"friend": setting}, channel=NAME, user_key=user
        )
        return InboundEvent(user, message)
    if data.get("standby") is True:
        return None  # a person at the partner center answers (Handover API)
    return _send(user, data)


def _send(user: str, data: dict[str, Any]) -> InboundEvent | None:
    text_content = data.get("textContent")
    if text_content is not None:
        if not isinstance(text_content, dict):
            raise ChannelInputError(400, "textContent: expected an object")
        text = _string(text_content, "text", "textContent", required=True) or ""
        code = _string(text_content, "code", "textContent")
        input_type = _string(text_content, "inputType", "textContent")
        # a TEXT button's click: its title as the text, its code beside it
        # (inputType "button"; events of the chatbot API before inputType have none)
        if code and input_type in (None, "button"):
            click = clicks.decode_click(code, shown_label=text)
            if click.noop:
                return None
            message = clicks.click_message(click, channel=NAME, user_key=user)
            return InboundEvent(user, message, click_key=click.key)
        if not text:
            return None
        return InboundEvent(
            user, InboundMessage(user, "text", text=text, channel=NAME, user_key=user)
        )
    image_content = data.get("imageContent")
    if image_content is not None:
        if not isinstance(image_content, dict):
            raise ChannelInputError(400, "imageContent: expected an object")
        url = _string(image_content, "imageUrl", "imageContent", required=True)
        if not url:
            raise ChannelInputError(400, "imageContent.imageUrl: expected a URL")
        media = {"contentType": "image", "uri": url}
        return InboundEvent(
            user, InboundMessage(user, "media", media=media, channel=NAME, user_key=user)
        )
    return None  # a content flowbot does not read (a composite, a file…)


def _string(data: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ChannelInputError(400, f"{where}.{key}: expected a string")
    return value


# --- sending -----------------------------------------------------------------------


def prepare(settings: Settings, call: OutboundCall) -> PreparedRequest:
    headers = {
        "Authorization": settings.authorization.get_secret_value(),
        "Content-Type": CONTENT_TYPE,
    }
    # TalkTalk answers a refused event with 200 and `"success": false`
    return PreparedRequest(
        "POST", settings.api_base + call.path, call.body, headers=headers, success=("success", True)
    )


# --- a turn too slow for the webhook's answer (flowbot.server.sync_answers) ---------


def time_limit(settings: Settings, event: InboundEvent) -> float | None:
    return None  # a late answer still reaches the user, by the send API


def late_acknowledgement(
    settings: Settings, event: InboundEvent, error_text: str
) -> Acknowledgement:
    return _ACK  # an empty 200: the answer follows by the send API


def late_calls(settings: Settings, rendered: Rendered, event: InboundEvent) -> list[OutboundCall]:
    """A rendering made for the webhook's answer, all of it by the send API, in order."""
    calls: list[OutboundCall] = []
    if rendered.answer is not None:
        content = {k: v for k, v in rendered.answer.items() if k != "event"}
        body = {"event": "send", "user": event.user_key, **content}
        calls.append(OutboundCall(SEND_PATH, body))
    calls += rendered.calls
    return calls


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
