"""What a turn did, node by node, like CLOSER's inspector."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from flowbot.format.models import Id

if TYPE_CHECKING:
    from flowbot.engine.edges import EdgeChoice
    from flowbot.engine.program import CompiledNode

__all__ = ["EdgeObserver", "TracePhase", "TraceStep"]

# Called (when given to run_turn) right after a node chose its edge, with the
# turn's context as it was for the choice: the studio's inspector evaluates
# every edge's conditions there. It must not change the context.
EdgeObserver = Callable[["CompiledNode", "EdgeChoice", Mapping[str, Any]], None]

# "input": the waiting keyboard node choosing an edge for the user's message;
# "run": a node executed in the run; "unseen": a node of the start flow run
# without showing its replies (a message without a session in a bot that
# sends no welcome, see `flowbot.engine.turn._first_question`).
TracePhase = Literal["input", "run", "unseen"]


@dataclass(slots=True)
class TraceStep:
    flow_id: Id
    node_id: Id
    type: str
    label: str | None
    phase: TracePhase = "run"
    data: Any = None  # the node's rendered output (message, quick replies, jump target…)
    edge: EdgeChoice | None = None
    params: dict[str, Any] | None = None  # changes: key → new value, None = deleted
    elapsed_ns: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "flowId": self.flow_id,
            "nodeId": self.node_id,
            "type": self.type,
            "phase": self.phase,
            "elapsedNs": self.elapsed_ns,
        }
        if self.label is not None:
            data["label"] = self.label
        if self.data is not None:
            data["data"] = self.data
        if self.edge is not None:
            data["edge"] = self.edge.to_json()
        if self.params is not None:
            data["params"] = self.params
        if self.error is not None:
            data["error"] = self.error
        return data
