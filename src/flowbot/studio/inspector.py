"""The preview's inspector: every edge a node weighed, each condition with its values.

`EdgeRecorder` is the engine's edge observer (`run_turn(observe=...)`): at the
moment a node chooses its edge it evaluates each of the node's edges against
the turn's context of that moment, leaf by leaf, from the `where` the bot
file wrote: the path and its value, the operand as written and as rendered,
and whether it held. The engine's own choice (`EdgeChoice`) says which edge
won and why; an edge that held but lost says what beat it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowbot.engine.edges import EdgeChoice
from flowbot.engine.program import CompiledNode, Program
from flowbot.engine.trace import TraceStep
from flowbot.format.condition_values import MISSING, message_text, resolve_path, split_path
from flowbot.format.conditions import ConditionError, compile_where
from flowbot.format.models import AnyNode, id_key
from flowbot.template import TemplateError, compile_template

__all__ = ["EdgeRecorder", "inspected_node", "json_safe"]


class EdgeRecorder:
    """Collects the inspector's edges of one turn (`edges`), in the order they were weighed."""

    def __init__(self, program: Program) -> None:
        self.edges: list[dict[str, Any]] = []
        self._models: dict[tuple[str, str], AnyNode] = {
            (id_key(flow.id), id_key(node.id)): node
            for flow in program.bot.flows
            for node in flow.nodes
        }

    def __call__(self, node: CompiledNode, choice: EdgeChoice, context: Mapping[str, Any]) -> None:
        model = self._models.get((node.flow.key, node.key))
        for edge in node.edges:
            where = model.next[edge.index].where if model is not None else None
            try:
                held: bool | None = edge.condition.holds(context)
            except ConditionError:
                held = None
            chosen = edge is choice.edge
            self.edges.append(
                {
                    "flowId": node.flow.id,
                    "from": node.id,
                    "to": edge.target.id,
                    "index": edge.index,
                    "chosen": chosen,
                    "result": held,
                    "conditions": explain_where(where, context),
                    "why": _why(choice, chosen, held),
                }
            )


def _why(choice: EdgeChoice, chosen: bool, held: bool | None) -> str:
    if chosen:
        return choice.reason()
    if held is None:
        return "its condition failed to evaluate"
    if not held:
        return "conditions not met"
    winner = choice.edge
    if winner is None:  # cannot happen: an edge held, so one was chosen
        return "held"
    return f"held, but next[{winner.index}] ranks first"


def explain_where(where: Mapping[str, Any] | None, context: Mapping[str, Any]) -> list[Any]:
    """The leaves of a `where`, flattened (a leaf inside $or/$and says so in `group`)."""
    leaves: list[Any] = []
    if where:
        _walk(where, context, "", leaves)
    return leaves


def _walk(where: Mapping[str, Any], context: Mapping[str, Any], group: str, out: list[Any]) -> None:
    for key, spec in where.items():
        if key in ("$or", "$and") and isinstance(spec, list):
            for index, item in enumerate(spec):
                if isinstance(item, Mapping):
                    _walk(item, context, f"{group}{key}[{index}].", out)
            continue
        if not isinstance(spec, Mapping) or len(spec) != 1:
            continue
        ((operator, operand),) = spec.items()
        leaf: dict[str, Any] = {
            "left": key,
            "operator": operator,
            "right": json_safe(operand),
            "leftValue": json_safe(_left_value(key, context)),
            "rightValue": json_safe(_right_value(operand, context)),
        }
        try:
            leaf["result"] = compile_where({key: {operator: operand}}).holds(context)
        except ConditionError as error:
            leaf["result"] = None
            leaf["error"] = error.message
        if group:
            leaf["group"] = group.removesuffix(".")
        out.append(leaf)


def _left_value(key: str, context: Mapping[str, Any]) -> Any:
    if key == "message":
        value = message_text(context)
    else:
        try:
            value = resolve_path(context, split_path(key))
        except ValueError:
            return None
    return None if value is MISSING else value


def _right_value(operand: Any, context: Mapping[str, Any]) -> Any:
    if not isinstance(operand, str) or "{{" not in operand:
        return operand
    try:
        return compile_template(operand).render(context)
    except TemplateError as error:
        return f"(template failed: {error})"


def inspected_node(step: TraceStep) -> dict[str, Any]:
    """A trace step as the inspector shows it."""
    node: dict[str, Any] = {
        "flowId": step.flow_id,
        "nodeId": step.node_id,
        "type": step.type,
        "phase": step.phase,
        "ms": round(step.elapsed_ns / 1e6, 3),
    }
    if step.label is not None:
        node["title"] = step.label
    if step.data is not None:
        node["data"] = json_safe(step.data)
    if step.params is not None:
        node["params"] = json_safe(step.params)
    if step.error is not None:
        node["error"] = step.error
    return node


def json_safe(value: Any) -> Any:
    """`value` as plain JSON (tuples as lists, anything else as its text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return str(value)
