"""`back`: pop, drop or clear the back stack of screens (SPEC §4.5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowbot.engine import backstack
from flowbot.engine.compiling import NodeCompiler
from flowbot.engine.errors import TurnError
from flowbot.engine.nodes.base import NodeHandler, NodeOutcome
from flowbot.format.models import AnyNode, BackNode

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledNode
    from flowbot.engine.run import Run

__all__ = ["BackHandler", "BackOperation"]


class BackOperation:
    __slots__ = ("count", "operation")

    def __init__(self, operation: str, count: int) -> None:
        self.operation = operation
        self.count = count


class BackHandler(NodeHandler):
    type = "back"

    def compile(self, node: AnyNode, compiler: NodeCompiler) -> BackOperation:
        assert isinstance(node, BackNode)
        count = 1 if node.data.count is None else node.data.count
        if count < 1 and node.data.operation != "clear":
            compiler.error("data.count", f"count must be 1 or more, not {count}")
        return BackOperation(node.data.operation, count)

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        data: BackOperation = node.data
        if data.operation == "clear":
            run.back_stack = ()
            run.screen_on_top = False
            return NodeOutcome("next", detail={"operation": "clear"})
        if data.operation == "drop":
            run.back_stack, removed = backstack.drop(run.back_stack, data.count, run.push_consumed)
            run.push_consumed = True
            if removed:
                run.screen_on_top = False
            return NodeOutcome("next", detail={"operation": "drop", "count": data.count})
        position, run.back_stack = backstack.pop(run.back_stack, run.screen_on_top, data.count)
        run.screen_on_top = False
        target = None if position is None else run.program.node(*position)
        if target is None:
            # past the bottom, or a screen whose node the bot no longer has
            target = run.program.start_flow.entry
            if target is None:
                raise TurnError("the start flow has no entry node")
        run.start_run(target)
        return NodeOutcome(
            "jump",
            target=target,
            detail={"operation": "pop", "count": data.count, "to": [target.flow.id, target.id]},
        )
