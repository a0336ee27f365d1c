"""/api/docs in a real chromium, on a phone's screen: Swagger UI from the package, offline.

The real app runs on uvicorn on 127.0.0.1. The page must render every
operation of /api/openapi.json, open one and show its request body's schema
(the model the route validates with), without a JavaScript error, without
running off the screen's width, and without asking any other host for
anything: the context aborts every request that is not to 127.0.0.1, and
none may be attempted (no CDN, no font service, no validator badge).

Needs Debian's chromium at /usr/bin/chromium, like test_widget_browser.py
(FLOWBOT_SKIP_BROWSER=1 skips). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flowbot.config import BotSource, Settings
from flowbot.server.openapi import openapi_document

from .browsing import ARTIFACTS, WAIT_MS, InProcessServer, launched_chromium, loopback, new_context
from .support import POKEMON

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium("API reference")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[InProcessServer]:
    running = InProcessServer(
        Settings(
            bots=[BotSource("pokemon", POKEMON)],
            database=f"sqlite:///{tmp_path / 'flowbot.db'}",
            api_key="docs-api-key",
        )
    )
    running.start()
    yield running
    running.stop()


def test_the_reference_on_a_phone(browser: Any, server: InProcessServer) -> None:
    from playwright.sync_api import expect

    errors: list[str] = []
    blocked: list[str] = []
    requests: list[str] = []
    context = new_context(browser, blocked, **PHONE)
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(f"{server.url}/api/docs")

        # Every operation of the document is listed, under its tag.
        operations = page.locator(".opblock")
        expected = sum(len(methods) for methods in openapi_document()["paths"].values())
        expect(operations).to_have_count(expected)
        expect(page.locator(".info .title")).to_contain_text("flowbot")
        page.screenshot(path=str(ARTIFACTS / "api-docs-phone.png"), animations="disabled")

        # One operation, opened: its request body is the NavigationRequest model.
        navigation = page.locator("#operations-api-changeNavigation")
        navigation.locator(".opblock-summary-control").click()
        body = navigation.locator(".opblock-section-request-body")
        expect(body).to_be_visible()
        body.get_by_role("tab", name="Schema").click()
        schema = body.locator(".model-box")
        expect(schema.locator(".json-schema-2020-12__title").first).to_have_text(
            "NavigationRequest"
        )
        properties = schema.locator(".json-schema-2020-12-property .json-schema-2020-12__title")
        expect(properties.filter(has_text="flowId")).to_have_count(1)
        expect(properties.filter(has_text="run")).to_have_count(1)
        expect(navigation.locator(".responses-table")).to_contain_text("422")
        navigation.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "api-docs-phone-operation.png"), animations="disabled")

        # The page stays within the screen's width.
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["viewport"]["width"], width  # type: ignore[index]
    finally:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert blocked == []
    assert requests and all(loopback(url) for url in requests), requests
    assert any(url.endswith("/api/openapi.json") for url in requests), requests
