"""What a channel is: verify · parse · render, pure functions over plain data (SPEC §6).

One turn through any channel::

    WebhookRequest ─ verify ─ parse ─▶ Parsed(events, acknowledgement)
    for each InboundEvent: the conversation service runs the turn, then
    render(replies, quick replies, Recipient, capabilities)
        ─▶ Rendered(answer | calls, payload keys to store, degradation notes)
    delivery: the answer in the HTTP response (web), or the calls, in order,
    after a fast 200 (Facebook, LINE), each `prepare`d with the channel's secrets

A channel module never opens a socket and never reads a clock or a store:
`flowbot.delivery` sends what `render` returns, and the server stores the
payload keys with the turn. So every channel is testable without the network,
and adding one means its own module, its capability row
(`flowbot.channels.capabilities`) and one line in `flowbot.channels.registry`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, field_validator

from flowbot.channels.capabilities import ChannelCapabilities
from flowbot.engine.messages import InboundMessage

__all__ = [
    "Acknowledgement",
    "ChannelInputError",
    "ChannelModule",
    "ChannelRefused",
    "ChannelSettings",
    "Degradation",
    "InboundEvent",
    "OutboundCall",
    "Parsed",
    "PreparedRequest",
    "Recipient",
    "Rendered",
    "SyncChannelModule",
    "WebhookRequest",
]


class ChannelInputError(ValueError):
    """A webhook body the channel cannot accept.

    `status` is the HTTP status the server answers with: 400 for a body that
    is not JSON or not the platform's shape, 422 for the web channel's schema
    errors. `problems` lists one line per offending field.
    """

    def __init__(self, status: int, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = list(problems)


class ChannelRefused(Exception):
    """`verify` refused the request: a missing or wrong signature or token (403)."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ChannelSettings(BaseModel):
    """One bot's settings for one channel (`[bots.<id>.channels.<name>]`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Where the platform's API lives; a setting so that tests and staging
    # point at local fakes. Each channel gives its default ("": no API), and
    # a value given in flowbot.toml must be an http(s) URL.
    api_base: str = ""

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http(s) URL")
        return value.rstrip("/")


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """What a channel may look at of one webhook request."""

    method: str
    # lower-cased names; a repeated header keeps its last value
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes
    # the peer's address, for allow-lists
    client: str | None = None
    # the last segment of the webhook's path, on platforms that sign nothing
    # (Kakao, TalkTalk): a secret only the platform's console knows
    path_token: str | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """One user event of a webhook body, ready for a turn.

    `user_key` names the conversation on this channel (Facebook's PSID,
    LINE's user, group or room id). `delivery_id` is the platform's id of the
    event, the same on a redelivery (Facebook's message `mid`, LINE's
    `webhookEventId`). `click_key` is a stored payload key (see
    `flowbot.channels.clicks`) that the server resolves before the turn.
    """

    user_key: str
    message: InboundMessage
    delivery_id: str | None = None
    reply_token: str | None = None
    click_key: str | None = None
    redelivery: bool = False
    # where a late answer goes (Kakao's `userRequest.callbackUrl`, valid once)
    callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """The HTTP answer to a webhook request."""

    status: int = 200
    body: bytes = b""
    media_type: str = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Parsed:
    """A webhook body: its user events in order, and what to answer at once."""

    events: Sequence[InboundEvent]
    acknowledgement: Acknowledgement = field(default_factory=Acknowledgement)
    # events answered without a turn (echoes, delivery and read receipts…)
    ignored: int = 0


@dataclass(frozen=True, slots=True)
class Recipient:
    """Whom one rendering is for; `reply_token` only on an answer to a LINE event."""

    bot_id: str
    user_key: str
    reply_token: str | None = None
    # a push from outside a turn (the JSON API) rather than a turn's answer
    push: bool = False


@dataclass(frozen=True, slots=True)
class OutboundCall:
    """One platform API request, before the channel's secrets are added.

    `path` is relative to the channel's `api_base`. `wait_ms` is the pause
    before the call (a message's `delay`, covered by the typing indicator sent
    just before). A refused call with a `fallback` sends the fallback instead
    (LINE: push when the reply token has expired).
    """

    path: str
    body: Mapping[str, Any]
    wait_ms: int = 0
    purpose: Literal["message", "typing"] = "message"
    fallback: OutboundCall | None = None


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """An `OutboundCall` with its URL and credentials: what the transport sends."""

    method: str
    url: str
    json: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    # A header the transport fills with one id per call, kept across its
    # retries, so the platform drops a retry it already took (LINE's
    # X-Line-Retry-Key on push).
    retry_key_header: str | None = None
    # (field, value) a 2xx answer's JSON must hold, on platforms that answer a
    # refusal with 200 (TalkTalk: `"success": true`); anything else is refused
    success: tuple[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Degradation:
    """One thing a channel could not show as the bot drew it, and what it did instead.

    `message` is the index of the reply it happened in (None: the quick
    replies); `path` is the JSON path inside that message.
    """

    message: int | None
    path: str
    note: str

    def __str__(self) -> str:
        where = "quickReplies" if self.message is None else f"replies[{self.message}]"
        return f"{where}{'.' if self.path and self.path[0] != '[' else ''}{self.path}: {self.note}"


class _NoKeys(Mapping[str, str]):
    """An empty, immutable mapping a dataclass accepts as a default (it hashes)."""

    def __getitem__(self, key: str) -> str:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __hash__(self) -> int:
        return 0


_NO_KEYS: Mapping[str, str] = _NoKeys()


@dataclass(slots=True)
class Rendered:
    """What one turn's replies become on a channel.

    (The defaults are shared empties, not factories: the web channel builds
    one of these per turn on its hot path and fills none of them.)
    """

    # platform API requests, in order (asynchronous channels)
    calls: Sequence[OutboundCall] = ()
    # the body of the HTTP answer (synchronous channels)
    answer: dict[str, Any] | None = None
    # payload keys the calls refer to: key → stored record (flowbot.channels.clicks)
    payload_keys: Mapping[str, str] = _NO_KEYS
    notes: Sequence[Degradation] = ()


class ChannelModule(Protocol):
    """The module-level interface of every channel (`flowbot.channels.facebook`, …)."""

    # read-only members: each module's own Settings class stands in for ChannelSettings
    @property
    def NAME(self) -> str: ...

    @property
    def capabilities(self) -> ChannelCapabilities: ...

    @property
    def Settings(self) -> type[ChannelSettings]: ...

    def verify(self, settings: Any, request: WebhookRequest) -> None:
        """Raise `ChannelRefused` unless the request comes from the platform."""

    def handshake(self, settings: Any, request: WebhookRequest) -> Acknowledgement | None:
        """The answer to a GET on the webhook (Facebook's subscription check); None: 405."""

    def parse(self, request: WebhookRequest) -> Parsed:
        """The user events of a verified body; raises `ChannelInputError`."""

    def render(
        self,
        replies: Sequence[Mapping[str, Any]],
        quick_replies: Sequence[Mapping[str, Any]],
        recipient: Recipient,
        capabilities: ChannelCapabilities,
    ) -> Rendered:
        """The platform's form of one turn's replies, degraded to `capabilities`."""

    def prepare(self, settings: Any, call: OutboundCall) -> PreparedRequest:
        """The URL and credentials of one call."""


class SyncChannelModule(ChannelModule, Protocol):
    """A messenger that takes the answer in the webhook's response (Kakao, TalkTalk)."""

    def time_limit(self, settings: Any, event: InboundEvent) -> float | None:
        """Seconds the event's turn may run (None: the engine's own bounds)."""

    def late_acknowledgement(
        self, settings: Any, event: InboundEvent, error_text: str
    ) -> Acknowledgement:
        """What to answer at once when the turn is not done within the answer budget."""

    def late_calls(
        self, settings: Any, rendered: Rendered, event: InboundEvent
    ) -> Sequence[OutboundCall]:
        """How a late turn's rendering still reaches the user (none: it cannot)."""
