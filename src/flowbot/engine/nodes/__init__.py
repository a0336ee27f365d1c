"""One handler per node type, behind the `NodeHandler` interface."""

from __future__ import annotations

from typing import Final

from flowbot.engine.nodes.back import BackHandler
from flowbot.engine.nodes.base import NEXT, WAIT, NodeHandler, NodeOutcome
from flowbot.engine.nodes.entry import EntryHandler
from flowbot.engine.nodes.fetch import FetchHandler
from flowbot.engine.nodes.flow import FlowHandler
from flowbot.engine.nodes.keyboard import KeyboardHandler, render_quick_replies
from flowbot.engine.nodes.manual import ManualHandler, UnknownHandler
from flowbot.engine.nodes.nlp import NlpHandler
from flowbot.engine.nodes.parameter import ParameterHandler
from flowbot.engine.nodes.response import ResponseHandler
from flowbot.engine.nodes.sandbox import SandboxHandler
from flowbot.engine.nodes.unsupported import UnsupportedHandler
from flowbot.format.models import UNSUPPORTED_NODE_TYPES

__all__ = [
    "HANDLERS",
    "NEXT",
    "WAIT",
    "NodeHandler",
    "NodeOutcome",
    "handler_for",
    "render_quick_replies",
]

HANDLERS: Final[dict[str, NodeHandler]] = {
    **{
        handler.type: handler
        for handler in (
            EntryHandler(),
            ResponseHandler(),
            KeyboardHandler(),
            FlowHandler(),
            ParameterHandler(),
            FetchHandler(),
            SandboxHandler(),
            BackHandler(),
            ManualHandler(),
        )
    },
    # the node types of CLOSER's guide that flowbot loads but does not run
    **dict.fromkeys(UNSUPPORTED_NODE_TYPES, UnsupportedHandler()),
    # nlp with the local engine runs (flowbot.nlp); a cloud engine fails as above
    "nlp": NlpHandler(),
}

_UNKNOWN: Final = UnknownHandler()


def handler_for(node_type: str) -> NodeHandler:
    return HANDLERS.get(node_type, _UNKNOWN)
