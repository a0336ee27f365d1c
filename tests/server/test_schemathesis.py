"""schemathesis against the real app: the OpenAPI document and the routes agree.

Every operation of `/api/openapi.json` gets generated requests, valid and
invalid, on the real app (a SQLite file in the test's tmp folder, the Pokémon
bot with both messengers configured, an API key) served by a real uvicorn
on 127.0.0.1 in a thread. Every answer must be one the document lists,
with its content type and a body that matches its schema; no answer may be
a 5xx; a request the document calls valid must not be refused with 400/422,
nor one it calls invalid be accepted; an undocumented method must get 405
with `Allow` listing exactly the documented methods.

Hypothesis explores new examples locally and is derandomized in CI (the
suite's `ci` profile, tests/conftest.py): schemathesis takes its settings
from the same profile, so a CI run sends the same requests every time (the
ids and tokens the server makes up aside).
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from flowbot.channels import MESSENGERS
from flowbot.config import BotSource, Settings
from flowbot.server import create_app
from flowbot.server.app import FlowbotApp
from flowbot.server.openapi import GET_WEBHOOKS, PY_WHITESPACE, openapi_document

from .korean_platforms import korean_settings
from .platforms import messenger_settings
from .support import API_KEY, POKEMON, free_port

CONFIG: dict[str, Any] = {
    # only a guard against a hang: no request takes near that long
    "request-timeout": 20,
    # an event stream never ends by itself: schemathesis keeps what came by then
    "max-stream-events": 1,
    # the API key, for both of the API's security schemes
    "auth": {"openapi": {"bearer": {"bearer": API_KEY}, "apiKey": {"api_key": API_KEY}}},
    "phases": {
        # The stateful test follows the document's own links only (no inferred ones).
        "stateful": {"inference": {"algorithms": []}},
        # Values seen in earlier answers (ids, tokens) are not fed back into generation:
        # they differ between runs and between a failing example and its replay (which
        # hypothesis then calls flaky). The stateful test reaches real conversations.
        "fuzzing": {"extra-data-sources": {"responses": False}},
        "coverage": {"extra-data-sources": {"responses": False}},
    },
    "operations": [
        {
            # An open event stream is read for this long, then cut: its status and
            # headers come at once, and nothing is pushed to it here.
            "include-operation-id": "webEvents",
            "request-timeout": 1,
        },
        {
            # An OPTIONS request without Origin and Access-Control-Request-Method is
            # not a CORS preflight, and these routes answer it 405 (documented, with
            # Allow); missing_required_header expects 4xx other than 405 by default.
            "include-method": "OPTIONS",
            "checks": {
                "missing_required_header": {
                    "expected-statuses": [400, 401, 403, 405, 406, 415, 422]
                }
            },
        },
        {
            # JSON Schema cannot say what makes a bot valid (one entry node per flow,
            # edges to nodes that exist, templates that compile, …): a body that follows
            # the Bot schema may still be refused 422 with the problems `flowbot validate`
            # finds. Every other check still applies to this operation.
            "include-path": "/api/bots/{botId}",
            "include-method": "PUT",
            "checks": {"positive_data_acceptance": {"enabled": False}},
        },
        {
            # The studio's (docs/studio.md): a draft bot or a session that follows the
            # schema may still not validate or not be one a preview answered; flow
            # imports merge into a bot that must still validate; stats refuse a range
            # that is backwards or over 366 days. Every other check still applies.
            "include-operation-id": ["preview", "previewTest", "importFlows", "botStats"],
            "checks": {"positive_data_acceptance": {"enabled": False}},
        },
    ],
}

schema = schemathesis.openapi.from_dict(
    openapi_document(), config=SchemathesisConfig.from_dict(CONFIG)
)


def platform(request: httpx.Request) -> httpx.Response:
    """Facebook's and LINE's APIs, answered in process: a webhook's turns never leave."""
    return httpx.Response(200, json={"recipient_id": "1", "message_id": "m", "sentMessages": []})


@contextlib.contextmanager
def serve_in_thread(app: FlowbotApp) -> Iterator[str]:
    """`app` on a real uvicorn on 127.0.0.1, in a thread of its own; yields the base URL.

    schemathesis calls are synchronous (requests), and some of its checks send
    probes of their own (without credentials, with wrong ones): a real server
    answers them all alike.
    """
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        for _ in range(1000):
            if server.started or not thread.is_alive():
                break
            time.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def flowbot(folder: Path) -> FlowbotApp:
    """The app under test: SQLite in `folder`, the Pokémon bot on every messenger."""
    channels = {
        **messenger_settings("http://127.0.0.1:9", "http://127.0.0.1:9"),
        **korean_settings("http://127.0.0.1:9"),
    }
    return create_app(
        Settings(
            bots=[BotSource("pokemon", POKEMON, channels)],
            database=f"sqlite:///{folder / 'flowbot.db'}",
            api_key=API_KEY,
        ),
        platform_transport=httpx.MockTransport(platform),
    )


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_in_thread(flowbot(tmp_path_factory.mktemp("schemathesis"))) as url:
        yield url


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_openapi_document_and_routes_agree(case: schemathesis.Case, base_url: str) -> None:
    case.call_and_validate(base_url=base_url)


def test_conversations_through_the_documented_links(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Stateful: a web turn's answer links to its conversation's operations.

    The links of the document (webMessage → getConversation, changeNavigation,
    sendMessages, webEvents with the token) take generated steps to real
    conversations, so those operations answer their 200s too. Each scenario
    runs on a server of its own: which steps it can take depends on what the
    server answered, and a replayed scenario must get the same answers.
    """

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.server = contextlib.ExitStack()
            app = flowbot(tmp_path_factory.mktemp("stateful"))
            self.base_url = self.server.enter_context(serve_in_thread(app))

        def teardown(self) -> None:
            self.server.close()

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": self.base_url}

    Workflow.run(
        settings=settings(
            max_examples=15,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
    )


def test_blank_means_what_str_strip_removes() -> None:
    """The document's "non-blank" pattern is the routes' `value.strip()`."""
    blank = re.compile(f"[{PY_WHITESPACE}]")
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert bool(blank.fullmatch(char)) == char.isspace(), hex(code)


def test_the_webhooks_that_answer_get(base_url: str) -> None:
    """The GET operation's channels are those whose webhook answers a GET."""
    for name in MESSENGERS:
        response = httpx.get(f"{base_url}/channels/{name}/pokemon", params={"hub.mode": "x"})
        assert (response.status_code != 405) == (name in GET_WEBHOOKS), (name, response.text)
        if response.status_code == 405:
            # RFC 9110 §15.5.6: a 405 lists the methods the resource takes
            assert response.headers.get("allow") == "POST", response.headers
