"""`parameter`: sets params from templates (null deletes a key) or clears them all.

A value of null (JSON null, or the text `null` itself) deletes the key; a key
already set is overwritten; `clear` removes every param.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from flowbot.engine.compiling import NodeCompiler, Renderable
from flowbot.engine.nodes.base import NEXT, NodeHandler, NodeOutcome
from flowbot.format.models import AnyNode, ParameterNode
from flowbot.template.masking import mentions_mask, reveal_value

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledNode
    from flowbot.engine.run import Run

__all__ = ["PARAM_KEY", "ParameterHandler", "ParameterSet"]

PARAM_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")


class ParameterSet:
    """`entries` is None for a clear; a None value deletes its key.

    `masked` names the keys whose value may call MASK: params are state, not
    logs, so their values are stored in clear, without markers.
    """

    __slots__ = ("entries", "masked")

    def __init__(
        self,
        entries: list[tuple[str, Renderable | None]] | None,
        masked: frozenset[str] = frozenset(),
    ) -> None:
        self.entries = entries
        self.masked = masked


class ParameterHandler(NodeHandler):
    type = "parameter"

    def compile(self, node: AnyNode, compiler: NodeCompiler) -> ParameterSet:
        assert isinstance(node, ParameterNode)
        if node.data.type == "clear":
            return ParameterSet(None)
        entries: list[tuple[str, Renderable | None]] = []
        masked: set[str] = set()
        for index, entry in enumerate(node.data.params or []):
            path = f"data.params[{index}]"
            if not PARAM_KEY.fullmatch(entry.key):
                compiler.error(f"{path}.key", f"param key {entry.key!r} must match [A-Za-z0-9_-]+")
                continue
            # CLOSER's guide: "to remove a value, enter null": the word typed in the
            # editor as much as a JSON null (a template rendering "null" sets it)
            deletes = entry.value is None or (
                isinstance(entry.value, str) and entry.value.strip() == "null"
            )
            value = None if deletes else compiler.value(entry.value, f"{path}.value")
            if not deletes and value is None:
                continue
            entries.append((entry.key, value))
            if mentions_mask(entry.value):
                masked.add(entry.key)
        return ParameterSet(entries, frozenset(masked))

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        data: ParameterSet = node.data
        if data.entries is None:
            run.clear_params()
            return NEXT
        for key, value in data.entries:
            # later values see earlier ones: the context's params are updated in place
            rendered = None if value is None else value.render(run.context)
            if key in data.masked:
                rendered = reveal_value(rendered)
            run.set_param(key, rendered)
        return NEXT
