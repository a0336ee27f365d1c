"""Helpers for the engine tests: build tiny bots inline and talk to them turn by turn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flowbot.engine import (
    ConversationState,
    GotoTarget,
    InboundMessage,
    Ports,
    Program,
    TurnResult,
    load_program,
    run_turn,
)
from flowbot.format.models import Bot

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


def program_of(bot: dict[str, Any]) -> Program:
    return load_program(Bot.model_validate(bot))


def one_flow(*nodes: dict[str, Any], **preference: Any) -> dict[str, Any]:
    """A bot with one flow (id 1) whose entry node is node 1."""
    return {
        "flows": [{"id": 1, "title": "main", "data": {"entry": 1}, "nodes": list(nodes)}],
        "preference": preference,
    }


def node(id: Any, type: str, data: dict[str, Any] | None = None, *next: Any) -> dict[str, Any]:
    """A node; each of `next` is a node id or an edge dict."""
    edges = [edge if isinstance(edge, dict) else {"nodeId": edge} for edge in next]
    return {"id": id, "type": type, "data": data or {}, "next": edges}


def text(id: Any, value: str, *next: Any, **extra: Any) -> dict[str, Any]:
    return node(id, "response", {"message": {"type": "text", "text": value, **extra}}, *next)


def texts(result: TurnResult) -> list[str]:
    return [reply.get("text", f"<{reply['type']}>") for reply in result.replies]


class Chat:
    """One conversation: keeps the state between turns like a store would (JSON round trip)."""

    def __init__(self, program: Program, ports: Ports | None = None) -> None:
        self.program = program
        self.ports = ports
        self.state: ConversationState | None = None
        self.last: TurnResult | None = None

    async def turn(self, message: InboundMessage) -> TurnResult:
        result = await run_turn(self.program, self.state, message, self.ports)
        stored = json.loads(json.dumps(result.state.to_json()))
        self.state = ConversationState.from_json(stored)
        self.last = result
        return result

    async def open(self, **params: Any) -> TurnResult:
        return await self.turn(InboundMessage("c", type="event", event="open", params=params))

    async def say(self, value: str) -> TurnResult:
        return await self.turn(InboundMessage("c", type="text", text=value))

    async def click(self, label: str, payload: str | None = None) -> TurnResult:
        return await self.turn(InboundMessage("c", type="postback", text=label, payload=payload))

    async def goto(self, label: str, flow_id: str, node_id: str | None = None) -> TurnResult:
        target = GotoTarget(flow_id, node_id)
        return await self.turn(InboundMessage("c", type="postback", text=label, goto=target))
