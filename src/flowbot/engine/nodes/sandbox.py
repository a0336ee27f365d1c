"""`sandbox`: a user script run through the injected `ScriptPort`; result in `sandbox`.

As in CLOSER's guide (사용자 정의 스크립트 노드): the script sees the turn's
context plus `bot` {title, description}; what it returns is
`sandbox.result` (so a returned `custom` is `sandbox.result.custom`); a
returned `params` object sets those params and leaves the others; a returned
`message` {text} is sent as a text message when the node ends. `sandbox`
is {result, error, status}: status `COMPLETED`, or `FAILED` with the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flowbot.engine.compiling import NodeCompiler
from flowbot.engine.errors import TurnError
from flowbot.engine.nodes.base import NodeHandler, NodeOutcome
from flowbot.engine.nodes.parameter import PARAM_KEY
from flowbot.engine.ports import ScriptRequest
from flowbot.format.models import AnyNode, SandboxNode

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledNode
    from flowbot.engine.run import Run

__all__ = ["SandboxHandler", "SandboxSpec"]


class SandboxSpec:
    """The script is code for the runner, never a template."""

    __slots__ = ("runtime", "script")

    def __init__(self, runtime: str, script: str) -> None:
        self.runtime = runtime
        self.script = script


class SandboxHandler(NodeHandler):
    type = "sandbox"

    def compile(self, node: AnyNode, compiler: NodeCompiler) -> SandboxSpec:
        assert isinstance(node, SandboxNode)
        return SandboxSpec(node.data.runtime, node.data.script)

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        script = run.ports.script
        if script is None:
            raise TurnError("sandbox is not available")
        spec: SandboxSpec = node.data
        context = dict(run.context)
        context["params"] = dict(run.params)
        context["bot"] = _bot_info(run)
        request = ScriptRequest(runtime=spec.runtime, script=spec.script, context=context)
        result: dict[str, Any]
        sent: dict[str, Any] | None = None
        try:
            outcome = await script.run(request)
        except Exception as exc:  # a port reports any failure by raising: it becomes data
            result = {"result": None, "error": str(exc) or type(exc).__name__, "status": "FAILED"}
        else:
            result = {"result": outcome.result, "error": None, "status": "COMPLETED"}
            for key, value in (outcome.params or {}).items():
                if not isinstance(key, str) or not PARAM_KEY.fullmatch(key):
                    raise TurnError(f"the sandbox script returned an invalid param key {key!r}")
                run.set_param(key, value)
            text = _message_text(outcome.result)
            if text:
                sent = {"type": "text", "text": text}
                run.replies.append(sent)
        run.context["sandbox"] = result
        failure = None if result["error"] is None else f"sandbox failed: {result['error']}"
        # the trace tells which step sent which reply (flowbot.server.outbound)
        detail = result if sent is None else {**result, "sent": sent}
        return NodeOutcome("next", detail=detail, failure=failure)


def _bot_info(run: Run) -> dict[str, Any]:
    """The script's `context.bot`: the bot's title (else its id) and description."""
    bot = run.program.bot
    description = (bot.model_extra or {}).get("description")
    return {
        "title": bot.title if bot.title else run.program.bot_id,
        "description": description if isinstance(description, str) else None,
    }


def _message_text(result: Any) -> str | None:
    """The text of a returned `message` {text}: plain data, never a template."""
    if not isinstance(result, Mapping):
        return None
    message = result.get("message")
    if not isinstance(message, Mapping):
        return None
    text = message.get("text")
    return text if isinstance(text, str) else None
