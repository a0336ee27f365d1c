"""Sending a channel's outbound calls: one shared `httpx.AsyncClient`, in order, with retries.

The channel module says what to send (`OutboundCall`s, pure); this module
sends it: each call `prepare`d with the channel's secrets, after its
`wait_ms` (a message's delay, capped at MAX_WAIT_MS so that a bot cannot park
a worker), retried on a network error, 429 or 5xx (honouring `Retry-After`
up to MAX_RETRY_AFTER), and replaced by its `fallback` when the platform
refuses it (LINE: an expired reply token → push). Like python-telegram-bot's
`BaseRequest`, the HTTP transport is one object the server creates once and
tests swap (an httpx `MockTransport` or a fake platform on 127.0.0.1), never
the channel code.

A call that still fails is logged and the rest are sent: the turn is saved
already, and the user should get as much of the answer as the platform takes.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from flowbot.channels.base import ChannelModule, OutboundCall, PreparedRequest

__all__ = ["MAX_WAIT_MS", "DeliveryReport", "Transport"]

logger = logging.getLogger("flowbot.delivery")

MAX_WAIT_MS = 10_000
MAX_RETRY_AFTER = 10.0
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    # the platform's answer to the last failed message call, for the API's caller
    last_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.failed == 0


class Transport:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        attempts: int = 3,
        backoff: float = 0.5,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep

    async def deliver(
        self, channel: ChannelModule, settings: Any, calls: Sequence[OutboundCall], what: str
    ) -> DeliveryReport:
        """Send `calls` in order; `what` names the conversation in the log."""
        report = DeliveryReport()
        for call in calls:
            if call.wait_ms > 0:
                await self.sleep(min(call.wait_ms, MAX_WAIT_MS) / 1000)
            error = await self._send(channel, settings, call)
            if error is not None and call.fallback is not None:
                logger.info("%s: %s refused (%s): sending its fallback", what, call.path, error)
                error = await self._send(channel, settings, call.fallback)
            if call.purpose == "typing":
                if error is not None:
                    logger.info("%s: typing indicator not shown: %s", what, error)
                continue
            if error is None:
                report.sent += 1
            else:
                report.failed += 1
                report.last_error = error
                logger.warning("%s: %s %s failed: %s", what, channel.NAME, call.path, error)
        return report

    async def _send(self, channel: ChannelModule, settings: Any, call: OutboundCall) -> str | None:
        """None when the platform took the call, else why not."""
        prepared = channel.prepare(settings, call)
        headers = dict(prepared.headers)
        if prepared.retry_key_header is not None:
            headers[prepared.retry_key_header] = str(uuid.uuid4())
        why = "not sent"
        for attempt in range(1, self.attempts + 1):
            try:
                response = await self._request(prepared, headers)
            except httpx.HTTPError as error:
                why = f"{type(error).__name__}: {error}"
                retry_after = None
            else:
                if response.is_success:
                    return _refused(prepared, response)
                why = f"HTTP {response.status_code}: {response.text[:300]}"
                if response.status_code not in _RETRY_STATUSES:
                    return why
                retry_after = _retry_after(response)
            if attempt < self.attempts:
                pause = (
                    retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
                )
                await self.sleep(pause)
        return why

    async def _request(self, prepared: PreparedRequest, headers: dict[str, str]) -> httpx.Response:
        return await self.client.request(
            prepared.method,
            prepared.url,
            json=prepared.json,
            headers=headers,
            params=dict(prepared.params),
        )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return None if seconds is None else min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _refused(prepared: PreparedRequest, response: httpx.Response) -> str | None:
    """Why a 2xx answer is still a refusal (a platform that says so in its body), if it is."""
    if prepared.success is None:
        return None
    field, value = prepared.success
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get(field) == value:
        return None
    return f"HTTP {response.status_code} but refused: {response.text[:300]}"
