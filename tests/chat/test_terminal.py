from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from rich.console import Console, RenderableType

from flowbot.chat import ChatSession, load_chat_program
from flowbot.chat.render import render_message

from .support import EXAMPLES


def shown(renderables: list[RenderableType]) -> str:
    console = Console(file=io.StringIO(), width=140, record=True, color_system=None)
    for renderable in renderables:
        console.print(renderable)
    return console.export_text()


def session(bot: Path) -> ChatSession:
    return ChatSession(load_chat_program(bot))


async def test_welcome_shows_bubbles_cards_and_numbered_buttons() -> None:
    chat = session(EXAMPLES / "pokemon.yaml")
    screen = shown(await chat.start())
    assert "Welcome to the world of Pokémon!" in screen
    for title in ("Bulbasaur", "Charmander", "Squirtle"):
        assert title in screen
    assert screen.count("🖼 image:") == 3
    assert [f"[{n}] I choose you!" in screen for n in (1, 2, 3)] == [True, True, True]
    # Cards stand side by side: two titles on one line.
    assert any("Bulbasaur" in line and "Charmander" in line for line in screen.splitlines())


def test_a_media_message_is_a_line_with_its_url() -> None:
    message = {
        "type": "media",
        "media": {"uri": "https://example.com/a.png", "contentType": "image"},
    }
    assert (
        shown([render_message(message, lambda _: 0)]).strip()
        == "🖼 image: https://example.com/a.png"
    )


def test_a_location_is_a_line() -> None:
    message = {"type": "location", "label": "Seoul Station", "latitude": 37.55, "longitude": 126.97}
    assert (
        shown([render_message(message, lambda _: 0)]).strip() == "📍 Seoul Station (37.55, 126.97)"
    )


async def test_typing_a_number_clicks_that_button() -> None:
    chat = session(EXAMPLES / "pokemon.yaml")
    await chat.start()
    screen = shown(await chat.handle_line("2"))
    assert "» I choose you!" in screen
    assert "Charmander! An excellent choice." in screen
    state = shown(await chat.handle_line("/state"))
    assert '"partner": "Charmander"' in state
    assert "null" in state  # navigation: the run ended
    # The old first card still clicks, through the fallback flow; its goto button gets number 4.
    late = shown(await chat.handle_line("1"))
    assert "you clicked Bulbasaur, but your partner is already Charmander" in late
    assert "[4] ↪ Start over" in late
    assert "Welcome to the world" in shown(await chat.handle_line("4"))


async def test_a_number_without_a_button_is_text_and_say_sends_text() -> None:
    chat = session(EXAMPLES / "pokemon.yaml")
    await chat.start()
    assert "You have not picked a Pokémon yet!" in shown(await chat.handle_line("42"))
    assert "You have not picked a Pokémon yet!" in shown(await chat.handle_line("/say 1"))


async def test_commands(tmp_path: Path) -> None:
    chat = session(EXAMPLES / "pokemon.yaml")
    await chat.start()
    assert "Squirtle! An excellent" in shown(
        await chat.handle_line('/payload {"pokemon": "Squirtle"}')
    )
    trace = shown(await chat.handle_line("/trace"))
    assert "last turn trace" in trace and "parameter" in trace and "Remember the partner" in trace
    restarted = shown(await chat.handle_line("/restart"))
    assert "new conversation" in restarted and "[1] I choose you!" in restarted
    assert "{}" in shown(await chat.handle_line("/state"))
    assert "/payload" in shown(await chat.handle_line("/help"))
    assert "unknown command" in shown(await chat.handle_line("/nope"))
    assert "usage" in shown(await chat.handle_line("/payload"))
    assert await chat.handle_line("   ") == []
    assert not chat.done
    await chat.handle_line("/quit")
    assert chat.done


async def test_links_show_their_url_and_quick_replies_expire(buttons_bot: Path) -> None:
    chat = session(buttons_bot)
    screen = shown(await chat.start())
    # Same(1), Jump(2) in the bubble; Same(3), Plain(4) on cards; QR(5), Bare(6) quick replies.
    assert "🔗 Docs  https://example.com/docs" in screen
    assert "[2] ↪ Jump" in screen
    assert "quick replies: [5] QR   [6] Bare" in screen
    assert "qr=<yes>" in shown(await chat.handle_line("5"))
    assert "no longer offered" in shown(await chat.handle_line("6"))
    assert "Flow two" in shown(await chat.handle_line("2"))


async def test_initial_params_start_the_conversation_and_each_restart(buttons_bot: Path) -> None:
    chat = ChatSession(load_chat_program(buttons_bot), initial_params={"name": "Kim"})
    await chat.start()
    assert "name=<Kim>" in shown(await chat.handle_line("typed"))
    assert '"name": "Kim"' in shown(await chat.handle_line("/state"))
    await chat.handle_line("/restart")
    assert '"name": "Kim"' in shown(await chat.handle_line("/state"))


def test_chat_command_takes_params_in_a_pipe(buttons_bot: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flowbot.cli", "chat", str(buttons_bot), "--param", "name=김"],
        input="typed\n/quit\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "echo text=<typed> n=<> qr=<> name=<김>" in done.stdout


def test_chat_command_runs_in_a_pipe() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flowbot.cli", "chat", str(EXAMPLES / "pokemon.yaml")],
        input="3\n/quit\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Squirtle! An excellent choice." in done.stdout
    assert "bye" in done.stdout
