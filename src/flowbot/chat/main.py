"""`flowbot chat BOT [--jsonl]`: load the bot, then chat in the terminal or over JSON lines."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path

from rich.console import Console

from flowbot.chat.conversation import load_chat_program
from flowbot.chat.jsonl import JsonlChat, serve_jsonl
from flowbot.chat.terminal import ChatSession, run_terminal
from flowbot.engine import Program
from flowbot.format import BotLoadError
from flowbot.integrations.wiring import world_ports

__all__ = ["run_chat"]


def run_chat(bot: Path, *, jsonl: bool) -> int:
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
        asyncio.run(_jsonl(program))
        return 0
    asyncio.run(_terminal(program, Console()))
    return 0


async def _jsonl(program: Program) -> None:
    async with world_ports() as ports:
        await serve_jsonl(JsonlChat(program, ports=ports), sys.stdin, sys.stdout)


async def _terminal(program: Program, console: Console) -> None:
    # the bot's fetch nodes and scripts work here as on the server (public hosts only)
    async with world_ports() as ports:
        await run_terminal(ChatSession(program, ports=ports), console, program.bot.title)
