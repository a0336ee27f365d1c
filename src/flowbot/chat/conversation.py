"""One user's conversation with a bot, kept in memory.

Shared by the terminal chat, the JSON-lines interface and the conversation
tests: it holds the engine state, every button the user has received (so old
buttons stay clickable, SPEC §3) and the quick replies now offered.

Clicking by label picks the NEWEST clickable with that label: the search runs
from the current quick replies back through the replies, newest message
first and, inside one message, from its last button (the rightmost card)
backwards. Quick replies are clickable only while they are the latest ones
offered: the next turn replaces them (or clears them when it offers none).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flowbot.chat.clicks import (
    Clickable,
    ClickError,
    clickables_in,
    inbound_for_click,
    quick_replies_of,
)
from flowbot.engine import (
    ConversationState,
    InboundMessage,
    Ports,
    Program,
    TurnResult,
    load_program,
    run_turn,
)
from flowbot.format import load_bot

__all__ = ["BUTTON_HISTORY", "Conversation", "load_chat_program"]

# Buttons remembered per user; a click on anything older is an unknown label.
BUTTON_HISTORY = 1000


def load_chat_program(path: Path) -> Program:
    """Load a bot file, flow file or folder; raises flowbot.format.BotLoadError."""
    bot = load_bot(path)
    return load_program(bot, bot_id=path.stem.removesuffix(".bot").removesuffix(".flow") or "bot")


class Conversation:
    """`initial_params` start every new conversation, as the widget's query string does;
    the params a message carries win over them."""

    def __init__(
        self,
        program: Program,
        user: str,
        *,
        ports: Ports | None = None,
        initial_params: dict[str, Any] | None = None,
    ) -> None:
        self.program = program
        self.user = user
        self.ports = ports
        self.initial_params = dict(initial_params or {})
        self.state: ConversationState | None = None
        self.buttons: list[Clickable] = []
        self.quick_replies: list[Clickable] = []
        self.last_result: TurnResult | None = None

    # --- what the user sees -----------------------------------------------------

    @property
    def navigation(self) -> dict[str, Any] | None:
        return None if self.state is None else self.state.navigation

    @property
    def params(self) -> dict[str, Any]:
        return {} if self.state is None else dict(self.state.params)

    @property
    def offered_quick_replies(self) -> list[dict[str, Any]]:
        return [] if self.last_result is None else self.last_result.quick_replies

    def find_clickable(self, label: str) -> Clickable:
        """The newest button or current quick reply labelled `label`."""
        for clickable in reversed([*self.buttons, *self.quick_replies]):
            if clickable.label == label:
                return clickable
        raise ClickError(f"no button or quick reply labelled {label!r} has been received")

    # --- what the user does -------------------------------------------------------

    async def open(self, params: dict[str, Any] | None = None) -> TurnResult:
        message = InboundMessage(self.user, type="event", event="open", user_key=self.user)
        return await self.send(message, params)

    async def say(self, text: str, params: dict[str, Any] | None = None) -> TurnResult:
        message = InboundMessage(self.user, type="text", text=text, user_key=self.user)
        return await self.send(message, params)

    async def post(
        self, payload: str, text: str | None = None, params: dict[str, Any] | None = None
    ) -> TurnResult:
        message = InboundMessage(
            self.user, type="postback", text=text, payload=payload, user_key=self.user
        )
        return await self.send(message, params)

    async def click(self, label: str, params: dict[str, Any] | None = None) -> TurnResult:
        return await self.press(self.find_clickable(label), params)

    async def press(self, clickable: Clickable, params: dict[str, Any] | None = None) -> TurnResult:
        """Send the click of one clickable; raises ClickError for links and stale quick replies."""
        if clickable.quick_reply and clickable not in self.quick_replies:
            raise ClickError(f"the quick reply {clickable.label!r} is no longer offered")
        return await self.send(inbound_for_click(clickable, self.user), params)

    def restart(self) -> None:
        """Forget the conversation: the next message starts a new one."""
        self.state = None
        self.buttons.clear()
        self.quick_replies.clear()
        self.last_result = None

    async def send(
        self, message: InboundMessage, params: dict[str, Any] | None = None
    ) -> TurnResult:
        if self.state is None and self.initial_params:
            params = {**self.initial_params, **(params or {})}
        if params:
            # The engine merges them into the params before the turn (initial params when new).
            message.params = dict(params)
        result = await run_turn(self.program, self.state, message, self.ports)
        self.state = result.state
        self.last_result = result
        for reply in result.replies:
            self.buttons.extend(clickables_in(reply))
        del self.buttons[:-BUTTON_HISTORY]
        self.quick_replies = quick_replies_of(result.quick_replies)
        return result
