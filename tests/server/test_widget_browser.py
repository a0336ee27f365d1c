"""The chat widget in a real chromium against a real `flowbot serve examples/pokemon.yaml`.

Needs Debian's chromium at /usr/bin/chromium (`make browser` installs it).
Without it the tests FAIL, unless FLOWBOT_SKIP_BROWSER=1 says to skip them.
Screenshots go to test-artifacts/ (git-ignored).

The browser talks to loopback only: every context aborts (and records) any
request to another host, and the Pokémon demo must not even try one (its card
images are the bot's own, served by flowbot at /media/pokemon/).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from flowbot.config import BotSource, Settings

from .browsing import (
    ARTIFACTS,
    WAIT_MS,
    InProcessServer,
    free_port,
    launched_chromium,
    loopback,
    new_context,
)
from .test_chat_page import KOREAN_TITLE, KOREAN_URL, KOREAN_WELCOME, korean_settings

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "pokemon.yaml"
API_KEY = "widget-test-key"

WELCOME = "Welcome to the world of Pokémon!\nPick the partner who will travel with you."
CHOSEN = "Charmander! An excellent choice."
SCOLD = "You have not picked a Pokémon yet! It is dangerous to go alone."
FALLBACK = "Fallback flow: you clicked Bulbasaur, but your partner is already Charmander."


class ServerProcess:
    """`flowbot serve` in a subprocess; stop() and start() again keep port and database."""

    def __init__(self, db_path: Path, log_path: Path) -> None:
        self.port = free_port()
        self.db_path = db_path
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "flowbot.cli",
            "serve",
            str(EXAMPLE),
            "--port",
            str(self.port),
            "--db",
            f"sqlite:///{self.db_path}",
        ]
        env = dict(os.environ, FLOWBOT_API_KEY=API_KEY)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"flowbot serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"flowbot serve did not answer /healthz within 30 s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def push(self, conversation_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Send messages into a conversation through the JSON API (they arrive over SSE)."""
        response = httpx.post(
            f"{self.url}/api/conversations/{conversation_id}/messages",
            json=body,
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@contextlib.contextmanager
def _serve_page(html: str) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering every GET with `html`; yields its base URL."""
    body = html.encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium("widget")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("widget")
    process = ServerProcess(folder / "w.db", folder / "server.log")
    process.start()
    yield process
    process.stop()


@pytest.fixture
def blocked() -> list[str]:
    """The URLs the `page` fixture's context aborted: any that is not on 127.0.0.1."""
    return []


@pytest.fixture
def page(browser: Any, blocked: list[str]) -> Iterator[Any]:
    context = new_context(browser, blocked, viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _stored_conversation(page: Any) -> dict[str, Any]:
    raw = page.evaluate(
        """() => {
            const key = Object.keys(localStorage).find((k) => k.startsWith("flowbot:"));
            return key ? localStorage.getItem(key) : null;
        }"""
    )
    assert raw, "the widget stored no conversation in localStorage"
    stored: dict[str, Any] = json.loads(raw)
    return stored


STARTERS = ["bulbasaur", "charmander", "squirtle"]


def _card_images_load_from(page: Any, server_url: str) -> None:
    """The three cards show the bot's own images, loaded from the flowbot server."""
    from playwright.sync_api import expect

    images = page.locator(".fb-carousel").first.locator(".fb-card-media img")
    expect(images).to_have_count(3)
    sources = images.evaluate_all("nodes => nodes.map((n) => n.src)")
    assert sources == [f"{server_url}/media/pokemon/{name}.svg" for name in STARTERS]
    page.wait_for_function(
        "() => [...document.querySelectorAll('.fb-card-media img')].every("
        "(i) => i.complete && i.naturalWidth > 0)"
    )
    assert page.locator(".fb-media-missing").count() == 0


def _bot_bubbles(page: Any) -> Any:
    return page.locator(".fb-bubble.fb-bot")


def test_pokemon_in_the_chat_page(page: Any, server: ServerProcess, blocked: list[str]) -> None:
    from playwright.sync_api import expect

    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{server.url}/chat/pokemon")
    cards = page.locator(".fb-carousel .fb-card")
    expect(cards).to_have_count(3)
    expect(page.locator(".fb-card-title")).to_have_text(["Bulbasaur", "Charmander", "Squirtle"])
    welcome = _bot_bubbles(page).first
    assert welcome.evaluate("e => e.textContent") == WELCOME
    assert welcome.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    # A carousel scrolls sideways and snaps to its cards.
    track = page.locator(".fb-carousel")
    assert track.evaluate("e => getComputedStyle(e).scrollSnapType").startswith("x")
    assert track.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    # Card images (the bot's own, served by flowbot) fill one aspect ratio.
    _card_images_load_from(page, server.url)
    heights = page.locator(".fb-card-media").evaluate_all(
        "nodes => nodes.map((n) => Math.round(n.getBoundingClientRect().height))"
    )
    assert len(set(heights)) == 1 and heights[0] > 100, heights

    cards.nth(1).get_by_role("button", name="I choose you!").click()
    expect(page.locator(".fb-bubble.fb-user").last).to_have_text("I choose you!")
    expect(_bot_bubbles(page).last).to_have_text(CHOSEN)

    # An OLD button, from a bubble the conversation has moved past, still works
    # and goes through the fallback flow.
    cards.nth(0).get_by_role("button", name="I choose you!").click()
    expect(_bot_bubbles(page).filter(has_text="Fallback flow")).to_have_count(1)
    fallback = _bot_bubbles(page).last
    expect(fallback.locator(".fb-text")).to_have_text(FALLBACK)
    expect(fallback.locator("button.fb-button-goto")).to_have_text("Start over")
    page.screenshot(path=str(ARTIFACTS / "widget-pokemon.png"), animations="disabled")

    # The user's own text is shown literally, never parsed as HTML.
    page.locator(".fb-input").fill("<b>x</b>")
    page.locator(".fb-input").press("Enter")
    expect(page.locator(".fb-bubble.fb-user").last).to_have_text("<b>x</b>")
    assert page.locator(".fb-messages b").count() == 0

    # A goto button jumps back to the start flow: the cards come again.
    fallback.locator("button.fb-button-goto").click()
    expect(page.locator(".fb-carousel")).to_have_count(2)

    # A reload restores the conversation from localStorage and goes on with it.
    bubbles_before = _bot_bubbles(page).count()
    conversation_id = _stored_conversation(page)["conversationId"]
    page.reload()
    expect(page.locator(".fb-carousel")).to_have_count(2)
    assert _bot_bubbles(page).count() == bubbles_before
    assert _stored_conversation(page)["conversationId"] == conversation_id
    page.locator(".fb-carousel").last.locator(".fb-card").nth(2).get_by_role(
        "button", name="I choose you!"
    ).click()
    expect(_bot_bubbles(page).last).to_have_text("Squirtle! An excellent choice.")

    # The whole demo ran on loopback: nothing else was even attempted.
    assert blocked == []
    assert requests and all(loopback(url) for url in requests), requests


def test_pushed_messages_render_every_message_kind_safely(page: Any, server: ServerProcess) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/chat/pokemon")
    expect(page.locator(".fb-carousel .fb-card")).to_have_count(3)
    conversation_id = _stored_conversation(page)["conversationId"]
    page.wait_for_function("() => window.Flowbot.instances[0].events?.readyState === 1")
    page.wait_for_timeout(300)  # the server subscribes right after sending the headers

    markup = '<img src=x onerror="window.__owned=1"><b>bold</b>'
    result = server.push(
        conversation_id,
        {
            "messages": [
                {"type": "text", "text": f"Markup stays text: {markup}\nsecond line"},
                {
                    "type": "text",
                    "text": "Links and clicks",
                    "delay": 1200,
                    "buttons": [
                        {"type": "link", "label": "Docs", "uri": "https://example.org/docs"},
                        {"type": "postback", "label": "Again", "payload": '{"pokemon": "Pikachu"}'},
                    ],
                },
                {"type": "location", "label": "Pallet Town", "latitude": 37.5, "longitude": 127},
                {
                    "type": "media",
                    "media": {"uri": "https://example.org/cry.mp3", "contentType": "audio"},
                },
                {
                    "type": "cards",
                    "cards": [{"title": "Pikachu <i>", "description": "Single card"}],
                },
            ],
            "quickReplies": [
                {"type": "postback", "label": "Yes", "payload": '{"pokemon": "Eevee"}'},
                {"type": "postback", "label": "No"},
            ],
        },
    )
    assert result["delivered"] == 1, result

    markup_bubble = _bot_bubbles(page).filter(has_text="Markup stays text")
    expect(markup_bubble).to_have_text(f"Markup stays text: {markup}\nsecond line")
    assert markup_bubble.locator("img, b").count() == 0
    # The second message waits for its delay behind a typing indicator.
    expect(page.locator(".fb-typing")).to_be_visible()
    expect(page.locator(".fb-bubble.fb-bot[data-type=location]")).to_be_visible()
    expect(page.locator(".fb-typing")).to_be_hidden()
    assert page.evaluate("() => window.__owned") is None

    link = page.locator("a.fb-button-link", has_text="Docs")
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in (link.get_attribute("rel") or "")
    assert link.get_attribute("href") == "https://example.org/docs"
    map_link = page.locator("a.fb-map-link")
    assert "openstreetmap.org" in (map_link.get_attribute("href") or "")
    expect(page.locator(".fb-media audio")).to_have_count(1)
    expect(page.locator(".fb-card-title").last).to_have_text("Pikachu <i>")

    # Quick replies sit under the newest bubble and go away once used.
    quick = page.locator(".fb-quick-reply")
    expect(quick).to_have_text(["Yes", "No"])
    page.screenshot(path=str(ARTIFACTS / "widget-kinds.png"), animations="disabled")
    with page.expect_request("**/channels/web/pokemon/messages") as sent:
        quick.first.click()
    body = json.loads(sent.value.post_data or "{}")
    assert body["text"] == "Yes" and body["payload"] == '{"pokemon": "Eevee"}'
    assert sent.value.headers["authorization"].startswith("Bearer ")
    expect(quick).to_have_count(0)
    # The conversation waits at the cards' keyboard: the payload is a pick.
    expect(_bot_bubbles(page).last).to_have_text("Eevee! An excellent choice.")

    # A postback button of a pushed bubble sends label + payload.
    with page.expect_request("**/channels/web/pokemon/messages") as sent:
        page.get_by_role("button", name="Again").click()
    assert json.loads(sent.value.post_data or "{}")["payload"] == '{"pokemon": "Pikachu"}'
    expect(_bot_bubbles(page).last.locator(".fb-text")).to_have_text(
        "Fallback flow: you clicked Pikachu, but your partner is already Eevee."
    )


def test_phone_viewport_and_query_params(browser: Any, server: ServerProcess) -> None:
    from playwright.sync_api import expect

    context = new_context(
        browser,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        with page.expect_request("**/channels/web/pokemon/messages") as opened:
            page.goto(f"{server.url}/chat/pokemon?trainer=Ash&restart=1&sessionId=s1&bad%20key=1")
        body = json.loads(opened.value.post_data or "{}")
        assert body["event"] == "open"
        assert body["params"] == {"trainer": "Ash"}
        assert "restart=1" not in page.url  # a reload must not restart again
        expect(page.locator(".fb-carousel .fb-card")).to_have_count(3)
        panel = page.locator(".fb-panel").bounding_box()
        assert panel is not None and panel["width"] == 390 and panel["height"] == 844
        composer = page.locator(".fb-composer").bounding_box()
        assert composer is not None and composer["y"] + composer["height"] == pytest.approx(844)
        # Cards are narrower than the screen: the next one peeks in.
        card = page.locator(".fb-card").first.bounding_box()
        assert card is not None and card["width"] < 330
        page.screenshot(path=str(ARTIFACTS / "widget-pokemon-phone.png"), animations="disabled")
        page.emulate_media(color_scheme="dark")
        background = page.locator(".fb-panel").evaluate("e => getComputedStyle(e).backgroundColor")
        assert background == "rgb(16, 18, 22)", background
        page.screenshot(
            path=str(ARTIFACTS / "widget-pokemon-phone-dark.png"), animations="disabled"
        )
    finally:
        context.close()


def test_embedded_launcher(browser: Any, server: ServerProcess) -> None:
    from playwright.sync_api import expect

    blocked: list[str] = []
    context = new_context(browser, blocked, viewport={"width": 1280, "height": 800})
    with contextlib.ExitStack() as stack:
        stack.callback(context.close)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        html = f"""<!doctype html><html><head><title>Pallet Town</title>
            <script>window.__before = Object.keys(window);</script></head>
            <body style="font-family: Georgia, serif; background: #fdf6e3; margin: 40px">
            <h1>Professor Oak's lab</h1><p>Ask the assistant about your first Pokémon.</p>
            <script src="{server.url}/widget.js" data-bot="pokemon" data-title="Professor Oak">
            </script></body></html>"""
        # The shop's page is on another origin than flowbot (another port), served
        # for real: chromium lets only a page on loopback itself call loopback.
        shop = stack.enter_context(_serve_page(html))
        host_page = f"{shop}/shop/lab.html"
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(host_page)
        launcher = page.locator(".fb-launcher")
        expect(launcher).to_be_visible()
        expect(page.locator(".fb-panel")).to_be_hidden()
        # Nothing is opened on the server before the visitor opens the chat.
        assert not [url for url in requests if "/channels/web/" in url]
        added = page.evaluate(
            """() => Object.keys(window).filter(
                (k) => !window.__before.includes(k) && k !== "__before")"""
        )
        assert added == ["Flowbot"]

        launcher.click()
        expect(page.locator(".fb-panel")).to_be_visible()
        expect(page.locator(".fb-title")).to_have_text("Professor Oak")
        expect(page.locator(".fb-carousel .fb-card")).to_have_count(3)
        # The bot's root-relative image URIs are the flowbot server's, not the shop's.
        _card_images_load_from(page, server.url)
        page.locator(".fb-card").nth(1).get_by_role("button", name="I choose you!").click()
        expect(_bot_bubbles(page).last).to_have_text(CHOSEN)
        # So are relative and root-relative links and media in any message.
        page.wait_for_function("() => window.Flowbot.instances[0].events?.readyState === 1")
        page.wait_for_timeout(300)  # the server subscribes right after sending the headers
        result = server.push(
            _stored_conversation(page)["conversationId"],
            {
                "messages": [
                    {
                        "type": "text",
                        "text": "Your partner",
                        "buttons": [
                            {"type": "link", "label": "Picture", "uri": "/media/pokemon/x.svg"},
                            {"type": "link", "label": "Page", "uri": "guide/charmander"},
                            {"type": "link", "label": "Script", "uri": "javascript:alert(1)"},
                        ],
                    },
                    {
                        "type": "media",
                        "media": {"uri": "media/pokemon/charmander.svg", "contentType": "image"},
                    },
                ]
            },
        )
        assert result["delivered"] == 1, result
        expect(page.locator("a.fb-button-link", has_text="Picture")).to_have_attribute(
            "href", f"{server.url}/media/pokemon/x.svg"
        )
        expect(page.locator("a.fb-button-link", has_text="Page")).to_have_attribute(
            "href", f"{server.url}/guide/charmander"
        )
        expect(page.locator("span.fb-button-link", has_text="Script")).to_have_attribute(
            "aria-disabled", "true"
        )
        image = page.locator(".fb-bubble.fb-media img")
        expect(image).to_have_attribute("src", f"{server.url}/media/pokemon/charmander.svg")
        page.wait_for_function(
            "() => document.querySelector('.fb-bubble.fb-media img')?.naturalWidth > 0"
        )
        # The host page's own styles do not leak into the widget's font.
        font = page.locator(".fb-bubble.fb-bot").first.evaluate(
            "e => getComputedStyle(e).fontFamily"
        )
        assert "Georgia" not in font
        page.screenshot(path=str(ARTIFACTS / "widget-embed.png"), animations="disabled")
        page.keyboard.press("Escape")
        expect(page.locator(".fb-panel")).to_be_hidden()
        assert blocked == []


def test_reopens_when_the_server_refuses_the_stored_token(page: Any, server: ServerProcess) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/chat/pokemon")
    expect(page.locator(".fb-carousel .fb-card")).to_have_count(3)
    page.evaluate(
        """() => {
            const key = Object.keys(localStorage).find((k) => k.startsWith("flowbot:"));
            const stored = JSON.parse(localStorage.getItem(key));
            stored.token = "not-the-token";
            localStorage.setItem(key, JSON.stringify(stored));
        }"""
    )
    old_user = _stored_conversation(page)["userKey"]
    page.reload()
    page.locator(".fb-card").nth(1).get_by_role("button", name="I choose you!").click()
    # 403 -> a fresh conversation (welcome again), then the click is sent again.
    expect(_bot_bubbles(page).last).to_have_text(CHOSEN)
    expect(page.locator(".fb-carousel")).to_have_count(2)
    assert _stored_conversation(page)["userKey"] != old_user
    expect(page.locator(".fb-failed")).to_have_count(0)


def test_reconnects_after_a_server_restart(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    server = ServerProcess(tmp_path / "w.db", tmp_path / "server.log")
    server.start()
    context = new_context(browser, viewport={"width": 1280, "height": 860})
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{server.url}/chat/pokemon")
        expect(page.locator(".fb-carousel .fb-card")).to_have_count(3)
        notice = page.locator(".fb-notice")
        expect(notice).to_be_hidden()

        server.stop()
        expect(notice).to_be_visible()
        expect(notice).to_have_text("Reconnecting…")
        # A click while the server is down waits and is delivered once it is back.
        page.locator(".fb-card").nth(1).get_by_role("button", name="I choose you!").click()
        expect(page.locator(".fb-bubble.fb-user.fb-pending")).to_have_count(1)
        server.start()
        expect(_bot_bubbles(page).last).to_have_text(CHOSEN, timeout=20_000)
        expect(notice).to_be_hidden(timeout=20_000)
        expect(page.locator(".fb-bubble.fb-user.fb-pending")).to_have_count(0)
    finally:
        context.close()
        server.stop()


@pytest.fixture(scope="module")
def expiring_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    """The Pokémon bot whose conversations' tokens expire after one idle second."""
    folder = tmp_path_factory.mktemp("expiring")
    settings = Settings(
        bots=[BotSource("pokemon", EXAMPLE)],
        database=f"sqlite:///{folder / 'flowbot.db'}",
        api_key=API_KEY,
    )
    settings.web_token_ttl = 1.0
    server = InProcessServer(settings)
    server.start()
    yield server
    server.stop()


def test_an_expired_token_starts_a_new_conversation_silently(
    page: Any, expiring_server: InProcessServer, blocked: list[str]
) -> None:
    from playwright.sync_api import expect

    url = expiring_server.url
    refusals: list[str] = []
    page.on("response", lambda r: refusals.append(r.url) if r.status == 403 else None)
    page.goto(f"{url}/chat/pokemon")
    expect(page.locator(".fb-carousel .fb-card")).to_have_count(3)
    first = _stored_conversation(page)
    welcomes = _bot_bubbles(page).filter(has_text="Welcome to the world of Pokémon!")
    page.wait_for_timeout(1500)  # idle past the token's 1 s

    # A message on an expired token: refused, then a new conversation (a new
    # user, opened with its welcome) and the message sent again, unnoticed.
    with page.expect_response(
        lambda response: response.url.endswith("/messages") and response.status == 403
    ) as refused:
        page.locator(".fb-input").fill("hello?")
        page.locator(".fb-input").press("Enter")
    assert refused.value.json()["code"] == "token_expired"
    expect(_bot_bubbles(page).filter(has_text=SCOLD)).to_have_count(1)
    expect(welcomes).to_have_count(2)
    expect(page.locator(".fb-carousel")).to_have_count(3)
    expect(page.locator(".fb-bubble.fb-user")).to_have_text(["hello?"])
    expect(page.locator(".fb-bubble.fb-user.fb-pending")).to_have_count(0)
    expect(page.locator(".fb-failed, .fb-delivery")).to_have_count(0)
    expect(page.locator(".fb-notice")).to_be_hidden()
    second = _stored_conversation(page)
    assert second["conversationId"] != first["conversationId"]
    assert second["userKey"] != first["userKey"]
    assert second["token"] != first["token"]
    texts = _bot_bubbles(page).evaluate_all("nodes => nodes.map((n) => n.textContent)")
    assert texts.index(SCOLD) > [i for i, t in enumerate(texts) if t == WELCOME][1]
    # One refusal: the expired code sends the widget straight to a new user.
    assert len(refusals) == 1, refusals

    # The event stream refused for an expired token (a reload after a while):
    # a new conversation again, below the stored messages, without a word.
    page.wait_for_timeout(1500)
    with page.expect_response(
        lambda response: "/events?" in response.url and response.status == 403
    ):
        page.reload()
    expect(welcomes).to_have_count(3)
    expect(_bot_bubbles(page).filter(has_text=SCOLD)).to_have_count(1)
    expect(page.locator(".fb-carousel")).to_have_count(4)
    third = _stored_conversation(page)
    assert third["conversationId"] not in (first["conversationId"], second["conversationId"])
    assert third["userKey"] != second["userKey"]
    page.wait_for_function("() => window.Flowbot.instances[0].events?.readyState === 1")
    expect(page.locator(".fb-notice")).to_be_hidden()
    expect(page.locator(".fb-failed, .fb-delivery")).to_have_count(0)
    # The new conversation goes on as usual.
    page.locator(".fb-carousel").last.locator(".fb-card").nth(1).get_by_role(
        "button", name="I choose you!"
    ).click()
    expect(_bot_bubbles(page).last).to_have_text(CHOSEN)
    # the message's; the stream's, and the widget's fetch that reads the reason
    assert [u.split("?")[0].rsplit("/", 1)[1] for u in refusals] == [
        "messages",
        "events",
        "events",
    ]
    assert blocked == []


# --- the bot's language: a Korean bot on a phone, Korean and English interface ---------

PHONE = {
    "viewport": {"width": 375, "height": 667},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# What the widget writes itself (the bot writes the rest), by language.
INTERFACE = {
    "ko": {
        "online": "온라인",
        "reconnecting": "다시 연결하는 중…",
        "restart": "처음부터 다시",
        "messages": "메시지 목록",
        "suggested": "추천 답변",
        "input": "메시지",
        "placeholder": "메시지를 입력하세요…",
        "send": "보내기",
        "not_delivered": "전송하지 못했습니다.",
        "retry": "다시 시도",
        "open_chat": "채팅 열기: ",
        "close_chat": "채팅 닫기",
    },
    "en": {
        "online": "Online",
        "reconnecting": "Reconnecting…",
        "restart": "Start over",
        "messages": "Messages",
        "suggested": "Suggested replies",
        "input": "Message",
        "placeholder": "Type a message…",
        "send": "Send",
        "not_delivered": "Not delivered.",
        "retry": "Retry",
        "open_chat": "Open chat: ",
        "close_chat": "Close chat",
    },
}
KOREAN_ANSWER = "좋아요! 바로 준비해 드릴게요."

# Where each line of a bubble's text starts: [{before, after, inLink}] for every
# soft line break (the character that ends one line and the one that starts the next).
LINE_BREAKS_JS = """(bubble) => {
    const breaks = [];
    const walker = document.createTreeWalker(bubble, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let top = null;
    let previous = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const inLink = Boolean(node.parentElement.closest("a"));
        for (let i = 0; i < node.data.length; i += 1) {
            if (node.data[i] === "\\n") { top = null; continue; }  // the bot's own line break
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const rects = range.getClientRects();
            if (!rects.length) continue;
            const y = Math.round(rects[0].top);
            if (top !== null && y > top + 2) {
                breaks.push({ before: previous, after: node.data[i], inLink });
            }
            top = y;
            previous = node.data[i];
        }
    }
    return breaks;
}"""

# Every element that holds text, with a scrollWidth wider than its box.
OVERFLOWING_JS = """() => {
    const width = document.documentElement.clientWidth;
    const wide = [];
    for (const node of document.querySelectorAll(
        ".fb-bubble, .fb-text, .fb-quick-reply, .fb-scroll, .fb-messages, .fb-header, .fb-composer"
    )) {
        const box = node.getBoundingClientRect();
        if (node.scrollWidth > node.clientWidth || box.right > width + 0.5 || box.left < -0.5) {
            wide.push(`${node.className}: ${node.scrollWidth} > ${node.clientWidth}`);
        }
    }
    if (document.documentElement.scrollWidth > width) wide.push("the page scrolls sideways");
    return wide;
}"""


@pytest.fixture(scope="module")
def korean_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    """`doumi`, the Korean bot titled 포켓몬 도우미 (and the others of test_chat_page)."""
    server = InProcessServer(korean_settings(tmp_path_factory.mktemp("korean")))
    server.start()
    yield server
    server.stop()


@contextlib.contextmanager
def _context_page(browser: Any, **options: Any) -> Iterator[Any]:
    """A page of its own context (loopback only), failing on JavaScript errors or a blocked URL."""
    blocked: list[str] = []
    context = new_context(browser, blocked, **options)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert blocked == []


def _interface_speaks(page: Any, lang: str, title: str) -> None:
    """The widget's own strings are those of `lang`; the header shows `title`."""
    from playwright.sync_api import expect

    words = INTERFACE[lang]
    expect(page.get_by_test_id("flowbot-title")).to_have_text(title)
    expect(page.locator(".fb-status")).to_have_text(words["online"])
    expect(page.locator(".fb-input")).to_have_attribute("placeholder", words["placeholder"])
    expect(page.get_by_role("button", name=words["send"], exact=True)).to_have_count(1)
    expect(page.get_by_role("button", name=words["restart"], exact=True)).to_have_count(1)
    expect(page.get_by_role("log", name=words["messages"])).to_have_count(1)
    expect(page.get_by_label(words["input"], exact=True)).to_have_count(1)
    expect(page.locator(".fb-panel")).to_have_attribute("aria-label", title)


def _korean_welcome_wraps_between_words(page: Any) -> None:
    """On a phone: no bubble overflows, Korean breaks at spaces only, the long token breaks."""
    from playwright.sync_api import expect

    welcome = _bot_bubbles(page).first
    expect(welcome).to_have_text(KOREAN_WELCOME)
    expect(page.locator(".fb-quick-reply")).to_have_text(["파트너 고르기", "포켓몬 도감 살펴보기"])
    style = welcome.evaluate(
        "e => [getComputedStyle(e).wordBreak, getComputedStyle(e).overflowWrap]"
    )
    assert style == ["keep-all", "anywhere"], style
    for reply in page.locator(".fb-quick-reply").all():
        assert reply.evaluate("e => getComputedStyle(e).wordBreak") == "keep-all"
    assert page.evaluate(OVERFLOWING_JS) == []
    breaks = welcome.evaluate(LINE_BREAKS_JS)
    between_words = [b for b in breaks if b["before"] == " "]
    inside = [b for b in breaks if b["before"] != " "]
    # the sentence takes several lines, each ending at a space, never inside a word…
    assert len([b for b in between_words if not b["inLink"]]) >= 3, breaks
    # …but the unbroken URL-like token, longer than a line, breaks inside (and fits)
    assert inside and all(b["inLink"] for b in inside), breaks
    link = welcome.locator("a.fb-link")
    expect(link).to_have_attribute("href", KOREAN_URL)


def _screenshot(page: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), animations="disabled")
    (ARTIFACTS / name).write_bytes(path.read_bytes())
    return path


def test_a_korean_bot_on_a_phone_with_lang_from_the_query(
    browser: Any, korean_server: InProcessServer, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with _context_page(browser, **PHONE) as page:  # the browser itself speaks English
        with page.expect_request("**/channels/web/doumi/messages") as opened:
            page.goto(f"{korean_server.url}/chat/doumi?lang=ko&trainer=지우")
        # ?lang= steers the widget; it is no param of the conversation
        assert json.loads(opened.value.post_data or "{}")["params"] == {"trainer": "지우"}
        expect(page).to_have_title(KOREAN_TITLE)
        expect(page.locator("html")).to_have_attribute("lang", "ko")
        _interface_speaks(page, "ko", KOREAN_TITLE)
        _korean_welcome_wraps_between_words(page)
        expect(page.get_by_role("group", name=INTERFACE["ko"]["suggested"])).to_be_visible()
        shot = _screenshot(page, tmp_path, "widget-korean-phone.png")
        assert shot.stat().st_size > 10_000


def test_a_korean_bot_on_a_phone_with_lang_from_the_browser(
    browser: Any, korean_server: InProcessServer, tmp_path: Path
) -> None:
    """locale ko-KR, no ?lang=: Korean, down to the delivery errors."""
    from playwright.sync_api import expect

    words = INTERFACE["ko"]
    with _context_page(browser, locale="ko-KR", **PHONE) as page:
        page.goto(f"{korean_server.url}/chat/doumi")
        assert page.evaluate("navigator.language") == "ko-KR"
        expect(page).to_have_title(KOREAN_TITLE)
        expect(page.locator("html")).to_have_attribute("lang", "ko")
        _interface_speaks(page, "ko", KOREAN_TITLE)
        _korean_welcome_wraps_between_words(page)

        # The server is unreachable, then refuses the message: Korean notices.
        answers = {"status": 503}

        def refuse(route: Any) -> None:
            if "text" in json.loads(route.request.post_data or "{}"):
                route.fulfill(status=answers["status"], json={"error": "no"})
            else:
                route.continue_()

        page.route("**/channels/web/doumi/messages", refuse)
        page.locator(".fb-quick-reply").first.click()
        expect(page.locator(".fb-status")).to_have_text(words["reconnecting"])
        expect(page.locator(".fb-notice")).to_have_text(words["reconnecting"])
        answers["status"] = 400
        failed = page.get_by_test_id("flowbot-failed")
        expect(failed).to_have_text(words["not_delivered"] + words["retry"])
        expect(page.locator(".fb-status")).to_have_text(words["online"])
        expect(page.locator(".fb-notice")).to_be_hidden()
        _screenshot(page, tmp_path, "widget-korean-phone-failed.png")
        page.unroute("**/channels/web/doumi/messages")
        failed.get_by_role("button", name=words["retry"]).click()
        expect(_bot_bubbles(page).last).to_have_text(KOREAN_ANSWER)
        expect(page.locator(".fb-bubble.fb-user")).to_have_text(["파트너 고르기"])
        assert page.evaluate(OVERFLOWING_JS) == []


def test_english_on_the_chat_page_of_a_korean_bot(
    browser: Any, korean_server: InProcessServer
) -> None:
    """?lang=en beats a Korean browser; ?title= renames the page, as text."""
    from playwright.sync_api import expect

    with _context_page(browser, locale="ko-KR", **PHONE) as page:
        page.goto(f"{korean_server.url}/chat/doumi?lang=en")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page).to_have_title(KOREAN_TITLE)  # the bot's title is bot data, not translated
        _interface_speaks(page, "en", KOREAN_TITLE)
        # the bot's Korean still wraps between words
        _korean_welcome_wraps_between_words(page)

        title = '<img src=x onerror="window.__owned=1">Oak'
        with page.expect_request("**/channels/web/doumi/messages") as opened:
            page.goto(f"{korean_server.url}/chat/doumi?lang=en&restart=1&title={quote(title)}&x=1")
        assert json.loads(opened.value.post_data or "{}")["params"] == {"x": "1"}
        expect(page).to_have_title(title)
        _interface_speaks(page, "en", title)
        assert page.locator(".fb-root img").count() == 0
        assert page.evaluate("() => window.__owned") is None


def test_embedded_widgets_speak_their_own_language(
    browser: Any, korean_server: InProcessServer, tmp_path: Path
) -> None:
    """data-title and data-lang on the script tag; without data-title, the bot's title."""
    from playwright.sync_api import expect

    url = korean_server.url
    viewport = '<meta name="viewport" content="width=device-width, initial-scale=1">'
    english = f"""<!doctype html><html lang="ko"><head>{viewport}<title>포켓몬 상점</title></head>
        <body><h1>포켓몬 상점</h1>
        <script src="{url}/widget.js" data-bot="doumi" data-title="Professor Oak" data-lang="en">
        </script></body></html>"""
    korean = f"""<!doctype html><html lang="en"><head>{viewport}<title>Poké shop</title></head>
        <body><h1>Poké shop</h1><script src="{url}/widget.js" data-bot="doumi"></script>
        </body></html>"""
    with contextlib.ExitStack() as stack:
        page = stack.enter_context(_context_page(browser, locale="ko-KR", **PHONE))
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))

        # data-title and data-lang win over the bot's title and the Korean browser.
        page.goto(stack.enter_context(_serve_page(english)))
        root = page.get_by_test_id("flowbot")
        expect(root).to_have_attribute("lang", "en")
        expect(page.locator("html")).to_have_attribute("lang", "ko")  # the host page's own
        expect(page).to_have_title("포켓몬 상점")
        launcher = page.get_by_test_id("flowbot-launcher")
        expect(launcher).to_have_attribute(
            "aria-label", INTERFACE["en"]["open_chat"] + "Professor Oak"
        )
        launcher.click()
        _interface_speaks(page, "en", "Professor Oak")
        # the header's close button (the launcher, hidden under the panel on a phone, too)
        expect(page.get_by_test_id("flowbot-close")).to_have_attribute(
            "aria-label", INTERFACE["en"]["close_chat"]
        )
        expect(launcher).to_have_attribute("aria-label", INTERFACE["en"]["close_chat"])
        _korean_welcome_wraps_between_words(page)
        _screenshot(page, tmp_path, "widget-embed-english-phone.png")
        assert not [u for u in requests if u.endswith("/info")]  # the title was given

        # No data-title: the bot's own title, asked from the server; the browser's Korean.
        # The host page's ?title= and ?lang= are its own: params, as before.
        requests.clear()
        with page.expect_response("**/chat/doumi/info") as info:
            page.goto(f"{stack.enter_context(_serve_page(korean))}/shop?title=Shop&lang=en")
        assert info.value.json() == {"id": "doumi", "title": KOREAN_TITLE}
        expect(root).to_have_attribute("lang", "ko")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page).to_have_title("Poké shop")
        expect(launcher).to_have_attribute(
            "aria-label", INTERFACE["ko"]["open_chat"] + KOREAN_TITLE
        )
        # nothing opened on the server before the visitor opens the chat
        assert not [u for u in requests if "/channels/web/" in u]
        with page.expect_request("**/channels/web/doumi/messages") as opened:
            launcher.click()
        assert json.loads(opened.value.post_data or "{}")["params"] == {
            "title": "Shop",
            "lang": "en",
        }
        _interface_speaks(page, "ko", KOREAN_TITLE)
        _korean_welcome_wraps_between_words(page)
