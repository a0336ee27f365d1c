"""Choosing the next edge (SPEC §4.4) and saying why, for the trace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledEdge
    from flowbot.format.js_regex import RegexClock

__all__ = ["EdgeChoice", "choose_edge"]


class EdgeChoice:
    """The edge taken (None: no edge matched) and the best other edge that held."""

    __slots__ = ("edge", "runner_up", "total")

    def __init__(
        self, edge: CompiledEdge | None, runner_up: CompiledEdge | None, total: int
    ) -> None:
        self.edge = edge
        self.runner_up = runner_up
        self.total = total

    def reason(self) -> str:
        edge, other = self.edge, self.runner_up
        if edge is None:
            return "no next node" if self.total == 0 else "no edge matched"
        if other is None:
            return "only edge" if self.total == 1 else "only matching edge"
        if edge.priority != other.priority:
            return f"higher priority ({edge.priority} > {other.priority})"
        if edge.size != other.size:
            return f"more conditions ({edge.size} > {other.size})"
        return f"file order (next[{edge.index}] before next[{other.index}])"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"reason": self.reason()}
        if self.edge is not None:
            data.update(
                nodeId=self.edge.target.id,
                index=self.edge.index,
                priority=self.edge.priority,
                conditions=self.edge.size,
            )
        return data


def choose_edge(
    edges: tuple[CompiledEdge, ...],
    context: Mapping[str, Any],
    clock: RegexClock | None = None,
) -> EdgeChoice:
    """Edges come ranked from load time, so the first that holds wins.

    The runner-up is looked for only to explain the choice in the trace; it
    costs one more condition check at most per matching edge. `clock` is the
    turn's regex time (see `flowbot.format.js_regex.RegexClock`).
    """
    chosen: CompiledEdge | None = None
    for edge in edges:
        if edge.condition.holds(context, clock):
            if chosen is not None:
                return EdgeChoice(chosen, edge, len(edges))
            chosen = edge
    return EdgeChoice(chosen, None, len(edges))
