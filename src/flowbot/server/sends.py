"""Facebook and LINE replies survive a process that dies between the turn and the send.

Those channels answer the platform's webhook at once and send the turn's
replies afterwards through the platform's API (`channel_routes`). A process
killed in between would lose replies the user never sees, though the turn is
saved. So the replies are written with the turn, in its transaction, as one
row of the store's outbox (the table the webhook events use) under the key
`send:<channel>:<bot>`, not claimable for `recover_sends_after` seconds:

- the process that ran the turn sends them at once, as before, and marks the
  row sent (`Store.mark_sent`);
- a `SendRelay` in every process claims the rows still pending after that
  time (their writer died, or hung) and sends them: typing indicators and
  the pauses between messages are dropped then, being late already, and a
  LINE reply whose token has expired goes out by push (the call's fallback).

At least once: a writer that sent but died before marking, or that took
longer than `recover_sends_after`, has its replies sent twice. Facebook and
LINE have no idempotency key for a message send (LINE's retry key only
covers the retries of one request), so twice is the price of never losing
one; the default (60 s) is longer than a send's own retries take.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flowbot.channels import CHANNELS, OutboundCall, Rendered
from flowbot.store import ClaimedEvent, OutboxEvent, Store

if TYPE_CHECKING:
    from flowbot.server.outbound import Outbound

__all__ = ["SEND_PREFIX", "SendRelay", "decode_calls", "recovered", "send_key", "send_row"]

logger = logging.getLogger("flowbot.server")

SEND_PREFIX = "send:"
BATCH = 20
# how long a relay's claim on a stranded send holds (longer than sending it takes)
LEASE_SECONDS = 120.0
MAX_ATTEMPTS = 5
RETRY_SECONDS = 30.0


def send_key(bot_id: str, channel: str) -> str:
    """The outbox key of one bot's sends on one channel."""
    return f"{SEND_PREFIX}{channel}:{bot_id}"


def decode_calls(body: dict[str, Any]) -> list[OutboundCall]:
    """The platform calls of a send row's JSON body (`send_row`)."""
    return [_call(item) for item in body["calls"]]


def send_row(
    bot_id: str,
    channel: str,
    conversation_id: str,
    calls: Sequence[OutboundCall],
    not_before: datetime,
) -> OutboxEvent:
    """The outbox row of a turn's platform calls."""
    body = {
        "conversationId": conversation_id,
        "calls": [_call_json(call) for call in calls],
    }
    return OutboxEvent(
        send_key(bot_id, channel),
        uuid.uuid4().hex,
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        not_before=not_before,
    )


def _call_json(call: OutboundCall) -> dict[str, Any]:
    return {
        "path": call.path,
        "body": call.body,
        "waitMs": call.wait_ms,
        "purpose": call.purpose,
        "fallback": None if call.fallback is None else _call_json(call.fallback),
    }


def _call(item: dict[str, Any]) -> OutboundCall:
    fallback = item.get("fallback")
    return OutboundCall(
        path=item["path"],
        body=item["body"],
        wait_ms=int(item.get("waitMs", 0)),
        purpose=item.get("purpose", "message"),
        fallback=None if fallback is None else _call(fallback),
    )


def recovered(calls: Sequence[OutboundCall]) -> list[OutboundCall]:
    """What a relay sends of a stranded turn's calls: the messages, at once."""
    return [
        OutboundCall(call.path, call.body, 0, call.purpose, call.fallback)
        for call in calls
        if call.purpose != "typing"
    ]


class SendRelay:
    """Sends the stranded rows of the given (bot, channel) pairs; one task per process."""

    def __init__(
        self,
        store: Store,
        outbound: Outbound,
        keys: Sequence[tuple[str, str]],
        *,
        poll_interval: float = 5.0,
    ) -> None:
        self.store = store
        self.outbound = outbound
        self.keys = list(keys)
        self.poll_interval = poll_interval
        self.claimer = f"{socket.gethostname()}:{os.getpid()}:sends:{uuid.uuid4().hex[:8]}"
        self.recovered = 0  # rows this relay sent
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.keys and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            with contextlib.suppress(Exception):
                await self.store.release_claims(self.claimer)

    async def _run(self) -> None:
        while True:
            for bot_id, channel in self.keys:
                try:
                    await self.relay_once(bot_id, channel)
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # the store is away: try again later
                    logger.warning("sends of %s %s: %r", channel, bot_id, error)
            await asyncio.sleep(self.poll_interval)

    async def relay_once(self, bot_id: str, channel: str) -> int:
        """Send what is stranded for one bot's channel now; how many rows were sent."""
        claimed = await self.store.claim_events(
            send_key(bot_id, channel), self.claimer, BATCH, LEASE_SECONDS
        )
        sent = 0
        for row in claimed:
            sent += await self._send(bot_id, channel, row)
        return sent

    async def _send(self, bot_id: str, channel: str, row: ClaimedEvent) -> int:
        body = json.loads(row.event)
        what = f"conversation {body.get('conversationId')} (stranded send)"
        calls = recovered(decode_calls(body))
        if channel not in CHANNELS:
            await self.store.mark_failed([row.seq], self.claimer, "unknown channel", None, 1)
            return 0
        report = await self.outbound.deliver(bot_id, channel, Rendered(calls=calls), what)
        if report.ok:
            await self.store.mark_delivered([row.seq], self.claimer)
            self.recovered += 1
            logger.info("%s: sent by this process after its own had not", what)
            return 1
        retry = None if report.last_error == "no channel settings" else RETRY_SECONDS
        await self.store.mark_failed(
            [row.seq], self.claimer, report.last_error or "not sent", retry, MAX_ATTEMPTS
        )
        return 0


def not_before(now: datetime, seconds: float) -> datetime:
    """When a relay may take a send written at `now`."""
    return now + timedelta(seconds=seconds)
