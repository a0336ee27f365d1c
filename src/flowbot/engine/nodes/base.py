"""The one interface every node type implements.

A handler compiles its node's data once at load (`compile`, problems go to
the compiler) and executes it per visit (`execute`), telling the run loop what
comes next through a `NodeOutcome`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from flowbot.engine.compiling import NodeCompiler
    from flowbot.engine.program import CompiledNode
    from flowbot.engine.run import Run
    from flowbot.format.models import AnyNode

__all__ = ["NEXT", "WAIT", "NodeHandler", "NodeOutcome", "OutcomeKind"]

OutcomeKind = Literal["next", "wait", "jump", "end"]


class NodeOutcome:
    """What the run does after a node.

    `next`: choose one of the node's edges. `wait`: stop here until the user
    answers (keyboard). `jump`: continue at `target` (flow node, back pop).
    `end`: the run ends here, waiting at nothing (the next message goes to
    the fallback flow), whatever edges the node has.
    `detail` is what the trace shows for the node (the rendered message…).
    `failure` marks a fetch/sandbox failure: a turn error unless an edge
    handles it.
    """

    __slots__ = ("detail", "failure", "kind", "target")

    def __init__(
        self,
        kind: OutcomeKind,
        *,
        target: CompiledNode | None = None,
        detail: Any = None,
        failure: str | None = None,
    ) -> None:
        self.kind = kind
        self.target = target
        self.detail = detail
        self.failure = failure


NEXT = NodeOutcome("next")
WAIT = NodeOutcome("wait")


class NodeHandler(ABC):
    type: ClassVar[str]

    def compile(self, node: AnyNode, compiler: NodeCompiler) -> Any:
        """Compile the node's data once; report problems through `compiler`."""
        return None

    @abstractmethod
    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome: ...
