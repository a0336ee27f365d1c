"""Checking drafts: a bot as `flowbot validate --notes --channel …` would, and one template."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flowbot.channels.check import channel_problems
from flowbot.format import BotLoadError
from flowbot.format.load import read_bot_data
from flowbot.format.problems import Problem
from flowbot.template import TemplateSyntaxError, compile_template

__all__ = ["check_draft", "check_template"]


def check_draft(data: Any, source: str, channels: Sequence[str]) -> list[dict[str, Any]]:
    """Every problem of a draft: the format's errors, warnings and notes, then, for a
    draft that loads, each channel's degradations (`flowbot.channels.check`)."""
    try:
        loaded = read_bot_data(data, source)
    except BotLoadError as error:
        return [_problem(problem, None) for problem in error.problems]
    problems = [_problem(problem, None) for problem in (*loaded.warnings, *loaded.notes)]
    for name in channels:
        problems.extend(
            _problem(problem, name) for problem in channel_problems(loaded.bot, source, [name])
        )
    return problems


def _problem(problem: Problem, channel: str | None) -> dict[str, Any]:
    message = problem.message
    if channel is not None:
        message = message.removeprefix(f"{channel}: ")
    return {
        "severity": problem.severity,
        "flowId": problem.flow_id,
        "nodeId": problem.node_id,
        "path": problem.path,
        "message": message,
        "channel": channel,
    }


def check_template(source: str) -> dict[str, Any]:
    """`{"ok": true}`, or the syntax error with its 1-based line and column."""
    try:
        compile_template(source)
    except TemplateSyntaxError as error:
        return {"ok": False, "message": error.message, "line": error.line, "column": error.column}
    return {"ok": True}
