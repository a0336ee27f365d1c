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
from flowbot.format import BotLoadError

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
        asyncio.run(serve_jsonl(JsonlChat(program), sys.stdin, sys.stdout))
        return 0
    console = Console()
    asyncio.run(run_terminal(ChatSession(program), console, program.bot.title))
    return 0
