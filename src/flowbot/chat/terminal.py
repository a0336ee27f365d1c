"""The interactive terminal chat (`flowbot chat BOT`).

`ChatSession.handle_line` is the seam: it takes one line the user typed and
returns the Rich renderables to print, so tests drive it without a terminal.
Buttons and quick replies are numbered with one running counter for the whole
session, so an old button keeps its number and stays clickable (SPEC §3);
a quick reply's number works only while it is offered.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, RenderableType
from rich.text import Text

from flowbot.chat.clicks import Clickable, ClickError
from flowbot.chat.conversation import Conversation
from flowbot.chat.render import render_replies, render_state, render_trace
from flowbot.engine import Ports, Program, TurnResult

__all__ = ["HELP", "ChatSession", "run_terminal"]

HELP = """\
Type a message and press Enter. Type a button's number to click it.
  /payload {...}   send a raw postback payload (any string; JSON is parsed by the bot)
  /say TEXT        send TEXT as typed, even if it is a button number
  /restart         start a new conversation
  /state           show navigation and params
  /trace           show the trace of the last turn
  /help            this help
  /quit            leave"""


class ChatSession:
    def __init__(
        self,
        program: Program,
        *,
        user: str = "terminal",
        ports: Ports | None = None,
        initial_params: dict[str, Any] | None = None,
    ):
        # initial params (`--param`) start the conversation, and each /restart
        self.conversation = Conversation(program, user, ports=ports, initial_params=initial_params)
        self.numbered: dict[int, Clickable] = {}
        self.done = False

    def number(self, clickable: Clickable) -> int:
        key = len(self.numbered) + 1
        self.numbered[key] = clickable
        return key

    async def start(self) -> list[RenderableType]:
        """Open the conversation (the welcome)."""
        return self.show(await self.conversation.open())

    async def handle_line(self, line: str) -> list[RenderableType]:
        text = line.strip()
        if not text:
            return []
        if text.startswith("/"):
            return await self.command(text)
        if text.isdigit() and int(text) in self.numbered:
            return await self.click(self.numbered[int(text)])
        return self.show(await self.conversation.say(text))

    async def command(self, text: str) -> list[RenderableType]:
        name, _, argument = text.partition(" ")
        argument = argument.strip()
        if name in ("/quit", "/exit"):
            self.done = True
            return [Text("bye", style="dim")]
        if name == "/help":
            return [Text(HELP)]
        if name == "/restart":
            self.conversation.restart()
            self.numbered.clear()
            return [Text("— new conversation —", style="dim"), *await self.start()]
        if name == "/state":
            return [render_state(self.conversation.navigation, self.conversation.params)]
        if name == "/trace":
            result = self.conversation.last_result
            if result is None:
                return [Text("no turn yet", style="dim")]
            return [render_trace([step.to_json() for step in result.trace])]
        if name == "/payload":
            if not argument:
                return [error_text('usage: /payload {"key": "value"}')]
            return self.show(await self.conversation.post(argument))
        if name == "/say":
            return self.show(await self.conversation.say(argument))
        return [error_text(f"unknown command {name}; /help lists them")]

    async def click(self, clickable: Clickable) -> list[RenderableType]:
        try:
            result = await self.conversation.press(clickable)
        except ClickError as exc:
            return [error_text(str(exc))]
        echo = Text(f"» {clickable.label}", style="dim")
        return [echo, *self.show(result)]

    def show(self, result: TurnResult) -> list[RenderableType]:
        shown = render_replies(result.replies, result.quick_replies, self.number)
        if result.error:
            shown.append(error_text(f"turn error: {result.error}"))
        return shown


def error_text(message: str) -> Text:
    return Text(message, style="bold red")


async def run_terminal(session: ChatSession, console: Console, title: Any) -> None:
    console.rule(f"[bold]{title or 'flowbot'}[/] — /help for commands")
    for renderable in await session.start():
        console.print(renderable)
    while not session.done:
        try:
            line = console.input("[bold yellow]you›[/] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            break
        for renderable in await session.handle_line(line):
            console.print(renderable)
