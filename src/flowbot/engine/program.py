"""A bot compiled for running: flows and nodes indexed, every template compiled once.

`load_program` is the only place that walks the whole bot; a turn then
follows direct references (edge → node) and dict lookups by `id_key`, so its
cost does not grow with the number of flows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flowbot.engine.compiling import NodeCompiler
from flowbot.engine.nodes import handler_for
from flowbot.format import validate_bot
from flowbot.format.conditions import Condition, ConditionError, compile_where
from flowbot.format.models import AnyNode, Bot, Flow, Id, id_key
from flowbot.format.problems import BotLoadError, Problem
from flowbot.gcpause import paused_gc
from flowbot.template import Template

if TYPE_CHECKING:
    from flowbot.engine.nodes.base import NodeHandler

__all__ = [
    "CompiledEdge",
    "CompiledFlow",
    "CompiledNode",
    "Program",
    "SystemTemplates",
    "load_program",
]


@dataclass(slots=True, eq=False)
class CompiledEdge:
    target: CompiledNode
    condition: Condition
    priority: int
    index: int  # position in the node's `next` list (file order)

    @property
    def size(self) -> int:
        return self.condition.size


@dataclass(slots=True, eq=False)
class CompiledNode:
    flow: CompiledFlow
    id: Id
    key: str
    type: str
    label: str | None
    handler: NodeHandler
    data: Any  # what the handler's `compile` returned
    # ranked once at load: priority desc, then condition count desc, then file order
    edges: tuple[CompiledEdge, ...] = ()

    @property
    def position(self) -> tuple[Id, Id]:
        return (self.flow.id, self.id)


@dataclass(slots=True, eq=False)
class CompiledFlow:
    id: Id
    key: str
    title: str | None
    nodes: dict[str, CompiledNode]
    entry: CompiledNode | None = None
    uses_mask: bool = False  # a template of this flow may call MASK


@dataclass(slots=True, frozen=True)
class SystemTemplates:
    empty: Template
    error: Template
    additional_choice: Template
    unsupported_media: Template


@dataclass(slots=True, frozen=True)
class SessionRules:
    restore_navigation: bool
    welcome_on_session_start: bool
    welcome_on_message_without_session: bool


class Program:
    """A loaded bot. Build it with `load_program`."""

    __slots__ = (
        "bot",
        "bot_id",
        "fallback_flow",
        "flows",
        "session",
        "start_flow",
        "system",
        "uses_mask",
    )

    def __init__(
        self,
        bot: Bot,
        bot_id: str,
        flows: dict[str, CompiledFlow],
        start_flow: CompiledFlow,
        fallback_flow: CompiledFlow,
        system: SystemTemplates,
        session: SessionRules,
        *,
        uses_mask: bool = False,
    ) -> None:
        self.bot = bot
        self.bot_id = bot_id
        self.flows = flows
        self.start_flow = start_flow
        self.fallback_flow = fallback_flow
        self.system = system
        self.session = session
        # decided at load: a bot that never calls MASK skips the reply walk
        self.uses_mask = uses_mask

    def flow_ids(self) -> list[str]:
        return list(self.flows)

    def flow(self, flow_id: Id) -> CompiledFlow | None:
        return self.flows.get(id_key(flow_id))

    def node(self, flow_id: Id, node_id: Id | None = None) -> CompiledNode | None:
        """A node by ids; node_id None means the flow's entry node."""
        flow = self.flows.get(id_key(flow_id))
        if flow is None:
            return None
        if node_id is None:
            return flow.entry
        return flow.nodes.get(id_key(node_id))

    def __repr__(self) -> str:
        return f"<Program {self.bot_id!r}: {len(self.flows)} flow(s)>"


def load_program(bot: Bot, bot_id: str = "bot", *, source: str = "bot") -> Program:
    """Compile `bot`; raises `BotLoadError` listing every problem that prevents running it."""
    with paused_gc():
        return _load_program(bot, bot_id, source)


def _load_program(bot: Bot, bot_id: str, source: str) -> Program:
    problems = validate_bot(bot, source)
    if any(problem.is_error for problem in problems):
        raise BotLoadError(problems)
    # The validator knows every rule; compiling below re-checks only what would
    # make the bot impossible to run, as a safety net.
    flows: dict[str, CompiledFlow] = {}
    for flow_index, flow in enumerate(bot.flows):
        key = id_key(flow.id)
        if key in flows:
            problems.append(
                Problem(source, f"duplicate flow id {flow.id!r}", path=f"flows[{flow_index}].id")
            )
            continue
        flows[key] = _compile_flow(flow, source, problems)
    if not flows:
        problems.append(Problem(source, "a bot needs at least one flow", path="flows"))
    preference = bot.preference
    start_flow = _preferred_flow(
        flows, preference.entry_flow_id, "preference.entryFlowId", source, problems
    )
    fallback_flow = (
        start_flow
        if preference.fallback_flow_id is None
        else _preferred_flow(
            flows, preference.fallback_flow_id, "preference.fallbackFlowId", source, problems
        )
    )
    system, system_masks = _compile_system(bot, source, problems)
    errors = [problem for problem in problems if problem.is_error]
    if errors:
        raise BotLoadError(_unique(problems))
    assert start_flow is not None and system is not None
    rules = preference.session_behavior
    return Program(
        bot=bot,
        bot_id=bot_id,
        flows=flows,
        start_flow=start_flow,
        fallback_flow=fallback_flow or start_flow,
        system=system,
        session=SessionRules(
            restore_navigation=rules.restore_navigation,
            welcome_on_session_start=rules.welcome_on_session_start,
            welcome_on_message_without_session=rules.welcome_on_message_without_session,
        ),
        uses_mask=system_masks or any(flow.uses_mask for flow in flows.values()),
    )


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    unique: list[Problem] = []
    for problem in problems:
        text = str(problem)
        if text not in seen:
            seen.add(text)
            unique.append(problem)
    return unique


