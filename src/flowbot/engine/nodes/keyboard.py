"""`keyboard`: stops the run and waits for the user; its `buttons` are quick replies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flowbot.engine.compiling import NodeCompiler, Renderable, StaticValue, long_payloads
from flowbot.engine.context import PAYLOAD_LIMIT
from flowbot.engine.errors import TurnError
from flowbot.engine.nodes.base import NodeHandler, NodeOutcome
from flowbot.engine.nodes.response import payload_error
from flowbot.format.models import AnyNode, KeyboardNode

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledNode
    from flowbot.engine.run import Run

__all__ = ["KeyboardData", "KeyboardHandler", "render_quick_replies"]


class KeyboardData:
    __slots__ = ("buttons", "checks_payloads", "input_type")

    def __init__(self, input_type: str, buttons: Renderable | None, checks_payloads: bool) -> None:
        self.input_type = input_type
        self.buttons = buttons
        self.checks_payloads = checks_payloads


def render_quick_replies(node: CompiledNode, context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The quick replies a keyboard node offers, rendered for `context`."""
    data: KeyboardData | None = node.data
    if data is None or data.buttons is None:
        return []
    buttons: list[dict[str, Any]] = data.buttons.render(context)
    if data.checks_payloads:
        found = long_payloads(buttons, "buttons")
        if found:
            raise TurnError(payload_error("the keyboard's", found))
    return buttons


class KeyboardHandler(NodeHandler):
    type = "keyboard"

    def compile(self, node: AnyNode, compiler: NodeCompiler) -> KeyboardData | None:
        assert isinstance(node, KeyboardNode)
        if not node.data.buttons:
            return KeyboardData(node.data.type, None, checks_payloads=False)
        source = [
            button.model_dump(mode="json", exclude_unset=True) for button in node.data.buttons
        ]
        for button in source:
            button.setdefault("type", "postback")
        buttons = compiler.value(source, "data.buttons")
        if buttons is None:
            return None
        if isinstance(buttons, StaticValue):
            for path, length in long_payloads(source, "buttons"):
                compiler.error(
                    f"data.{path}",
                    f"payload is {length} characters (a payload holds at most {PAYLOAD_LIMIT:,})",
                )
            return KeyboardData(node.data.type, buttons, checks_payloads=False)
        return KeyboardData(node.data.type, buttons, checks_payloads=True)

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        quick_replies = render_quick_replies(node, run.context)
        run.quick_replies = quick_replies
        return NodeOutcome(
            "wait", detail={"quickReplies": quick_replies} if quick_replies else None
        )
