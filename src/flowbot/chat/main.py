"""`flowbot chat BOT [--jsonl]`: load the bot, then chat in the terminal or over JSON lines."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from flowbot.chat.conversation import load_chat_program
from flowbot.chat.jsonl import JsonlChat, serve_jsonl
from flowbot.chat.terminal import ChatSession, run_terminal
from flowbot.engine import Program
from flowbot.format import BotLoadError
from flowbot.integrations.wiring import world_ports

__all__ = ["run_chat"]


def run_chat(bot: Path, *, jsonl: bool, params: dict[str, Any] | None = None) -> int:
    """Chat until end of input; `params` start every new conversation (`--param`)."""
    try:
        program = load_chat_program(bot)
    except BotLoadError as exc:
        print(f"{bot}: the bot does not load:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{bot}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if jsonl:
        for stream in (sys.stdin, sys.stdout):
            # JSON lines are UTF-8 whatever the locale says.
            if isinstance(stream, io.TextIOWrapper):
                stream.reconfigure(encoding="utf-8")
        asyncio.run(_jsonl(program, params or {}))
        return 0
    asyncio.run(_terminal(program, Console(), params or {}))
    return 0


async def _jsonl(program: Program, params: dict[str, Any]) -> None:
    async with world_ports() as ports:
        chat = JsonlChat(program, ports=ports, initial_params=params)
        await serve_jsonl(chat, sys.stdin, sys.stdout)


async def _terminal(program: Program, console: Console, params: dict[str, Any]) -> None:
    # the bot's fetch nodes and scripts work here as on the server (public hosts only)
    async with world_ports() as ports:
        session = ChatSession(program, ports=ports, initial_params=params)
        await run_terminal(session, console, program.bot.title)
