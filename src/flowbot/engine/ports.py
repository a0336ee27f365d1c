"""The I/O the engine may ask for, injected per turn (the engine itself does none).

The server wires real implementations from `flowbot.integrations` (HTTP with
the SSRF guard, script runners); tests pass small fakes. A port signals a
failure by raising any exception: the node turns it into a FAILED result that
an edge may handle (SPEC §4.6).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from random import Random
from typing import Any, Protocol

__all__ = [
    "HttpPort",
    "HttpRequest",
    "HttpResponse",
    "Ports",
    "ScriptPort",
    "ScriptRequest",
    "ScriptResult",
    "utc_now",
]


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A `fetch` node's request after templating."""

    method: str
    uri: str
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None  # "json" / "x-www-form-urlencoded" as in the bot file
    # a string after templating, or the object/array the bot file wrote
    body: str | dict[str, Any] | list[Any] | None = None


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """`data` is the decoded JSON body when it is JSON, else the body text."""

    status_code: int
    data: Any = None


class HttpPort(Protocol):
    async def request(self, request: HttpRequest) -> HttpResponse: ...


@dataclass(frozen=True, slots=True)
class ScriptRequest:
    """A `sandbox` node's script and a JSON-safe copy of the turn's context."""

    runtime: str
    script: str
    context: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ScriptResult:
    """`params` (when not None) merge into the conversation's params."""

    result: Any = None
    params: Mapping[str, Any] | None = None


class ScriptPort(Protocol):
    async def run(self, request: ScriptRequest) -> ScriptResult: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Ports:
    """What one turn may use of the world: HTTP, scripts, the time, randomness.

    `now` is what DATE prints as "now"; `random` is what RAND draws from (None:
    a shared generator). `flowbot test` pins both, so a turn's answer is a
    pure function of its inputs.
    """

    http: HttpPort | None = None
    script: ScriptPort | None = None
    now: Callable[[], datetime] = utc_now
    random: Random | None = None
