"""KakaoTalk: a Kakao i Open Builder skill server, as pure functions.

Skill request (https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format):
the chatbot admin center POSTs one SkillPayload per user utterance to the
skill URL, unsigned: `{"intent", "userRequest": {"utterance", "user": {"id",
"type", "properties"}, "callbackUrl"?, …}, "bot", "action": {"params",
"clientExtra", …}}`. What proves it came from Kakao is the path token of
the URL the console knows (`flowbot.channels.unsigned`), the peer address
when `allowed_ips` is set, and, when `header_secret` is set, the
`X-Flowbot-Secret` header (a skill's settings in the console can add
headers). `userRequest.user.id` (the botUserKey, up to 70 characters) names
the conversation. Kakao gives no event id: a request is never recognised as
a redelivery.

A click comes back as an utterance: a button or quick reply is a `message`
action whose `messageText` (the full label) is what the user "says", and
whose `extra` (`{"flowbot": <wire data of flowbot.channels.clicks>}`)
Kakao passes on as `action.clientExtra`. A clientExtra that is not
flowbot's is ignored: the message is the utterance as text. `action.params`
(entities the block extracted) become the message's params.

Answer: the SkillResponse in the HTTP response, within Kakao's 5 seconds
(`Rendered.answer`, see `flowbot.channels.kakao_messages` for the shapes
and limits). A block with the AI-chatbot callback enabled sends a
`userRequest.callbackUrl`, valid once for one minute
(https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/ai_chatbot_callback_guide):
the server may then answer `waiting_answer` at once and POST the real
SkillResponse to that URL later (`callback_call` + `prepare`), once it has
checked the URL with `callback_allowed`. Kakao has no API to reach a user
outside a turn.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

import orjson
from pydantic import SecretStr, field_validator

from flowbot.channels import clicks
from flowbot.channels.base import (
    Acknowledgement,
    ChannelInputError,
    ChannelRefused,
    InboundEvent,
    OutboundCall,
    Parsed,
    PreparedRequest,
    Recipient,
    Rendered,
    WebhookRequest,
)
from flowbot.channels.capabilities import CAPABILITIES, ChannelCapabilities
from flowbot.channels.fitting import constant_time_equal, load_body
from flowbot.channels.kakao_messages import EMPTY_TEXT, EXTRA_KEY, Renderer, simple_text
from flowbot.channels.limits import truncate
from flowbot.channels.unsigned import UnsignedSettings, check_unsigned
from flowbot.engine.messages import InboundMessage

__all__ = [
    "EXTRA_KEY",
    "NAME",
    "SECRET_HEADER",
    "TIME_LIMIT",
    "TIME_LIMIT_WITH_CALLBACK",
    "Settings",
    "callback_allowed",
    "callback_call",
    "capabilities",
    "handshake",
    "late_acknowledgement",
    "late_calls",
    "parse",
    "prepare",
    "render",
    "text_answer",
    "time_limit",
    "verify",
    "waiting_answer",
]

# Kakao waits 5 s for the answer: without a callback, the turn's nodes stop
# in time for the bot's error message to arrive instead of Kakao's own.
TIME_LIMIT = 3.2
# A callback URL is valid for a minute, once.
TIME_LIMIT_WITH_CALLBACK = 50.0

_log = logging.getLogger("flowbot.channels")

NAME = "kakao"
capabilities = CAPABILITIES["kakao"]
SECRET_HEADER = "x-flowbot-secret"
# Kakao's callback guide shows the callbackUrl only as "<callback 호출시 사용할 url>";
# Kakao's chatbot APIs live on bot-api.kakao.com.
DEFAULT_CALLBACK_HOSTS = ("bot-api.kakao.com", "*.kakao.com")
DEFAULT_WAITING_TEXT = "답변을 준비하고 있어요. 잠시만 기다려 주세요."
_MAX_URL_CHARS = 2048


class Settings(UnsignedSettings):
    """`[bots.<id>.channels.kakao]`."""

    # when set, the skill's X-Flowbot-Secret header must be this value
    header_secret: SecretStr | None = None
    # hosts a userRequest.callbackUrl may point at (fnmatch patterns, "*.kakao.com");
    # plain http only to an IP address listed here as it is (local tests)
    callback_hosts: tuple[str, ...] = DEFAULT_CALLBACK_HOSTS
    # what the user sees while a late answer is prepared (useCallback)
    waiting_text: str = DEFAULT_WAITING_TEXT

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        # (ChannelSettings' rule, but empty is fine: Kakao has no API, a callback URL is absolute)
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http(s) URL")
        return value.rstrip("/")

    @field_validator("header_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            secret = value.get_secret_value()
            if not secret or not secret.isascii() or not secret.isprintable():
                raise ValueError("printable ASCII characters: it is a header value")
        return value

    @field_validator("callback_hosts")
    @classmethod
    def _hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        hosts = tuple(host.strip().lower() for host in value)
        for host in hosts:
            odd = not host or not host.isascii() or any(c in host for c in "/@: \t")
            if odd and _ip_literal(host) is None:
                raise ValueError(f"{host!r} is not a host name, an address or a pattern")
        return hosts

    @field_validator("waiting_text")
    @classmethod
    def _waiting(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("expected a text the user sees while waiting")
        return value


# --- the skill request ----------------------------------------------------------------


def verify(settings: Settings, request: WebhookRequest) -> None:
    check_unsigned(settings, request)
    if settings.header_secret is None:
        return
    given = request.header(SECRET_HEADER)
    if given is None or not constant_time_equal(settings.header_secret.get_secret_value(), given):
        raise ChannelRefused(f"the {SECRET_HEADER} header does not match", status=403)


def handshake(settings: Settings, request: WebhookRequest) -> Acknowledgement | None:
    return None  # Kakao checks a skill URL with an ordinary skill request


def parse(request: WebhookRequest) -> Parsed:
    """The one event of a SkillPayload; `ChannelInputError` (400) for any other body."""
    data = load_body(request.body)
    if not isinstance(data, dict):
        raise ChannelInputError(400, "expected a SkillPayload object")
    user_request = _object(data.get("userRequest"), "userRequest")
    user = _object(user_request.get("user"), "userRequest.user")
    user_key = user.get("id")
    if not isinstance(user_key, str) or not user_key:
        raise ChannelInputError(400, "userRequest.user.id: expected a string")
    utterance = _optional_string(user_request.get("utterance"), "userRequest.utterance") or ""
    callback_url = _optional_string(user_request.get("callbackUrl"), "userRequest.callbackUrl")
    action = data.get("action")
    action = {} if action is None else _object(action, "action")
    params = _params(action.get("params"))
    wire = _click_wire(action.get("clientExtra"))
    click = clicks.decode_click(wire, shown_label=utterance) if wire is not None else None
    if click is not None and not click.noop:
        message = clicks.click_message(click, channel=NAME, user_key=user_key)
        message.params = params
        event = InboundEvent(
            user_key, message, click_key=click.key, callback_url=callback_url or None
        )
        return Parsed([event])
    message = InboundMessage(
        user_key, "text", text=utterance, channel=NAME, user_key=user_key, params=params
    )
    return Parsed([InboundEvent(user_key, message, callback_url=callback_url or None)])


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ChannelInputError(400, f"{where}: expected an object")
    return value


def _optional_string(value: Any, where: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ChannelInputError(400, f"{where}: expected a string")
    return value


def _params(value: Any) -> dict[str, Any]:
    """`action.params` (Map<String, String>): strings, numbers and booleans are kept."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ChannelInputError(400, "action.params: expected an object")
    return {
        key: item
        for key, item in value.items()
        if isinstance(item, str | int | float) and key  # (bool is an int)
    }


