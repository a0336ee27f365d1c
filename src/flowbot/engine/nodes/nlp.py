"""`nlp`: understands the message text with the local engine; the result lands in `nlp`.

`{"engine": "local", …}` (flowbot.nlp.spec) is trained when the bot loads
and fills `nlp` = {intent, score, entities, slots, ranking, answer?, error}
for the node's edges (docs/nlp.md). Any other engine is a cloud agent of
CLOSER's (Dialogflow, Watson) that flowbot does not call: a turn that
reaches it fails like a failing node, with the error system message naming
the engine, as for the other node types of CLOSER's guide (unsupported.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from flowbot.engine.compiling import NodeCompiler
from flowbot.engine.errors import TurnError
from flowbot.engine.nodes.base import NodeHandler, NodeOutcome
from flowbot.format.models import AnyNode
from flowbot.nlp.model import NluModel
from flowbot.nlp.spec import cloud_engine_message, is_local, parse_spec

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledNode
    from flowbot.engine.run import Run

__all__ = ["CloudEngine", "NlpHandler"]


class CloudEngine:
    """The compiled data of a cloud nlp node: only what it fails with."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


class NlpHandler(NodeHandler):
    type = "nlp"

    def compile(self, node: AnyNode, compiler: NodeCompiler) -> NluModel | CloudEngine | None:
        raw = node.data
        data: Any = (
            raw.model_dump(mode="json", by_alias=True, exclude_unset=True)
            if isinstance(raw, BaseModel)
            else raw
        )
        if not is_local(data):
            return CloudEngine(cloud_engine_message(data))
        spec, issues = parse_spec(data)
        errors = [issue for issue in issues if issue.severity == "error"]
        for issue in errors:  # warnings come from `flowbot validate` (node_checks)
            compiler.error(issue.path, issue.message)
        return None if errors else NluModel(spec)

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        model = node.data
        if isinstance(model, CloudEngine):
            raise TurnError(model.message)
        assert isinstance(model, NluModel)
        message = run.context.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        result = model.analyse(text, run.ports.now())
        run.context["nlp"] = result
        return NodeOutcome("next", detail={"nlp": result})
