"""Per-node checks: templates, messages, buttons, each node type's data, edges (docs/format.md).

They read the raw JSON of a node that passed structural validation, so shapes
are known and the paths printed are those of the file. Errors are what the
loader refuses; warnings are what may go wrong on some channels (their
limits, docs/channels.md); notes are what only a run can check (templated flow
ids, payloads and links).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Final

from flowbot.format.check_reporter import BotIndex, Reporter
from flowbot.format.conditions import ConditionError, compile_where
from flowbot.format.models import NODE_TYPES, UNSUPPORTED_NODE_TYPES, id_key
from flowbot.format.problems import format_id, template_error_message, unsupported_node_message
from flowbot.format.structure import format_path, join_path
from flowbot.template import TemplateSyntaxError, compile_template

__all__ = [
    "check_edges",
    "check_message",
    "check_node",
    "check_templates",
    "is_template",
    "template_error",
]

MAX_PAYLOAD: Final = 1000
MAX_BUTTONS: Final = 9
MAX_CARDS: Final = 9
MAX_QUICK_REPLIES: Final = 50
MAX_CUSTOM: Final = 1000
MAX_SCRIPT_BYTES: Final = 50_000
LINK_SCHEMES: Final = frozenset({"http", "https", "tel", "mailto"})
KEYBOARD_TYPES: Final = frozenset({"any", "text", "buttons", "number", "location"})
HTTP_METHODS: Final = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
CONTENT_TYPES: Final = frozenset({"json", "x-www-form-urlencoded"})
RUNTIMES: Final = frozenset({"nodejs", "python"})
# the smallest common channel limits worth a warning (a channel cuts or re-routes the rest)
LINE_PAYLOAD: Final = 300
CHANNEL_LABEL: Final = 20
CHANNEL_BUTTONS: Final = 3

_PARAM_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def is_template(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


# --- templates -----------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def template_error(text: str) -> str | None:
    """The syntax error of a template, or None; cached, as bots repeat their templates."""
    try:
        compile_template(text)
    except TemplateSyntaxError as exc:
        return template_error_message(exc.message, exc.line, exc.column)
    return None


def check_templates(value: Any, path: str, report: Reporter) -> None:
    """Compile every template string inside `value`; one error per bad string."""
    trail: list[str | int] = []

    def walk(item: Any) -> None:
        # the path is only built for a string that fails: most strings are plain text
        if isinstance(item, str):
            if "{{" in item and (error := template_error(item)) is not None:
                report.error(join_path(path, format_path(trail)), error)
        elif isinstance(item, dict):
            for key, child in item.items():
                trail.append(str(key))
                walk(child)
                trail.pop()
        elif isinstance(item, list):
            for index, child in enumerate(item):
                trail.append(index)
                walk(child)
                trail.pop()

    walk(value)


# --- buttons and messages ------------------------------------------------------


def _check_payload(payload: Any, path: str, report: Reporter) -> None:
    if not isinstance(payload, str):
        return
    if is_template(payload):
        report.note(path, f"templated payload: its length (≤ {MAX_PAYLOAD}) is checked at run time")
    elif len(payload) > MAX_PAYLOAD:
        report.error(path, f"payload is {len(payload)} characters; the limit is {MAX_PAYLOAD}")
    elif len(payload) > LINE_PAYLOAD:
        report.warning(
            path,
            f"payload is {len(payload)} characters: over LINE's {LINE_PAYLOAD}, "
            "so LINE clicks go through a stored key",
        )


def _check_label(label: Any, path: str, report: Reporter) -> None:
    if isinstance(label, str) and not is_template(label) and len(label) > CHANNEL_LABEL:
        report.warning(
            path,
            f"label is {len(label)} characters: Facebook and LINE show {CHANNEL_LABEL} "
            "(KakaoTalk 14), the rest is cut",
        )


def _check_link(uri: Any, path: str, report: Reporter) -> None:
    if not isinstance(uri, str):
        return
    literal = uri.split("{{", 1)[0]
    scheme = _SCHEME.match(literal)
    if scheme is None:
        if is_template(uri):
            report.note(path, "templated link: its scheme is checked at run time")
        else:
            report.error(path, f"link {uri!r} has no scheme (use http, https, tel or mailto)")
        return
    if scheme.group(1).lower() not in LINK_SCHEMES:
        report.error(path, f"link scheme {scheme.group(1)!r} is not http, https, tel or mailto")


def _check_target(flow_id: Any, node_id: Any, path: str, report: Reporter, index: BotIndex) -> None:
    """A literal `flowId` (and `nodeId`) of a `flow` node or a `goto` button must exist."""
    flow_path, node_path = join_path(path, "flowId"), join_path(path, "nodeId")
    if is_template(flow_id):
        report.note(flow_path, "templated flow id: the flow is looked up at run time")
        return
    nodes = index.flows.get(id_key(flow_id))
    missing = report.warning if index.lone_flow else report.error
    if nodes is None:
        where = "this flow file (it may exist in the bot it is imported into)"
        missing(
            flow_path, f"no flow {format_id(flow_id)} in {where if index.lone_flow else 'the bot'}"
        )
        return
    if node_id is None or is_template(node_id):
        return
    if id_key(node_id) not in nodes:
        report.error(node_path, f"flow {format_id(flow_id)} has no node {format_id(node_id)}")


def _check_buttons(buttons: Any, path: str, report: Reporter, index: BotIndex) -> None:
    if not isinstance(buttons, list):
        return
    if len(buttons) > MAX_BUTTONS:
        report.error(path, f"{len(buttons)} buttons; at most {MAX_BUTTONS}")
    elif len(buttons) > CHANNEL_BUTTONS:
        report.warning(
            path,
            f"{len(buttons)} buttons: Facebook, LINE and KakaoTalk show {CHANNEL_BUTTONS} "
            "per message and split or drop the rest",
        )
    for i, button in enumerate(buttons):
        button_path = f"{path}[{i}]"
        _check_label(button.get("label"), join_path(button_path, "label"), report)
        kind = button.get("type")
        if kind == "postback":
            _check_payload(button.get("payload"), join_path(button_path, "payload"), report)
        elif kind == "link":
            _check_link(button.get("uri"), join_path(button_path, "uri"), report)
        elif kind == "goto":
            _check_target(button.get("flowId"), button.get("nodeId"), button_path, report, index)


def check_message(message: Any, path: str, report: Reporter, index: BotIndex) -> None:
    if not isinstance(message, dict):
        return
    check_templates(message, path, report)
    custom = (message.get("meta") or {}).get("custom")
    if isinstance(custom, str) and not is_template(custom) and len(custom) > MAX_CUSTOM:
        report.error(
            join_path(path, "meta.custom"), f"{len(custom)} characters; at most {MAX_CUSTOM}"
        )
    kind = message.get("type")
    if kind == "text":
        _check_buttons(message.get("buttons"), join_path(path, "buttons"), report, index)
    elif kind == "cards":
        cards = message.get("cards") or []
        if len(cards) > MAX_CARDS:
            report.error(join_path(path, "cards"), f"{len(cards)} cards; at most {MAX_CARDS}")
        for i, card in enumerate(cards):
            card_path = join_path(path, f"cards[{i}]")
            _check_buttons(card.get("buttons"), join_path(card_path, "buttons"), report, index)
            if card.get("uri") is not None:
                _check_link(card.get("uri"), join_path(card_path, "uri"), report)


# --- nodes ---------------------------------------------------------------------


def _check_response(data: dict[str, Any], report: Reporter, index: BotIndex) -> None:
    check_message(data.get("message"), "data.message", report, index)


def _check_keyboard(data: dict[str, Any], report: Reporter, index: BotIndex) -> None:
    kind = data.get("type", "any")
    if kind not in KEYBOARD_TYPES:
        report.warning("data.type", f"unknown keyboard type {kind!r}: it accepts any input")
    replies = data.get("buttons") or []
    check_templates(replies, "data.buttons", report)
    if len(replies) > MAX_QUICK_REPLIES:
        report.error("data.buttons", f"{len(replies)} quick replies; at most {MAX_QUICK_REPLIES}")
    for i, reply in enumerate(replies):
        _check_label(reply.get("label"), f"data.buttons[{i}].label", report)
        _check_payload(reply.get("payload"), f"data.buttons[{i}].payload", report)
    if data.get("messages") is not None:
        check_templates(data["messages"], "data.messages", report)


def _check_flow_node(data: dict[str, Any], report: Reporter, index: BotIndex) -> None:
    check_templates({"flowId": data.get("flowId"), "nodeId": data.get("nodeId")}, "data", report)
    _check_target(data.get("flowId"), data.get("nodeId"), "data", report, index)


def _check_parameter(data: dict[str, Any], report: Reporter, index: BotIndex) -> None:
    for i, param in enumerate(data.get("params") or []):
        key = param.get("key")
        if not _PARAM_KEY.fullmatch(key):
            report.error(f"data.params[{i}].key", f"parameter key {key!r} is not [A-Za-z0-9_-]+")
        check_templates(param.get("value"), f"data.params[{i}].value", report)


def _check_fetch(data: dict[str, Any], report: Reporter, index: BotIndex) -> None:
    check_templates(
        {"uri": data.get("uri"), "headers": data.get("headers"), "body": data.get("body")},
        "data",
        report,
    )
    method = data.get("method", "GET")
    if str(method).upper() not in HTTP_METHODS:
        report.error("data.method", f"unknown HTTP method {method!r}")
    content_type = data.get("contentType")
    if content_type is not None and content_type not in CONTENT_TYPES:
        report.warning("data.contentType", f"content type {content_type!r} is sent as json")
    uri = data.get("uri")
    if isinstance(uri, str):
        scheme = _SCHEME.match(uri.split("{{", 1)[0])
        if scheme is not None and scheme.group(1).lower() not in ("http", "https"):
            report.error("data.uri", f"fetch needs an http or https uri, not {scheme.group(1)!r}")


def _check_sandbox(data: dict[str, Any], report: Reporter, index: BotIndex) -> None:
    runtime = data.get("runtime", "nodejs")
    if runtime not in RUNTIMES:
        report.error("data.runtime", f"unknown runtime {runtime!r} (known: nodejs, python)")
    size = len(str(data.get("script", "")).encode("utf-8"))
    if size > MAX_SCRIPT_BYTES:
        report.error("data.script", f"script is {size} bytes; at most {MAX_SCRIPT_BYTES}")


def _check_back(data: dict[str, Any], report: Reporter, index: BotIndex) -> None:
    count = data.get("count")
    if count is not None and count < 1:
        report.error("data.count", f"count must be 1 or more, not {count}")


def _check_manual(data: dict[str, Any], report: Reporter, index: BotIndex) -> None:
    if data.get("messages") is not None:
        check_templates(data["messages"], "data.messages", report)


_NODE_CHECKS: Final[dict[str, Callable[[dict[str, Any], Reporter, BotIndex], None]]] = {
    "response": _check_response,
    "keyboard": _check_keyboard,
    "flow": _check_flow_node,
    "parameter": _check_parameter,
    "fetch": _check_fetch,
    "sandbox": _check_sandbox,
    "back": _check_back,
    "manual": _check_manual,
}


def check_edges(edges: list[Any], node_ids: dict[str, int], report: Reporter) -> None:
    for i, edge in enumerate(edges):
        path = f"next[{i}]"
        target = edge.get("nodeId")
        if id_key(target) not in node_ids:
            report.error(join_path(path, "nodeId"), f"no node {format_id(target)} in this flow")
        priority = edge.get("priority")
        if priority is not None:
            if isinstance(priority, bool) or not isinstance(priority, int):
                report.error(
                    join_path(path, "priority"), f"priority must be an integer, not {priority!r}"
                )
            elif priority < 0:
                report.error(
                    join_path(path, "priority"), f"priority must be 0 or more, not {priority}"
                )
        where = edge.get("where")
        if where is not None:
            try:
                compile_where(where)
            except ConditionError as exc:
                report.error(join_path(path, exc.path), exc.message)


def _check_nlp(data: Any, report: Reporter) -> bool:
    """Check a local engine's data (flowbot.nlp.spec); False for a cloud engine (unsupported)."""
    from flowbot.nlp.spec import is_local, parse_spec

    if not is_local(data):
        return False
    for issue in parse_spec(data)[1]:
        (report.error if issue.severity == "error" else report.warning)(issue.path, issue.message)
    return True


def check_node(
    node: dict[str, Any], node_ids: dict[str, int], report: Reporter, index: BotIndex
) -> None:
    kind = node.get("type")
    if kind == "nlp" and _check_nlp(node.get("data"), report):
        pass
    elif kind in UNSUPPORTED_NODE_TYPES:
        # in CLOSER's guide: the bot loads, and a turn that reaches the node fails
        message = unsupported_node_message(kind)
        if kind == "nlp":
            from flowbot.nlp.spec import cloud_engine_message

            message = cloud_engine_message(node.get("data"))
        report.warning(
            "type",
            f"{message}: a turn that reaches it answers with the "
            "error system message (call the service from a fetch or sandbox node instead)",
        )
    elif kind not in NODE_TYPES:
        report.error("type", f"unknown node type {kind!r} (known: {', '.join(NODE_TYPES)})")
    elif (check := _NODE_CHECKS.get(kind)) is not None:
        data = node.get("data")
        check(data if isinstance(data, dict) else {}, report, index)
    check_edges(node.get("next") or [], node_ids, report)
