"""The agent console (/agent) and the widget in a real chromium, against the real app.

A help-desk bot with a manual node runs on uvicorn on 127.0.0.1 with an agent
key. A visitor asks for a person in the chat page; an agent, in a browser
context of their own, sees the conversation come in live, joins, replies and
ends it, moving the visitor to a survey flow; the widget shows the agent's
messages under their name.

Needs Debian's chromium at /usr/bin/chromium, like test_widget_browser.py
(FLOWBOT_SKIP_BROWSER=1 skips). Both contexts abort any request to a host
other than 127.0.0.1, and none may be attempted. Screenshots go to
test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowbot.config import BotSource, Settings

from .browsing import (
    ARTIFACTS,
    WAIT_MS,
    InProcessServer,
    launched_chromium,
    loopback,
    new_context,
)
from .support import HELP_DESK_BOT

pytestmark = pytest.mark.browser

API_KEY = "console-api-key"
AGENT_KEY = "console-agent-key"

WELCOME = "Hi! Type 'agent' to talk to a person."
CALLING = "Calling an agent… (type 취소 to cancel)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium("agent console")


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[InProcessServer]:
    """The help desk on its own server and database, per test."""
    folder = tmp_path
    bot = folder / "desk.yaml"
    bot.write_text(HELP_DESK_BOT, encoding="utf-8")
    server = InProcessServer(
        Settings(
            bots=[BotSource("desk", bot)],
            database=f"sqlite:///{folder / 'flowbot.db'}",
            api_key=API_KEY,
            agent_key=AGENT_KEY,
        )
    )
    server.start()
    yield server
    server.stop()


def _page(context: Any, errors: list[str]) -> Any:
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def _sign_in(console: Any, key: str, name: str | None) -> None:
    console.get_by_test_id("agent-login-key").fill(key)
    if name is not None:
        console.get_by_test_id("agent-login-name").fill(name)
    console.get_by_test_id("agent-login-submit").click()


def _say(chat: Any, text: str) -> None:
    chat.locator(".fb-input").fill(text)
    chat.locator(".fb-input").press("Enter")


def test_an_agent_takes_a_widget_conversation_live(browser: Any, desk: InProcessServer) -> None:
    from playwright.sync_api import expect

    errors: list[str] = []
    blocked: list[str] = []
    requests: list[str] = []
    visitor = new_context(browser, blocked, viewport={"width": 420, "height": 820})
    agents = new_context(browser, blocked, viewport={"width": 1280, "height": 820})
    try:
        console = _page(agents, errors)
        chat = _page(visitor, errors)
        for page in (console, chat):
            page.on("request", lambda request: requests.append(request.url))

        console.goto(f"{desk.url}/agent")
        # A wrong key is refused, and says so.
        _sign_in(console, "not-the-key", "Kim")
        expect(console.get_by_test_id("agent-login-error")).to_contain_text("not accepted (403)")
        _sign_in(console, API_KEY, None)
        expect(console.get_by_test_id("agent-live")).to_have_text("Live")
        expect(console.get_by_test_id("agent-me")).to_have_text("Kim")
        waiting = console.get_by_test_id("agent-waiting").get_by_test_id("agent-item")
        active = console.get_by_test_id("agent-active").get_by_test_id("agent-item")
        expect(waiting).to_have_count(0)
        expect(console.get_by_text("No one is waiting.")).to_be_visible()

        # The visitor asks for a person; the console shows them waiting at once.
        chat.goto(f"{desk.url}/chat/desk")
        bot_bubbles = chat.locator(".fb-bubble.fb-bot")
        expect(bot_bubbles.first).to_have_text(WELCOME)
        _say(chat, "agent")
        expect(bot_bubbles.last).to_have_text(CALLING)
        expect(waiting).to_have_count(1)
        expect(waiting).to_contain_text("Waiting")
        expect(waiting.get_by_test_id("agent-item-time")).to_have_text("just now")
        expect(console.get_by_test_id("agent-waiting-count")).to_have_text("1")
        expect(console).to_have_title("(1) Agents · flowbot")

        waiting.click()
        expect(console.get_by_test_id("agent-detail-status")).to_have_text("Waiting")
        user_said = console.get_by_test_id("agent-user-message").get_by_test_id("agent-bubble")
        expect(user_said.last).to_have_text("agent")
        expect(console.get_by_test_id("agent-bot-message").last).to_contain_text(CALLING)

        # What the visitor writes meanwhile comes in live, shown as text.
        hostile = '<img src=x onerror="window.__owned=1"><b>anyone</b> there?'
        _say(chat, hostile)
        expect(user_said.last).to_have_text(hostile)
        assert console.locator("#transcript img, #transcript b").count() == 0
        assert console.evaluate("() => window.__owned") is None

        # Join: the visitor sees who joined (a notice, not a bubble).
        chat.wait_for_function("() => window.Flowbot.instances[0].events?.readyState === 1")
        chat.wait_for_timeout(300)  # the server subscribes right after sending the headers
        console.get_by_test_id("agent-join").click()
        expect(chat.get_by_test_id("flowbot-event")).to_have_text("Kim joined the conversation")
        expect(console.get_by_test_id("agent-detail-status")).to_have_text("You have it")
        expect(active).to_have_count(1)
        expect(waiting).to_have_count(0)
        expect(console.get_by_test_id("agent-join")).to_be_hidden()

        # The reply (Enter sends) reaches the widget under the agent's name.
        reply = console.get_by_test_id("agent-reply")
        reply.fill("Hi, I am Kim.")
        reply.press("Enter")
        agent_bubble = chat.locator(".fb-bubble.fb-agent")
        expect(agent_bubble).to_have_text("Hi, I am Kim.")
        expect(chat.get_by_test_id("flowbot-agent-name")).to_have_text("Kim")
        expect(chat.get_by_role("group", name="Kim (agent)")).to_have_text("KimHi, I am Kim.")
        expect(reply).to_have_value("")
        expect(console.get_by_test_id("agent-agent-message").last).to_contain_text("Hi, I am Kim.")
        colour = "e => getComputedStyle(e).backgroundColor"
        assert agent_bubble.evaluate(colour) != bot_bubbles.first.evaluate(colour)
        assert bot_bubbles.first.get_attribute("data-agent") is None
        console.screenshot(path=str(ARTIFACTS / "agent-console.png"), animations="disabled")
        chat.screenshot(path=str(ARTIFACTS / "widget-agent.png"), animations="disabled")

        # End, moving the visitor to the survey: the bot speaks again, as the bot.
        console.get_by_test_id("agent-end-flow").select_option(label="move to flow 2 · Survey")
        console.get_by_test_id("agent-end").click()
        expect(bot_bubbles.last).to_have_text("How did we do?")
        expect(chat.locator(".fb-bubble.fb-agent")).to_have_count(1)
        expect(console.get_by_test_id("agent-detail-status")).to_have_text("With the bot")
        expect(console.get_by_test_id("agent-bot-message").last).to_contain_text("How did we do?")
        expect(active).to_have_count(0)
        expect(console.locator("#composer")).to_be_hidden()

        # A reload of the chat page restores the agent's bubble and the notice.
        chat.reload()
        expect(chat.locator(".fb-bubble.fb-agent")).to_have_text("Hi, I am Kim.")
        expect(chat.get_by_test_id("flowbot-event")).to_have_text("Kim joined the conversation")
        expect(chat.locator(".fb-bubble.fb-bot").last).to_have_text("How did we do?")
    finally:
        visitor.close()
        agents.close()
    assert not errors, f"JavaScript errors: {errors}"
    # Everything ran on loopback: nothing else was even attempted.
    assert blocked == []
    assert requests and all(loopback(url) for url in requests), requests


def _ask_for_an_agent(client: httpx.Client, name: str, *more: str) -> str:
    """A web user named `name` (a param) asks for an agent; their conversation's id."""
    user_key = f"visitor-{name.lower()}"
    opened = client.post(
        "/channels/web/desk/messages", json={"userKey": user_key, "params": {"name": name}}
    )
    assert opened.status_code == 200, opened.text
    token = opened.json()["token"]
    for text in ("agent", *more):
        said = client.post(
            "/channels/web/desk/messages",
            json={"userKey": user_key, "text": text},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert said.status_code == 200, said.text
    conversation_id: str = opened.json()["conversationId"]
    return conversation_id


def test_the_agent_key_on_a_phone(browser: Any, desk: InProcessServer) -> None:
    """The agent key (no Move to flow), a phone, two conversations, no event stream, a 409."""
    from playwright.sync_api import expect

    with httpx.Client(base_url=desk.url, timeout=10) as client:
        _ask_for_an_agent(client, "Ana")
        ben = _ask_for_an_agent(client, "Ben", "Ben here, any news?")

    errors: list[str] = []
    blocked: list[str] = []
    streams: list[str] = []
    context = new_context(
        browser,
        blocked,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )

    def no_stream(route: Any) -> None:
        streams.append(route.request.url)
        route.abort("connectionrefused")

    # This console gets no live events: it knows only what it asks for.
    context.route("**/api/handoffs/events?*", no_stream)
    try:
        console = _page(context, errors)
        console.goto(f"{desk.url}/agent")
        _sign_in(console, AGENT_KEY, "Kim")
        items = console.get_by_test_id("agent-waiting").get_by_test_id("agent-item")
        # named by the conversation's params (the order is by the second they asked in)
        expect(items).to_have_count(2)
        names = items.locator(".ag-item-name").all_text_contents()
        assert sorted(names) == ["Ana", "Ben"], names
        expect(console.get_by_test_id("agent-live")).to_have_text("Reconnecting…")
        assert streams and f"key={AGENT_KEY}" in streams[0]
        console.screenshot(path=str(ARTIFACTS / "agent-console-phone.png"), animations="disabled")

        # On a phone a conversation takes the whole screen; Back returns to the list.
        user_said = console.get_by_test_id("agent-user-message").get_by_test_id("agent-bubble")
        items.filter(has_text="Ana").click()
        expect(console.get_by_test_id("agent-waiting")).to_be_hidden()
        expect(console.get_by_test_id("agent-detail-title")).to_have_text("Ana")
        expect(user_said).to_have_text(["agent"])
        console.get_by_role("button", name="Back to the conversations").click()
        items.filter(has_text="Ben").click()
        expect(console.get_by_test_id("agent-detail-title")).to_have_text("Ben")
        expect(user_said).to_have_text(["agent", "Ben here, any news?"])
        expect(console.get_by_test_id("agent-detail-status")).to_have_text("Waiting")
        expect(console.get_by_test_id("agent-join")).to_be_visible()
        # the agent key cannot list the bot's flows: End hands back to the bot only
        expect(console.get_by_test_id("agent-end")).to_be_visible()
        expect(console.get_by_test_id("agent-end-flow")).to_be_hidden()

        # Another agent joins first, unseen here: this Join is refused (409), and says why.
        taken = httpx.post(
            f"{desk.url}/api/conversations/{ben}/handoff/join",
            json={"agent": "Lee"},
            headers={"X-API-Key": AGENT_KEY},
        )
        assert taken.status_code == 200, taken.text
        console.get_by_test_id("agent-join").click()
        expect(console.get_by_test_id("agent-error")).to_have_text(
            "Cannot join: Lee has this conversation already."
        )
        expect(console.get_by_test_id("agent-detail-status")).to_have_text("With Lee")
        expect(console.get_by_test_id("agent-join")).to_be_hidden()
        expect(console.locator("#composer")).to_be_hidden()
        console.screenshot(
            path=str(ARTIFACTS / "agent-console-phone-conversation.png"), animations="disabled"
        )

        console.get_by_role("button", name="Back to the conversations").click()
        expect(console.get_by_test_id("agent-active").get_by_test_id("agent-item")).to_contain_text(
            "Lee"
        )
        expect(items).to_have_count(1)
        # the key stays for the tab (sessionStorage), the name for the browser (localStorage)
        console.reload()
        expect(console.get_by_test_id("agent-me")).to_have_text("Kim")
        expect(items).to_have_count(1)
        console.emulate_media(color_scheme="dark")
        items.click()
        expect(console.get_by_test_id("agent-detail-title")).to_have_text("Ana")
        console.screenshot(
            path=str(ARTIFACTS / "agent-console-phone-dark.png"), animations="disabled"
        )
    finally:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert blocked == []
