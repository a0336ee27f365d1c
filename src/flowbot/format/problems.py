"""Problems found in a bot, and the one line `flowbot validate` prints for each.

The line format is stable (tests and editors parse it)::

    PATH: flow <flowId> node <nodeId> <json.path>: <message>
    PATH: flow <flowId> <json.path>: <message>            a flow-level problem
    PATH: <json.path>: <message>                          a bot-level problem
    PATH: warning: flow <flowId> node <nodeId> <json.path>: <message>
    PATH: note: flow <flowId> node <nodeId> <json.path>: <message>

The JSON path is relative to the node (`data.message.buttons[0].payload`,
`next[1].where["message.text"].regex`), to the flow for flow-level problems
(`data.entry`, `nodes[3]`), and to the file for bot-level ones
(`preference.entryFlowId`). Ids print as given; an id that is empty or holds
whitespace prints as a JSON string so that the line stays splittable.
Errors carry no prefix; warnings are prefixed with `warning: `, notes with
`note: `.

Three severities: an *error* stops the bot from loading; a *warning* is
something to look at, printed by `flowbot validate` and logged when the bot
loads; a *note* says what could only be checked at run time (a templated flow
id, payload or link: the bot was written that way on purpose), printed only by
`flowbot validate --notes`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from flowbot.format.models import Id

__all__ = [
    "BotLoadError",
    "Problem",
    "Severity",
    "format_id",
    "template_error_message",
    "unsupported_node_message",
]

Severity = Literal["error", "warning", "note"]


def format_id(value: Id) -> str:
    text = str(value)
    if not text or any(ch.isspace() for ch in text):
        return json.dumps(text, ensure_ascii=False)
    return text


def template_error_message(message: str, line: int, column: int) -> str:
    """The wording of a template syntax error, shared by every place that compiles one."""
    return f"template syntax error at line {line} column {column}: {message}"


def unsupported_node_message(node_type: str) -> str:
    """What a node of a type in CLOSER's guide that flowbot does not run fails with."""
    return f"the {node_type} node does not run in flowbot"


@dataclass(frozen=True, slots=True)
class Problem:
    source: str
    message: str
    flow_id: Id | None = None
    node_id: Id | None = None
    path: str = ""
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def is_note(self) -> bool:
        return self.severity == "note"

    def __str__(self) -> str:
        where: list[str] = []
        if self.severity != "error":
            where.append(f"{self.severity}:")
        if self.flow_id is not None:
            where.append(f"flow {format_id(self.flow_id)}")
        if self.node_id is not None:
            where.append(f"node {format_id(self.node_id)}")
        if self.path:
            where.append(self.path)
        location = " ".join(where)
        prefix = f"{self.source}: {location}" if location else self.source
        return f"{prefix}: {self.message}"


class BotLoadError(Exception):
    """A bot that does not validate; `.problems` holds every error and warning found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.is_error]
        shown = "\n".join(str(p) for p in errors[:20])
        more = f"\n… and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} error(s) in bot:\n{shown}{more}")
