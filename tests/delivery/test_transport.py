"""The transport: calls in order, secrets added, retries, fallbacks, delays — over MockTransport."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from flowbot.channels import OutboundCall, line
from flowbot.delivery import MAX_WAIT_MS, Transport

SETTINGS = line.Settings(
    channel_secret=SecretStr("secret"),
    channel_access_token=SecretStr("token-1"),
    api_base="https://line.test",
)


class Platform:
    """Answers each request with the next scripted status (200 once the script is used up)."""

    def __init__(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        self.statuses = list(statuses)
        self.headers = headers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        return httpx.Response(status, json={"message": f"status {status}"}, headers=self.headers)

    def bodies(self) -> list[tuple[str, Any]]:
        return [(r.url.path, json.loads(r.content)) for r in self.requests]


def transport(platform: Platform, slept: list[float]) -> Transport:
    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client = httpx.AsyncClient(transport=httpx.MockTransport(platform))
    return Transport(client, sleep=sleep)


def push(text: str, wait_ms: int = 0) -> OutboundCall:
    body = {"to": "U1", "messages": [{"type": "text", "text": text}]}
    return OutboundCall(line.PUSH_PATH, body, wait_ms=wait_ms)


async def test_calls_go_in_order_with_the_channels_credentials() -> None:
    platform, slept = Platform(), []
    report = await transport(platform, slept).deliver(
        line, SETTINGS, [push("one"), push("two", wait_ms=1500)], "test"
    )
    assert (report.sent, report.failed, report.ok) == (2, 0, True)
    assert [body["messages"][0]["text"] for _, body in platform.bodies()] == ["one", "two"]
    assert slept == [1.5]
    first = platform.requests[0]
    assert str(first.url) == "https://line.test/v2/bot/message/push"
    assert first.headers["authorization"] == "Bearer token-1"
    # one retry key per call, so that LINE drops a retried push it already took
    keys = [r.headers["x-line-retry-key"] for r in platform.requests]
    assert len(set(keys)) == 2


async def test_a_retried_call_keeps_its_retry_key_and_honours_retry_after() -> None:
    platform, slept = Platform(503, 429, headers={"Retry-After": "2"}), []
    report = await transport(platform, slept).deliver(line, SETTINGS, [push("hi")], "test")
    assert report.ok and len(platform.requests) == 3
    assert len({r.headers["x-line-retry-key"] for r in platform.requests}) == 1
    assert slept == [2.0, 2.0]


async def test_a_refused_call_is_logged_and_the_rest_still_go(
    caplog: pytest.LogCaptureFixture,
) -> None:
    platform, slept = Platform(400), []
    report = await transport(platform, slept).deliver(
        line, SETTINGS, [push("bad"), push("good")], "conversation c1"
    )
    assert (report.sent, report.failed) == (1, 1)
    assert report.last_error is not None and report.last_error.startswith("HTTP 400")
    assert len(platform.requests) == 2  # a 400 is not retried
    assert "conversation c1: line /v2/bot/message/push failed: HTTP 400" in caplog.text


async def test_a_refused_reply_sends_its_fallback_push() -> None:
    platform, slept = Platform(400), []
    reply = OutboundCall(
        line.REPLY_PATH,
        {"replyToken": "expired", "messages": [{"type": "text", "text": "hi"}]},
        fallback=push("hi"),
    )
    report = await transport(platform, slept).deliver(line, SETTINGS, [reply], "test")
    assert report.ok
    assert [path for path, _ in platform.bodies()] == [line.REPLY_PATH, line.PUSH_PATH]


async def test_network_errors_are_retried_then_reported() -> None:
    calls = 0

    def down(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client = httpx.AsyncClient(transport=httpx.MockTransport(down))
    report = await Transport(client, sleep=sleep).deliver(line, SETTINGS, [push("x")], "t")
    assert (calls, report.failed) == (3, 1)
    assert slept == [0.5, 1.0]  # exponential backoff between the three attempts


async def test_a_failed_typing_indicator_is_not_a_failed_message() -> None:
    platform, slept = Platform(500, 500, 500), []
    loading = OutboundCall(
        line.LOADING_PATH, {"chatId": "U1", "loadingSeconds": 5}, purpose="typing"
    )
    report = await transport(platform, slept).deliver(line, SETTINGS, [loading, push("x")], "t")
    assert (report.sent, report.failed) == (1, 0)


async def test_a_bots_delay_is_capped() -> None:
    platform, slept = Platform(), []
    await transport(platform, slept).deliver(line, SETTINGS, [push("x", wait_ms=3_600_000)], "t")
    assert slept == [MAX_WAIT_MS / 1000]


async def test_a_200_that_says_refused_is_a_refusal_on_talktalk() -> None:
    from flowbot.channels import navertalk

    settings = navertalk.Settings(
        path_token=SecretStr("p" * 20),
        authorization=SecretStr("partner-key"),
        api_base="https://talk.test",
    )
    answers = [{"success": True, "resultCode": "00"}, {"success": False, "resultCode": "02"}]

    def talktalk(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers.pop(0))

    client = httpx.AsyncClient(transport=httpx.MockTransport(talktalk))
    body = {"event": "send", "user": "u1", "textContent": {"text": "hi"}}
    calls = [OutboundCall(navertalk.SEND_PATH, body), OutboundCall(navertalk.SEND_PATH, body)]
    report = await Transport(client).deliver(navertalk, settings, calls, "test")
    assert (report.sent, report.failed) == (1, 1)
    assert report.last_error is not None and '"resultCode":"02"' in report.last_error
