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
     "message": {"kakao": Message | "text"},     # what KakaoTalk shows instead
     "cancel": "취소" | ["취소", "cancel"]}       # default: 취소, cancel

On KakaoTalk a skill server cannot reach a person: Kakao i Open Builder
offers consultation only as a message button (`action: "operator"`), which
moves the user to the channel's 1:1 chat or 상담톡, outside flowbot. So
there, as in CLOSER, the node shows `data.message.kakao` (or, without it,
the announcement) with a 상담원 연결 button and ends the run: flowbot's
agents never see the conversation, and the user's next message to the bot
goes to the fallback flow.
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
KAKAO_OPERATOR_LABEL: Final = "상담원 연결"
KAKAO_BUTTONS: Final = 3
KAKAO_OPERATOR_TEXT: Final = "상담원과 대화하시려면 아래 버튼을 눌러 주세요."


class ManualData:
    __slots__ = ("cancel", "kakao", "messages")

    def __init__(
        self,
        messages: list[Renderable],
        cancel: frozenset[str],
        kakao: list[Renderable] | None = None,
    ) -> None:
        self.messages = messages
        self.cancel = cancel
        # what KakaoTalk shows instead, its last message with the consultation button
        self.kakao = kakao if kakao is not None else messages


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
        kakao_raw: Any = None
        message = extra.get("message")
        if isinstance(message, dict) and "kakao" in message:
            kakao_raw = message["kakao"]
            if node.data.messages is None:  # the announcement is `message` itself
                rest = {key: value for key, value in message.items() if key != "kakao"}
                raw = rest if "type" in rest else None
        announcement = _announcement(raw)
        messages = []
        for index, item in enumerate(announcement):
            compiled = compiler.value(item, f"data.messages[{index}]")
            if compiled is None:
                return None
            messages.append(compiled)
        cancel = extra.get("cancel", DEFAULT_CANCEL)
        texts = [cancel] if isinstance(cancel, str) else cancel
        if not isinstance(texts, list | tuple) or not all(isinstance(t, str) for t in texts):
            compiler.error("data.cancel", "expected a text or a list of texts")
            return None
        kakao = _kakao(kakao_raw, announcement, messages, compiler)
        if kakao is None:
            return None
        cancel_texts = frozenset(_normal(text) for text in texts if text.strip())
        return ManualData(messages, cancel_texts, kakao)

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        data: ManualData | None = node.data
        if data is None:
            raise TurnError("the manual node did not compile")
        if run.context.get("platform") == "kakao":
            shown = [message.render(run.context) for message in data.kakao]
            run.replies.extend(shown)
            return NodeOutcome("end", detail={"handoff": "kakao", "messages": shown})
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


def _kakao(
    raw: Any, announcement: list[Any], messages: list[Renderable], compiler: NodeCompiler
) -> list[Renderable] | None:
    """What KakaoTalk shows: `data.message.kakao`, else the announcement, with the button."""
    if raw is not None:
        given = _announcement(raw)
        if len(given) != 1:
            compiler.error("data.message.kakao", "expected one message or a text")
            return None
        compiled = compiler.value(_with_operator(given[0]), "data.message.kakao")
        return None if compiled is None else [compiled]
    last = announcement[-1] if announcement else {"type": "text", "text": KAKAO_OPERATOR_TEXT}
    where = f"data.messages[{max(len(announcement) - 1, 0)}]"
    compiled = compiler.value(_with_operator(last), where)
    return None if compiled is None else [*messages[:-1], compiled]


def _with_operator(message: dict[str, Any]) -> dict[str, Any]:
    """`message` with Kakao's consultation button after its own buttons (a text if need be)."""
    button = {"type": "operator", "label": KAKAO_OPERATOR_LABEL}
    if message.get("type") != "text":
        return {"type": "text", "text": message.get("text") or "", "buttons": [button]}
    buttons = message.get("buttons")
    # Kakao shows 3 buttons on a message: the consultation button is never the one dropped
    kept = list(buttons)[: KAKAO_BUTTONS - 1] if isinstance(buttons, list) else []
    return {**message, "buttons": [*kept, button]}


class UnknownHandler(NodeHandler):
    """A node type flowbot does not know; the validator refuses such bots anyway."""

    type = "unknown"

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        raise TurnError(f"unknown node type {node.type!r}")