def _click_wire(extra: Any) -> str | None:
    """flowbot's click data in `action.clientExtra`; None when the extra is not ours."""
    if not isinstance(extra, dict):
        return None  # absent, null, or the v1 string "null"
    wire = extra.get(EXTRA_KEY)
    return wire if isinstance(wire, str) and wire else None


# --- the answer -----------------------------------------------------------------------


def render(
    replies: Sequence[Mapping[str, Any]],
    quick_replies: Sequence[Mapping[str, Any]],
    recipient: Recipient,
    capabilities: ChannelCapabilities = capabilities,
) -> Rendered:
    """One turn as one SkillResponse (`Rendered.answer`); see `flowbot.channels.kakao_messages`.

    At most 3 outputs: past them adjacent simple texts are joined, then the
    rest dropped with a note per reply; a message's delay is ignored.
    """
    renderer = Renderer(recipient, capabilities)
    for index, reply in enumerate(replies):
        renderer.reply(index, reply)
    return renderer.finish(quick_replies)


def waiting_answer(text: str) -> dict[str, Any]:
    """The answer that asks Kakao to wait for the callback; `text` shows meanwhile.

    (The block's callback message shows it as `{{#webhook.text}}`.)
    """
    return {"version": "2.0", "useCallback": True, "data": {"text": text}}


