"""`manual`: hand the conversation to a person (CLOSER's 상담원 호출 노드).

The node sends its announcement, marks the conversation as waiting for an
agent (`ConversationState.handoff`), and stops the run there, like a keyboard
node. While the conversation is with a person the bot does not answer: the
turn is *held* (`flowbot.engine.turn`), and the server forwards the user's
messages to the agents. The node's edges are followed only when the user
sends one of its cancel texts before an agent joins, as CLOSER does; an
agent ends the handoff through the JSON API.

Data, as CLOSER exports it and with what flowbot adds:

    {"messages": Message | [Message] | "text",   # the announcement (also "message")
     "cancel": "취소" | ["취소", "cancel"]}       # default: 취소, cancel
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from flowbot.engine.compiling import NodeCompiler, Renderable
from flowbot.engine.errors import TurnError
from flowbot.engine.nodes.base import NodeHandler, NodeOutcome
from flowbot.format.models import AnyNode, ManualNode

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledNode
    from flowbot.engine.run import Run

__all__ = ["DEFAULT_CANCEL", "ManualData", "ManualHandler", "UnknownHandler", "is_cancel"]

DEFAULT_CANCEL: Final = ("취소", "cancel")


class ManualData:
    __slots__ = ("cancel", "messages")

    def __init__(self, messages: list[Renderable], cancel: frozenset[str]) -> None:
        self.messages = messages
        self.cancel = cancel


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def is_cancel(node: CompiledNode, text: Any) -> bool:
    """Whether `text` is one of the manual node's cancel texts (spacing and case aside)."""
    data: ManualData | None = node.data
    return data is not None and isinstance(text, str) and _normal(text) in data.cancel


def _announcement(raw: Any) -> list[Any]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [{"type": "text", "text": raw}]
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list):
        return [
            item if isinstance(item, dict) else {"type": "text", "text": str(item)} for item in raw
        ]
    return []


class ManualHandler(NodeHandler):
    type = "manual"

    def compile(self, node: AnyNode, compiler: NodeCompiler) -> ManualData | None:
        assert isinstance(node, ManualNode)
        extra = node.data.model_extra or {}
        raw = node.data.messages if node.data.messages is not None else extra.get("message")
        messages = []
        for index, message in enumerate(_announcement(raw)):
            compiled = compiler.value(message, f"data.messages[{index}]")
            if compiled is None:
                return None
            messages.append(compiled)
        cancel = extra.get("cancel", DEFAULT_CANCEL)
        texts = [cancel] if isinstance(cancel, str) else cancel
        if not isinstance(texts, list | tuple) or not all(isinstance(t, str) for t in texts):
            compiler.error("data.cancel", "expected a text or a list of texts")
            return None
        return ManualData(messages, frozenset(_normal(text) for text in texts if text.strip()))

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        data: ManualData | None = node.data
        if data is None:
            raise TurnError("the manual node did not compile")
        shown = [message.render(run.context) for message in data.messages]
        run.replies.extend(shown)
        run.handoff = {
            "status": "waiting",
            "flowId": node.flow.id,
            "nodeId": node.id,
            "agent": None,
            "since": run.ports.now().isoformat(timespec="milliseconds"),
        }
        return NodeOutcome("wait", detail={"handoff": "waiting", "messages": shown})


class UnknownHandler(NodeHandler):
    """A node type flowbot does not know; the validator refuses such bots anyway."""

    type = "unknown"

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        raise TurnError(f"unknown node type {node.type!r}")
