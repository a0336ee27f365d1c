"""`flow`: continues the run at another flow's entry node (or one of its nodes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowbot.engine.compiling import NodeCompiler
from flowbot.engine.errors import TurnError
from flowbot.engine.nodes.base import NodeHandler, NodeOutcome
from flowbot.format.models import AnyNode, FlowNode, Id, id_key
from flowbot.template import Template

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledNode
    from flowbot.engine.run import Run

__all__ = ["FlowHandler", "FlowTarget"]


class FlowTarget:
    """A literal id is kept as its key; a templated one is rendered per visit."""

    __slots__ = ("flow", "node")

    def __init__(self, flow: str | Template, node: str | Template | None) -> None:
        self.flow = flow
        self.node = node


def _compile_id(value: Id, path: str, compiler: NodeCompiler) -> str | Template | None:
    if isinstance(value, str) and "{{" in value:
        return compiler.template(value, path)
    return id_key(value)


class FlowHandler(NodeHandler):
    type = "flow"

    def compile(self, node: AnyNode, compiler: NodeCompiler) -> FlowTarget | None:
        assert isinstance(node, FlowNode)
        flow = _compile_id(node.data.flow_id, "data.flowId", compiler)
        target_node = (
            None
            if node.data.node_id is None
            else _compile_id(node.data.node_id, "data.nodeId", compiler)
        )
        if flow is None or (node.data.node_id is not None and target_node is None):
            return None
        return FlowTarget(flow, target_node)

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        data: FlowTarget = node.data
        flow_key = (
            data.flow if isinstance(data.flow, str) else data.flow.render(run.context).strip()
        )
        flow = run.program.flows.get(flow_key)
        if flow is None:
            raise TurnError(f"unknown flow {flow_key!r}")
        if data.node is None:
            target = flow.entry
            if target is None:
                raise TurnError(f"flow {flow_key!r} has no entry node")
        else:
            node_key = data.node if isinstance(data.node, str) else data.node.render(run.context)
            target = flow.nodes.get(node_key.strip())
            if target is None:
                raise TurnError(f"unknown node {node_key!r} in flow {flow_key!r}")
        return NodeOutcome("jump", target=target, detail={"flowId": flow.id, "nodeId": target.id})