def text_answer(text: str) -> dict[str, Any]:
    """A SkillResponse of one simple text (cut to Kakao's 1000 characters)."""
    shown = truncate(text, capabilities.text_chars) or EMPTY_TEXT
    return {"version": "2.0", "template": {"outputs": [simple_text(shown)]}}


# --- the callback ---------------------------------------------------------------------


def callback_allowed(settings: Settings, url: str) -> bool:
    """Whether a late answer may be POSTed to `url` (a userRequest.callbackUrl).

    An https URL whose host matches `callback_hosts`; plain http only to an
    IP address listed there as it is. No user info, no spaces or controls.
    """
    if (
        not isinstance(url, str)
        or len(url) > _MAX_URL_CHARS
        or not url.isascii()
        or not url.isprintable()
        or " " in url
    ):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a malformed port raises)
    except ValueError:
        return False
    host = parts.hostname
    if not host or parts.username is not None or parts.password is not None:
        return False
    scheme = parts.scheme.lower()
    if scheme == "https":
        return any(fnmatchcase(host, pattern) for pattern in settings.callback_hosts)
    if scheme == "http":
        address = _ip_literal(host)
        return address is not None and any(
            _ip_literal(pattern) == address for pattern in settings.callback_hosts
        )
    return False


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def callback_call(answer: Mapping[str, Any], url: str) -> OutboundCall:
    """The POST of a late SkillResponse to the callback URL (absolute: not on an api_base)."""
    return OutboundCall(path=url, body=answer)


def prepare(settings: Settings, call: OutboundCall) -> PreparedRequest:
    # Kakao answers a callback it took with `"status": "SUCCESS"`
    return PreparedRequest(
        "POST",
        call.path,
        call.body,
        headers={"Content-Type": "application/json"},
        success=("status", "SUCCESS"),
    )


# --- a turn too slow for the skill's answer (flowbot.server.sync_answers) ----------


def _callback(settings: Settings, event: InboundEvent) -> str | None:
    url = event.callback_url
    return url if url is not None and callback_allowed(settings, url) else None


def time_limit(settings: Settings, event: InboundEvent) -> float:
    if event.callback_url is not None and _callback(settings, event) is None:
        # Kakao's callback URLs are its own: anything else would make flowbot
        # POST the conversation wherever a request names
        _log.warning(
            "kakao callbackUrl %r is not on callback_hosts: not used", event.callback_url[:200]
        )
        return TIME_LIMIT
    return TIME_LIMIT_WITH_CALLBACK if event.callback_url is not None else TIME_LIMIT


def late_acknowledgement(
    settings: Settings, event: InboundEvent, error_text: str
) -> Acknowledgement:
    """`useCallback` when Kakao gave a callback URL flowbot may call; else the error message."""
    if _callback(settings, event) is not None:
        answer = waiting_answer(settings.waiting_text)
    else:
        answer = text_answer(error_text)
    return Acknowledgement(200, orjson.dumps(answer), "application/json")


def late_calls(settings: Settings, rendered: Rendered, event: InboundEvent) -> list[OutboundCall]:
    """The late SkillResponse by the callback URL (none without one: it is lost)."""
    url = _callback(settings, event)
    if url is None or rendered.answer is None:
        return []
    return [callback_call(rendered.answer, url)]
