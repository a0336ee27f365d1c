"""What the real-browser tests share: Debian's chromium, loopback-only contexts, a server.

Every context aborts (and records) any request to a host other than
127.0.0.1: a browser test never reaches the outside world.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn

from flowbot.config import Settings
from flowbot.server import create_app

__all__ = [
    "ARTIFACTS",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "WAIT_MS",
    "InProcessServer",
    "free_port",
    "launched_chromium",
    "loopback",
    "new_context",
]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"  # screenshots (git-ignored)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 10_000


def launched_chromium(what: str) -> Iterator[Any]:
    """The body of a module's `browser` fixture: fails without chromium unless told to skip."""
    if os.environ.get("FLOWBOT_SKIP_BROWSER") == "1":
        pytest.skip(f"FLOWBOT_SKIP_BROWSER=1: the real-browser {what} tests are skipped")
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make browser` to install Debian's chromium "
            "(or set FLOWBOT_SKIP_BROWSER=1 to skip the browser tests knowingly)"
        )
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def loopback(url: str) -> bool:
    return urlsplit(url).hostname == "127.0.0.1"


def new_context(browser: Any, blocked: list[str] | None = None, **options: Any) -> Any:
    """A browser context that aborts every request to a host other than 127.0.0.1.

    The aborted URLs are appended to `blocked`.
    """
    context = browser.new_context(**options)
    aborted = blocked if blocked is not None else []

    def abort(route: Any) -> None:
        aborted.append(route.request.url)
        route.abort("blockedbyclient")

    context.route(lambda url: not loopback(url), abort)
    return context


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class InProcessServer:
    """The app of `settings` on uvicorn in a thread: for settings `flowbot serve` cannot set."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the in-process flowbot server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
