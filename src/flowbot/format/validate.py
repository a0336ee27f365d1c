"""`flowbot validate`: every problem of a bot, flow file or folder, one line each.

Output, one line per problem (see `flowbot.format.problems` for the grammar)::

    bots/shop.json: flow 1 node 3 next[0].nodeId: no node 9 in this flow
    bots/shop.json: flow 2 data.entry: no node 7 in this flow
    bots/shop.json: preference.entryFlowId: no flow 5 in the bot
    bots/shop.json: warning: flow 1 node 3 data.message.dealy: unknown key (did you mean "delay"?)
    bots/shop.json: note: flow 1 node 4 data.flowId: templated flow id: …     (with --notes)

and nothing for a path that is clean. The exit code is 0 when no path has
errors (warnings and notes are printed but do not fail), 1 otherwise. A
folder of separate bots is checked bot by bot (`flowbot.format.load.bots_in`
says what makes a folder one bot).

Validation works on raw data: structural errors come from pydantic (mapped to
flow, node and JSON path; every flow and node is reported, not only the
first), then the semantic checks of `flowbot.format.checks` run on every flow
and node that has a sound shape, and `flowbot.format.keys` looks for keys the
format does not know (misspellings) everywhere.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import ValidationError

from flowbot.format.check_reporter import BotIndex, Reporter
from flowbot.format.checks import check_flow, check_preference
from flowbot.format.keys import check_bot_keys, check_flow_keys, check_node_keys
from flowbot.format.models import Bot, Flow, id_key
from flowbot.format.problems import BotLoadError, Problem, format_id
from flowbot.format.shape import shape_problems
from flowbot.format.structure import as_id, structural_problems

if TYPE_CHECKING:
    from flowbot.format.load import LoadedBot

__all__ = ["check_bot_data", "is_flow_data", "run_validate", "validate_bot"]


def is_flow_data(data: Any) -> bool:
    """A single exported flow (`{"id", "nodes"}`) rather than a bot (`{"flows"}`)."""
    return isinstance(data, dict) and "flows" not in data and "nodes" in data


def check_bot_data(
    data: Any,
    source: str,
    *,
    lone_flow: bool = False,
    flow_sources: Sequence[str] = (),
    model: Bot | Flow | None = None,
) -> tuple[Bot | Flow | None, list[Problem]]:
    """Validate raw bot (or, with `lone_flow`, flow) data.

    Returns the model (None when the structure is invalid) and every problem.
    `flow_sources[i]` names the file of flow i when the bot came from a folder.
    Pass `model` when `data` is the dump of an already validated model, to skip
    the structural pass.
    """
    if not isinstance(data, dict):
        shape = "a flow object" if lone_flow else "a bot object"
        return None, [Problem(source, f"expected {shape}, got {type(data).__name__}")]
    unreadable = shape_problems(data, source, lone_flow=lone_flow, flow_sources=flow_sources)
    if unreadable:
        # not Unicode, or absurdly deep: nothing else can be read safely
        return None, unreadable
    problems: list[Problem] = []
    bad_nodes: set[tuple[int, int]] = set()
    bad_flows: set[int] = set()
    if model is None:
        try:
            model = Flow.model_validate(data) if lone_flow else Bot.model_validate(data)
        except ValidationError as exc:
            found, bad_nodes, bad_flows = structural_problems(
                exc, data, lone_flow=lone_flow, flow_sources=flow_sources, source=source
            )
            problems.extend(found)
            model = None

    flows = [data] if lone_flow else data.get("flows")
    flows = flows if isinstance(flows, list) else []
    index = _index(flows, lone_flow)
    bot_report = Reporter(problems, source)
    if not lone_flow and not flows and "flows" not in {p.path for p in problems}:
        bot_report.error("flows", "a bot needs at least one flow")
    seen: dict[str, int] = {}
    for i, flow in enumerate(flows):
        if not isinstance(flow, dict):
            continue
        flow_id = as_id(flow.get("id"))
        flow_source = flow_sources[i] if i < len(flow_sources) else source
        prefix = "" if flow_id is not None or lone_flow else f"flows[{i}]"
        report = Reporter(problems, flow_source, flow_id, prefix)
        if flow_id is not None:
            key = id_key(flow_id)
            if key in seen:
                first = flows[seen[key]].get("id")
                report.error(
                    "id", f"duplicate flow id (flows[{seen[key]}] has id {format_id(first)})"
                )
            else:
                seen[key] = i
        nodes_bad = {node for flow_index, node in bad_nodes if flow_index == i}
        check_flow(flow, report, index, nodes_bad, skip_nodes=i in bad_flows and not nodes_bad)
        _check_keys(flow, report)
    if not lone_flow:
        check_preference(data.get("preference"), bot_report, index)
        check_bot_keys(data, bot_report)
    return model, _without_repeats(problems)


def _check_keys(flow: dict[str, Any], report: Reporter) -> None:
    """Unknown keys (misspellings) in the flow and each of its nodes."""
    check_flow_keys(flow, report)
    nodes = flow.get("nodes")
    for i, node in enumerate(nodes if isinstance(nodes, list) else []):
        if isinstance(node, dict):
            check_node_keys(node, report.at_node(as_id(node.get("id")), i))


def _without_repeats(problems: list[Problem]) -> list[Problem]:
    """Drop a semantic problem at a place the structural pass already reported.

    The edges of a structurally broken node are still checked; a non-integer
    priority there is then reported by both passes.
    """
    seen: set[tuple[str, str, str, str]] = set()
    kept: list[Problem] = []
    for problem in problems:
        key = (problem.source, str(problem.flow_id), str(problem.node_id), problem.path)
        if key in seen:
            continue
        seen.add(key)
        kept.append(problem)
    return kept


def _index(flows: list[Any], lone_flow: bool) -> BotIndex:
    index = BotIndex(lone_flow=lone_flow)
    for flow in flows:
        if not isinstance(flow, dict) or as_id(flow.get("id")) is None:
            continue
        nodes = flow.get("nodes")
        index.flows[id_key(flow["id"])] = {
            id_key(node.get("id"))
            for node in (nodes if isinstance(nodes, list) else [])
            if isinstance(node, dict) and as_id(node.get("id")) is not None
        }
    return index


def validate_bot(
    data_or_bot: Bot | Flow | Any, source: str = "bot", lone_flow: bool | None = None
) -> list[Problem]:
    """Every problem of a bot: a `Bot` or `Flow` model, or raw bot/flow data.

    `lone_flow` None means: decide from the data (a flow file, or a Bot loaded
    from one). In a lone flow, links to unknown flows are warnings.

    A `Bot` returned by the loader was validated there: its problems are
    returned without checking again (the engine validates what it compiles).
    Bots are treated as immutable once loaded; to check an edited bot, pass
    `export_bot(bot)`.
    """
    if isinstance(data_or_bot, Bot):
        if data_or_bot._load_problems is not None and lone_flow is None:
            return [p for p in data_or_bot._load_problems if isinstance(p, Problem)]
        lone = data_or_bot._lone_flow if lone_flow is None else lone_flow
        if lone and len(data_or_bot.flows) == 1:
            flow = data_or_bot.flows[0]
            _, problems = check_bot_data(
                flow.model_dump(mode="json"), source, lone_flow=True, model=flow
            )
            return problems
        raw = data_or_bot.model_dump(mode="json")
        _, problems = check_bot_data(raw, source, model=data_or_bot)
        return problems
    if isinstance(data_or_bot, Flow):
        _, problems = check_bot_data(
            data_or_bot.model_dump(mode="json"), source, lone_flow=True, model=data_or_bot
        )
        return problems
    lone = is_flow_data(data_or_bot) if lone_flow is None else lone_flow
    _, problems = check_bot_data(data_or_bot, source, lone_flow=lone)
    return problems


def run_validate(
    paths: list[Path],
    out: TextIO | None = None,
    more: Callable[[LoadedBot], list[Problem]] | None = None,
    *,
    notes: bool = False,
) -> int:
    """The `flowbot validate` command: print every problem; 0 when no errors, else 1.

    A folder of separate bots (`flowbot.format.load.bots_in`) is validated bot
    by bot. `more` adds problems of a bot that loads (the CLI's `--channel`
    checks, which live above this package); `notes` also prints the notes.
    """
    from flowbot.format.load import bot_paths, read_bot

    stream = out or sys.stdout
    failed = False
    for path in (bot for given in paths for bot in bot_paths(given)):
        try:
            loaded = read_bot(path)
        except BotLoadError as exc:
            problems = exc.problems
        else:
            problems = loaded.warnings + (more(loaded) if more is not None else [])
            if notes:
                problems += loaded.notes
        for problem in problems:
            if notes or not problem.is_note:
                print(problem, file=stream)
        failed = failed or any(problem.is_error for problem in problems)
    return 1 if failed else 0
