"""Node types of CLOSER's guide that flowbot loads but does not run.

`nlp` (an external agent: Dialogflow, Watson), `chitchat` (PINGPONG small
talk), `email` and `gsheet` (Google Sheets) load and export unchanged, and
`flowbot validate` warns about each (`flowbot.format.node_checks`). A turn
that reaches one fails like a failing node: the user gets the error system
message, `{{error}}` and the trace name the node, the position is cleared, and
the next message starts afresh. A builder calls such a service from a `fetch`
or `sandbox` node instead, as CLOSER's guide itself suggests for `nlp` and
`chitchat`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowbot.engine.errors import TurnError
from flowbot.engine.nodes.base import NodeHandler, NodeOutcome
from flowbot.format.problems import unsupported_node_message

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledNode
    from flowbot.engine.run import Run

__all__ = ["UnsupportedHandler"]


class UnsupportedHandler(NodeHandler):
    """One handler for every type in `flowbot.format.models.UNSUPPORTED_NODE_TYPES`."""

    type = "unsupported"

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        raise TurnError(unsupported_node_message(node.type))
