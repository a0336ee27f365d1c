"""The mutable scratchpad of one turn; it becomes the new state only if the turn succeeds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flowbot.engine.ports import Ports
from flowbot.engine.state import Position
from flowbot.engine.trace import EdgeObserver, TraceStep

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledNode, Program

__all__ = ["Run"]


class Run:
    """Context, params (copy-on-write), replies and back-stack bookkeeping of a turn.

    `run_start` is the node the current run started at (a `pop` starts a new
    run inside the turn); `push_consumed` records that a `drop` in this run
    has taken the screen push away.
    """

    __slots__ = (
        "back_stack",
        "context",
        "handoff",
        "observe",
        "params",
        "params_owned",
        "ports",
        "program",
        "push_consumed",
        "quick_replies",
        "replies",
        "run_start",
        "screen_on_top",
        "step_params",
        "trace",
    )

    def __init__(
        self,
        program: Program,
        context: dict[str, Any],
        params: Mapping[str, Any],
        back_stack: tuple[Position, ...],
        screen_on_top: bool,
        ports: Ports,
        observe: EdgeObserver | None = None,
    ) -> None:
        self.program = program
        self.context = context
        self.params = params
        self.params_owned = False
        self.back_stack = back_stack
        self.screen_on_top = screen_on_top
        self.ports = ports
        self.push_consumed = False
        self.run_start: CompiledNode | None = None
        self.replies: list[dict[str, Any]] = []
        self.quick_replies: list[dict[str, Any]] = []
        self.trace: list[TraceStep] = []
        self.step_params: dict[str, Any] | None = None
        # set by a `manual` node: the conversation goes to a person
        self.handoff: dict[str, Any] | None = None
        # the studio's preview: told of every edge choice, with the context of that moment
        self.observe = observe

    # --- params ------------------------------------------------------------------

    def _own_params(self) -> dict[str, Any]:
        # The state's params dict is shared with the caller until the first write.
        if not self.params_owned:
            self.params = dict(self.params)
            self.params_owned = True
            self.context["params"] = self.params
        assert isinstance(self.params, dict)
        return self.params

    def _note(self, key: str, value: Any) -> None:
        if self.step_params is None:
            self.step_params = {}
        self.step_params[key] = value

    def set_param(self, key: str, value: Any) -> None:
        """Set a param; None deletes it."""
        params = self._own_params()
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
        self._note(key, value)

    def clear_params(self) -> None:
        for key in self.params:
            self._note(key, None)
        self.params = {}
        self.params_owned = True
        self.context["params"] = self.params

    # --- back stack ----------------------------------------------------------------

    def start_run(self, node: CompiledNode) -> None:
        self.run_start = node
        self.push_consumed = False