def _preferred_flow(
    flows: dict[str, CompiledFlow],
    flow_id: Id | None,
    path: str,
    source: str,
    problems: list[Problem],
) -> CompiledFlow | None:
    if flow_id is None:
        return next(iter(flows.values()), None)
    flow = flows.get(id_key(flow_id))
    if flow is None and flows:
        problems.append(Problem(source, f"no flow with id {flow_id!r}", path=path))
    return flow


def _compile_system(
    bot: Bot, source: str, problems: list[Problem]
) -> tuple[SystemTemplates | None, bool]:
    """The system message templates, and whether one may call MASK."""
    messages = bot.preference.system_message
    compiler = NodeCompiler(source, problems, None, None)
    compiled = {
        name: compiler.template(getattr(messages, name), f"preference.systemMessage.{alias}")
        for name, alias in (
            ("empty", "empty"),
            ("error", "error"),
            ("additional_choice", "additionalChoice"),
            ("unsupported_media", "unsupportedMedia"),
        )
    }
    if any(template is None for template in compiled.values()):
        return None, compiler.uses_mask
    return SystemTemplates(**compiled), compiler.uses_mask  # type: ignore[arg-type]


def _compile_flow(flow: Flow, source: str, problems: list[Problem]) -> CompiledFlow:
    compiled = CompiledFlow(id=flow.id, key=id_key(flow.id), title=flow.title, nodes={})
    models: list[tuple[AnyNode, CompiledNode]] = []
    for index, node in enumerate(flow.nodes):
        node_model: AnyNode = node
        key = id_key(node_model.id)
        if key in compiled.nodes:
            problems.append(
                Problem(
                    source,
                    f"duplicate node id {node_model.id!r}",
                    flow_id=flow.id,
                    path=f"nodes[{index}].id",
                )
            )
            continue
        handler = handler_for(node_model.type)
        compiler = NodeCompiler(source, problems, flow.id, node_model.id)
        compiled.nodes[key] = compiled_node = CompiledNode(
            flow=compiled,
            id=node_model.id,
            key=key,
            type=node_model.type,
            label=node_model.label,
            handler=handler,
            data=handler.compile(node_model, compiler),
        )
        compiled.uses_mask = compiled.uses_mask or compiler.uses_mask
        models.append((node_model, compiled_node))
    for node_model, compiled_node in models:
        compiled_node.edges = _compile_edges(node_model, compiled, source, problems)
    compiled.entry = _entry_node(flow, compiled, source, problems)
    return compiled


def _compile_edges(
    node: AnyNode, flow: CompiledFlow, source: str, problems: list[Problem]
) -> tuple[CompiledEdge, ...]:
    edges: list[CompiledEdge] = []
    for index, edge in enumerate(node.next):
        target = flow.nodes.get(id_key(edge.node_id))
        if target is None:
            problems.append(
                Problem(
                    source,
                    f"no node {edge.node_id!r} in this flow",
                    flow_id=flow.id,
                    node_id=node.id,
                    path=f"next[{index}].nodeId",
                )
            )
            continue
        try:
            condition = compile_where(edge.where)
        except ConditionError as exc:
            problems.append(
                Problem(
                    source,
                    exc.message,
                    flow_id=flow.id,
                    node_id=node.id,
                    path=f"next[{index}].{exc.path}",
                )
            )
            continue
        edges.append(CompiledEdge(target, condition, edge.priority or 0, index))
    edges.sort(key=lambda e: (-e.priority, -e.condition.size, e.index))
    return tuple(edges)


def _entry_node(
    flow: Flow, compiled: CompiledFlow, source: str, problems: list[Problem]
) -> CompiledNode | None:
    entry_id = flow.data.entry if flow.data is not None else None
    if entry_id is not None:
        entry = compiled.nodes.get(id_key(entry_id))
        if entry is None:
            problems.append(
                Problem(
                    source, f"no node {entry_id!r} in this flow", flow_id=flow.id, path="data.entry"
                )
            )
        return entry
    # A flow inside a bot file may omit data.entry: its entry node is the start.
    for node in compiled.nodes.values():
        if node.type == "entry":
            return node
    problems.append(Problem(source, "the flow has no entry node", flow_id=flow.id, path="nodes"))
    return None
