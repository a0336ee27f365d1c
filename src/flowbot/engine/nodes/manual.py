"""`manual`: hand-over to a human agent — not supported yet (the turn fails clearly)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowbot.engine.errors import TurnError
from flowbot.engine.nodes.base import NodeHandler, NodeOutcome

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledNode
    from flowbot.engine.run import Run

__all__ = ["ManualHandler", "UnknownHandler"]


class ManualHandler(NodeHandler):
    type = "manual"

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        raise TurnError("manual (human agent) nodes are not supported yet")


class UnknownHandler(NodeHandler):
    """A node type flowbot does not know; the validator refuses such bots anyway."""

    type = "unknown"

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        raise TurnError(f"unknown node type {node.type!r}")
