"""`response`: sends one message, rendered (with array expansion) from its template."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowbot.engine.compiling import NodeCompiler, Renderable, StaticValue, long_payloads
from flowbot.engine.context import PAYLOAD_LIMIT
from flowbot.engine.errors import TurnError
from flowbot.engine.nodes.base import NodeHandler, NodeOutcome
from flowbot.format.models import AnyNode, ResponseNode

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledNode
    from flowbot.engine.run import Run

__all__ = ["ResponseHandler", "message_long_payloads"]


def message_long_payloads(message: Any) -> list[tuple[str, int]]:
    """Payloads over the limit in a message's buttons and its cards' buttons."""
    if not isinstance(message, dict):
        return []
    found = long_payloads(message.get("buttons"), "buttons")
    cards = message.get("cards")
    if isinstance(cards, list):
        for index, card in enumerate(cards):
            if isinstance(card, dict):
                found += long_payloads(card.get("buttons"), f"cards[{index}].buttons")
    return found


def payload_error(where: str, found: list[tuple[str, int]]) -> str:
    path, length = found[0]
    return (
        f"{where} {path} is {length} characters after templating "
        f"(a payload holds at most {PAYLOAD_LIMIT:,})"
    )


class ResponseData:
    __slots__ = ("checks_payloads", "message")

    def __init__(self, message: Renderable, checks_payloads: bool) -> None:
        self.message = message
        self.checks_payloads = checks_payloads


class ResponseHandler(NodeHandler):
    type = "response"

    def compile(self, node: AnyNode, compiler: NodeCompiler) -> ResponseData | None:
        assert isinstance(node, ResponseNode)
        source = node.data.message.model_dump(mode="json", exclude_unset=True)
        message = compiler.value(source, "data.message")
        if message is None:
            return None
        if isinstance(message, StaticValue):
            for path, length in message_long_payloads(source):
                compiler.error(
                    f"data.message.{path}",
                    f"payload is {length} characters (a payload holds at most {PAYLOAD_LIMIT:,})",
                )
            return ResponseData(message, checks_payloads=False)
        return ResponseData(message, checks_payloads=True)

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        data: ResponseData = node.data
        message = data.message.render(run.context)
        if data.checks_payloads:
            found = message_long_payloads(message)
            if found:
                raise TurnError(payload_error("the message's", found))
        run.replies.append(message)
        return NodeOutcome("next", detail=message)
