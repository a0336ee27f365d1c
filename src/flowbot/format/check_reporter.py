"""Where semantic checks put what they find, and what they check links against.

`Reporter` collects the problems of one flow (or of the bot), prefixing the
JSON paths of a node that has no usable id; `BotIndex` maps flow ids to node
ids so that links between flows can be checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flowbot.format.models import Id
from flowbot.format.problems import Problem, Severity
from flowbot.format.structure import join_path

__all__ = ["BotIndex", "Reporter"]


@dataclass(slots=True)
class BotIndex:
    """Flow ids → node ids of the bot, for checking links between flows."""

    flows: dict[str, set[str]] = field(default_factory=dict)
    lone_flow: bool = False


@dataclass(slots=True)
class Reporter:
    """Collects problems of one flow (or of the bot when `flow_id` is None)."""

    problems: list[Problem]
    source: str
    flow_id: Id | None = None
    prefix: str = ""  # path prefix of a flow that has no usable id
    node_id: Id | None = None
    node_prefix: str = ""

    def at_node(self, node_id: Id | None, index: int) -> Reporter:
        node_prefix = "" if node_id is not None else join_path(self.prefix, f"nodes[{index}]")
        return Reporter(self.problems, self.source, self.flow_id, self.prefix, node_id, node_prefix)

    def _add(self, severity: Severity, path: str, message: str) -> None:
        base = self.node_prefix if self.node_id is not None or self.node_prefix else self.prefix
        self.problems.append(
            Problem(
                self.source,
                message,
                flow_id=self.flow_id,
                node_id=self.node_id,
                path=join_path(base, path),
                severity=severity,
            )
        )

    def error(self, path: str, message: str) -> None:
        self._add("error", path, message)

    def warning(self, path: str, message: str) -> None:
        self._add("warning", path, message)

    def note(self, path: str, message: str) -> None:
        """What can only be checked at run time: shown by `flowbot validate --notes`."""
        self._add("note", path, message)
