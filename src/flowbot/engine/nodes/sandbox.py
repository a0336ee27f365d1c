"""`sandbox`: a user script run through the injected `ScriptPort`; result in `sandbox`."""

from __future__ import annotations

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
        request = ScriptRequest(runtime=spec.runtime, script=spec.script, context=context)
        result: dict[str, Any]
        try:
            outcome = await script.run(request)
        except Exception as exc:  # a port reports any failure by raising: it becomes data
            result = {"result": None, "error": str(exc) or type(exc).__name__}
        else:
            result = {"result": outcome.result, "error": None}
            for key, value in (outcome.params or {}).items():
                if not isinstance(key, str) or not PARAM_KEY.fullmatch(key):
                    raise TurnError(f"the sandbox script returned an invalid param key {key!r}")
                run.set_param(key, value)
        run.context["sandbox"] = result
        failure = None if result["error"] is None else f"sandbox failed: {result['error']}"
        return NodeOutcome("next", detail=result, failure=failure)
