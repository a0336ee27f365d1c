"""The studio in a real chromium against a real `flowbot serve`.

Needs Debian's chromium (`make browser`) and the built studio (`make studio`);
FLOWBOT_SKIP_BROWSER=1 skips, as for the widget's browser tests. Every request
to a host other than 127.0.0.1 is aborted. Screenshots go to test-artifacts/.

- from an empty bot, the Pokémon scenario built by mouse and keyboard (a
  carousel of three cards with JSON payloads, a keyboard node, edges on
  message.payload.pokemon drawn from the card buttons), played in the preview
  with the inspector, saved, reloaded, exported: the export validates and plays
  through `flowbot chat --jsonl`;
- a CLOSER export: one message changed and saved changes one line of the file;
- a 300-node flow: drag latency and frame times (printed), and a 1,000-flow
  bot's flow list.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from server.browsing import ARTIFACTS, WAIT_MS, free_port, launched_chromium, new_context

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
STUDIO_INDEX = ROOT / "src" / "flowbot" / "server" / "static" / "studio" / "index.html"
CLOSER_EXPORTS = ROOT.parent / "shared" / "closer-exports"
CLOSER_EXPORTS = CLOSER_EXPORTS if CLOSER_EXPORTS.exists() else Path("/work/shared/closer-exports")
API_KEY = "studio-test-key"
POKEMON = ["Bulbasaur", "Charmander", "Squirtle"]

EMPTY_BOT = {
    "title": "Starter",
    "flows": [
        {
            "id": 1,
            "title": "Main",
            "nodes": [
                {
                    "id": 1,
                    "type": "entry",
                    "data": {},
                    "next": [],
                    "meta": {"design": {"x": 24, "y": 24}},
                }
            ],
        }
    ],
    "preference": {"entryFlowId": 1},
}


def big_bot(flows: int = 1000, nodes: int = 300) -> dict[str, Any]:
    """Flow 1: `nodes` nodes in a grid, chained, with cross edges; then `flows - 1` small flows."""
    first = []
    for i in range(1, nodes + 1):
        node: dict[str, Any] = {
            "id": i,
            "type": "entry" if i == 1 else "response",
            "label": f"node {i}",
            "data": {} if i == 1 else {"message": {"type": "text", "text": f"Message number {i}"}},
            "next": ([{"nodeId": i + 1}] if i < nodes else [])
            + (
                [{"nodeId": (i * 7) % nodes + 1, "where": {"message": {"equals": f"go {i}"}}}]
                if i % 3 == 0
                else []
            ),
            "meta": {"design": {"x": 24 + (i % 20) * 280, "y": 24 + (i // 20) * 160}},
        }
        first.append(node)
    small = [
        {
            "id": f,
            "title": f"Flow number {f}",
            "nodes": [
                {"id": 1, "type": "entry", "data": {}, "next": [{"nodeId": 2}]},
                {
                    "id": 2,
                    "type": "response",
                    "data": {"message": {"type": "text", "text": f"flow {f}"}},
                },
            ],
        }
        for f in range(2, flows + 1)
    ]
    return {
        "title": "Big",
        "flows": [{"id": 1, "title": "Huge flow", "nodes": first}, *small],
        "preference": {"entryFlowId": 1},
    }


class Served:
    def __init__(self, folder: Path, targets: list[Path]) -> None:
        self.port = free_port()
        self.folder = folder
        log = (folder / "server.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flowbot.cli",
                "serve",
                *map(str, targets),
                "--port",
                str(self.port),
                "--db",
                f"sqlite:///{folder / 'studio.db'}",
            ],
            cwd=ROOT,
            env=dict(os.environ, FLOWBOT_API_KEY=API_KEY),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"flowbot serve exited:\n{(folder / 'server.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail("flowbot serve did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.url}{path}",
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=30,
            **kwargs,
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not STUDIO_INDEX.exists() and os.environ.get("FLOWBOT_SKIP_BROWSER") != "1":
        pytest.fail(f"{STUDIO_INDEX} is missing: run `make studio`")
    yield from launched_chromium("studio")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("studio")
    (folder / "starter.json").write_text(json.dumps(EMPTY_BOT, indent=2))
    shutil.copytree(ROOT / "examples" / "pokemon.media", folder / "starter.media")
    (folder / "big.json").write_text(json.dumps(big_bot()))
    targets = [folder / "starter.json", folder / "big.json"]
    closer = CLOSER_EXPORTS / "pokemon-starter.flow.json"
    if closer.exists():
        shutil.copyfile(closer, folder / "closer.flow.json")  # writable (shared/ is not)
        targets.append(folder / "closer.flow.json")
    served = Served(folder, targets)
    yield served
    served.stop()


@pytest.fixture
def page(browser: Any, server: Served) -> Iterator[Any]:
    blocked: list[str] = []
    context = new_context(
        browser, blocked, viewport={"width": 1500, "height": 950}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.blocked = blocked
    yield page
    context.close()
    assert not errors, errors


def login(page: Any, server: Served, path: str = "/studio") -> None:
    page.goto(f"{server.url}{path}")
    page.get_by_test_id("login-key").fill(API_KEY)
    page.get_by_test_id("login-submit").click()


def node(page: Any, node_id: int | str) -> Any:
    return page.locator(f'[data-testid="studio-node"][data-node-id="{node_id}"]')


def center(locator: Any) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag_edge(page: Any, source: int, handle: str, target: int) -> None:
    """Draws an edge with the mouse: from a source handle to the target node's handle."""
    start = node(page, source).locator(f'.react-flow__handle[data-handleid="{handle}"]')
    end = node(page, target).locator(".react-flow__handle.target")
    x0, y0 = center(start)
    x1, y1 = center(end)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)
    page.mouse.up()


