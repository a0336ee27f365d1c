"""`entry`: the start of a flow; it only branches through its edges."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowbot.engine.nodes.base import NEXT, NodeHandler, NodeOutcome

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledNode
    from flowbot.engine.run import Run

__all__ = ["EntryHandler"]


class EntryHandler(NodeHandler):
    type = "entry"

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        return NEXT
