"""The pure conversation engine: (program, state, message) → (state, replies, trace).

It does no I/O of its own: HTTP and scripts go through the injected `Ports`.
"""

from __future__ import annotations

from flowbot.engine.context import PAYLOAD_LIMIT, message_context, parse_payload
from flowbot.engine.errors import TurnError
from flowbot.engine.messages import GotoTarget, InboundMessage, MessageType
from flowbot.engine.ports import (
    HttpPort,
    HttpRequest,
    HttpResponse,
    Ports,
    ScriptPort,
    ScriptRequest,
    ScriptResult,
)
from flowbot.engine.program import CompiledFlow, CompiledNode, Program, load_program
from flowbot.engine.state import ConversationState, Position, StateFormatError
from flowbot.engine.trace import TraceStep
from flowbot.engine.turn import MAX_STEPS, TurnResult, run_turn

__all__ = [
    "MAX_STEPS",
    "PAYLOAD_LIMIT",
    "CompiledFlow",
    "CompiledNode",
    "ConversationState",
    "GotoTarget",
    "HttpPort",
    "HttpRequest",
    "HttpResponse",
    "InboundMessage",
    "MessageType",
    "Ports",
    "Position",
    "Program",
    "ScriptPort",
    "ScriptRequest",
    "ScriptResult",
    "StateFormatError",
    "TraceStep",
    "TurnError",
    "TurnResult",
    "load_program",
    "message_context",
    "parse_payload",
    "run_turn",
]