def add_node(page: Any, kind: str) -> None:
    page.get_by_test_id(f"add-{kind}").click()
    page.get_by_test_id("node-form").wait_for()


def tidy(page: Any) -> None:
    page.get_by_test_id("tidy").click()
    page.wait_for_timeout(450)


def saved_bot(server: Served, bot_id: str) -> dict[str, Any]:
    response = server.api("GET", f"/api/bots/{bot_id}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_build_the_pokemon_scenario_play_save_reload_export(
    page: Any, server: Served, tmp_path: Path
) -> None:
    login(page, server)
    page.get_by_test_id("bot-link").filter(has_text="Starter").click()
    page.wait_for_url("**/studio/starter/flows/1")
    node(page, 1).wait_for()

    # 2: the welcome text
    add_node(page, "response")
    page.get_by_test_id("field-label").fill("Welcome")
    page.get_by_test_id("field-text").fill("Welcome to the world of Pokémon!")
    drag_edge(page, 1, "out", 2)
    tidy(page)

    # 3: the carousel of three cards, each with a JSON payload
    add_node(page, "response")
    page.get_by_test_id("field-label").fill("The three starters")
    page.get_by_test_id("message-type").select_option("cards")
    page.get_by_test_id("add-card").click()
    page.get_by_test_id("add-card").click()
    for i, name in enumerate(POKEMON):
        page.get_by_test_id(f"card-{i}-title").fill(name)
        page.get_by_test_id(f"card-{i}-image").fill(f"/media/starter/{name.lower()}.svg")
        page.get_by_test_id(f"card-{i}-add-button").click()
        page.get_by_test_id(f"card-{i}-button-0-label").fill("I choose you!")
        page.get_by_test_id(f"card-{i}-button-0-payload").fill(json.dumps({"pokemon": name}))
    drag_edge(page, 2, "out", 3)
    tidy(page)

    # 4: the keyboard node that waits for the click
    add_node(page, "keyboard")
    page.get_by_test_id("field-label").fill("Wait for the pick")
    drag_edge(page, 3, "out", 4)
    tidy(page)

    # 5: the answer, from each card's button
    add_node(page, "response")
    page.get_by_test_id("field-label").fill("Congratulate")
    page.get_by_test_id("field-text").fill("{{message.payload.pokemon}}! An excellent choice.")
    tidy(page)
    for i in range(3):
        drag_edge(page, 3, f"card-{i}-btn-0", 5)
    page.wait_for_timeout(300)
    assert page.locator(".react-flow__edge").count() == 6
    tidy(page)

    # a template error shows line:column while typing
    node(page, 5).locator(".sn-head").click()
    page.get_by_test_id("field-text").fill("{{message.payload.pokemon")
    error = page.get_by_test_id("template-error")
    error.wait_for()
    assert ":" in error.inner_text()
    page.keyboard.press("Escape")
    page.get_by_test_id("field-text").fill("{{message.payload.pokemon}}! An excellent choice.")
    error.wait_for(state="detached")
    page.screenshot(path=str(ARTIFACTS / "studio-node-form.png"))

    # undo / redo of an edit on the canvas (Ctrl+Z outside text fields)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Control+z")
    assert page.get_by_test_id("redo").is_enabled()
    page.keyboard.press("Control+Shift+z")

    # play it in the preview (the draft)
    page.get_by_test_id("tab-preview").click()
    page.get_by_test_id("preview-start").click()
    preview = page.get_by_test_id("preview")
    preview.locator(".fb-text", has_text="Welcome to the world of Pokémon!").wait_for()
    assert preview.locator(".fb-carousel .fb-card").count() == 3
    preview.locator(".fb-card").nth(1).get_by_text("I choose you!").click()
    preview.locator(".fb-text", has_text="Charmander! An excellent choice.").wait_for()
    inspector = page.get_by_test_id("inspector")
    chosen = inspector.locator('[data-testid="inspector-edge"].chosen')
    assert chosen.count() >= 1
    assert "message.payload.pokemon" in inspector.inner_text()
    assert "Charmander" in inspector.inner_text()
    assert page.locator(".sn-highlighted").count() >= 2
    page.screenshot(path=str(ARTIFACTS / "studio-inspector.png"))

    # save, and the server has the scenario
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("dirty")).to_have_attribute("data-state", "saved")
    bot = saved_bot(server, "starter")
    nodes = {n["id"]: n for n in bot["flows"][0]["nodes"]}
    assert [n["type"] for n in nodes.values()] == [
        "entry",
        "response",
        "response",
        "keyboard",
        "response",
    ]
    cards = nodes[3]["data"]["message"]["cards"]
    assert [c["buttons"][0]["payload"] for c in cards] == [
        json.dumps({"pokemon": n}) for n in POKEMON
    ]
    wheres = [e.get("where") for e in nodes[4]["next"]]
    assert wheres == [{"message.payload.pokemon": {"equals": n}} for n in POKEMON]
    assert all("design" in n["meta"] for n in nodes.values())

    # reload: nothing lost
    page.reload()
    node(page, 5).wait_for()
    assert page.locator(".react-flow__edge").count() == 6
    assert node(page, 3).get_by_text("Charmander", exact=True).count() == 1
    page.screenshot(path=str(ARTIFACTS / "studio-canvas.png"))

    # the same canvas in Korean (?lang=ko): CLOSER's node names, the fanned-out edges
    page.goto(f"{server.url}/studio/starter/flows/1?lang=ko")
    node(page, 5).wait_for()
    expect(page.get_by_test_id("save")).to_have_text("저장")
    expect(node(page, 4).locator(".sn-type")).to_have_text("사용자 입력 요청")
    assert page.locator(".react-flow__edge").count() == 6
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "studio-canvas-ko.png"))

    # export: it validates, and it plays through `flowbot chat --jsonl`
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    exported = tmp_path / "starter.json"
    download.value.save_as(exported)
    shutil.copytree(ROOT / "examples" / "pokemon.media", tmp_path / "starter.media")
    checked = subprocess.run(
        [sys.executable, "-m", "flowbot.cli", "validate", str(exported)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = [
        {"user": "u1", "event": "open"},
        {"user": "u1", "text": "I choose you!", "payload": json.dumps({"pokemon": "Squirtle"})},
    ]
    chat = subprocess.run(
        [sys.executable, "-m", "flowbot.cli", "chat", str(exported), "--jsonl"],
        input="".join(json.dumps(line) + "\n" for line in lines),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert chat.returncode == 0, chat.stderr
    answers = [json.loads(line) for line in chat.stdout.splitlines()]
    assert "Squirtle! An excellent choice." in json.dumps(answers[1], ensure_ascii=False)

    # statistics: two real conversations on the web channel, then the view
    for user, pick in (("s1", "Bulbasaur"), ("s2", "Charmander")):
        first = httpx.post(
            f"{server.url}/channels/web/starter/messages",
            json={"userKey": user, "text": "hi"},
            timeout=10,
        )
        assert first.status_code == 200, first.text
        token = first.json()["token"]
        httpx.post(
            f"{server.url}/channels/web/starter/messages",
            json={
                "userKey": user,
                "text": "I choose you!",
                "payload": json.dumps({"pokemon": pick}),
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
    page.get_by_test_id("tab-stats").click()
    page.get_by_test_id("stats-chart").wait_for()
    page.get_by_test_id("node-stats").first.wait_for()
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "studio-statistics.png"))
    # the bot's images are its own: the studio asked no other host for anything
    assert not page.blocked, page.blocked


def test_a_closer_export_changed_by_one_message_changes_one_line(page: Any, server: Served) -> None:
    source = server.folder / "closer.flow.json"
    if not source.exists():
        pytest.skip("no CLOSER exports here (shared/closer-exports is absent)")
    before = source.read_text()
    login(page, server, "/studio/closer/flows/1")
    node(page, 3).locator(".sn-head").click()
    text = page.get_by_test_id("field-text")
    text.fill(text.input_value().replace("환영한단다", "환영한다"))
    expect(page.get_by_test_id("dirty")).to_have_attribute("data-state", "dirty")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("dirty")).to_have_attribute("data-state", "saved")
    after = source.read_text()
    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    # what the studio sent: exactly that one text changed, nothing else (same JSON otherwise)
    expected = json.loads(before)
    expected["nodes"][2]["data"]["message"]["text"] = expected["nodes"][2]["data"]["message"][
        "text"
    ].replace("환영한단다", "환영한다")
    assert json.loads(after) == expected
    print(f"\nCLOSER export: {len(changed)} changed lines in the file")
    # the write keeps the file's key order and its (missing) last newline
    assert len(changed) == 2, changed
    assert "환영한단다" in changed[0] and "환영한다" in changed[1]


def test_a_300_node_flow_stays_smooth_and_1000_flows_list_fast(page: Any, server: Served) -> None:
    login(page, server, "/studio")
    started = time.monotonic()
    page.get_by_test_id("bot-link").filter(has_text="Big").click()
    page.get_by_test_id("flow-row").first.wait_for()
    list_ms = (time.monotonic() - started) * 1000
    rows = page.get_by_test_id("flow-row").count()
    node(page, 2).wait_for()
    page.wait_for_timeout(500)
    # zoom in so that a node is big enough to grab, then drag it in 30 steps while
    # sampling the frame times with requestAnimationFrame
    page.evaluate(
        """() => { window.__frames = []; let last = performance.now();
        const tick = (t) => {
            window.__frames.push(t - last); last = t; window.__raf = requestAnimationFrame(tick);
        };
        window.__raf = requestAnimationFrame(tick); }"""
    )
    target = node(page, 2).locator(".sn-head")
    x, y = center(target)
    latencies = []
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 31):
        t0 = time.perf_counter()
        page.mouse.move(x + step * 6, y + step * 3)
        page.evaluate("() => new Promise((r) => requestAnimationFrame(() => r(0)))")
        latencies.append((time.perf_counter() - t0) * 1000)
    page.mouse.up()
    frames = page.evaluate(
        "() => { cancelAnimationFrame(window.__raf); return window.__frames.slice(1); }"
    )
    drawn = page.locator(".react-flow__node").count()
    median = statistics.median(latencies)
    p95 = sorted(latencies)[int(len(latencies) * 0.95) - 1]
    frame_median = statistics.median(frames)
    frame_p95 = sorted(frames)[int(len(frames) * 0.95) - 1]
    print(
        f"\n300-node flow ({drawn} nodes in the DOM): drag step latency median {median:.1f} ms,"
        f" p95 {p95:.1f} ms; frame time median {frame_median:.1f} ms, p95 {frame_p95:.1f} ms;"
        f"frame time median {frame_median:.1f} ms, p95 {frame_p95:.1f} ms; "
        f"1,000-flow list shown in {list_ms:.0f} ms ({rows} rows rendered)"
    )
    bot = saved_bot(server, "big")
    assert len(bot["flows"]) == 1000
    assert list_ms < 5000  # the whole page: login to list, bot JSON of 1,000 flows included
    assert rows < 100  # virtualised
    assert median < 100, latencies
