"""Misspelt keys: `flowbot validate` names each with its JSON path and the closest known key.

One row per misspelling, each run through the command line. An unknown key is
a warning, except on an edge without `where`, where one that reads as a
condition is an error (the edge would be taken unconditionally). Unknown keys
are still kept on export. The real CLOSER exports and the shipped examples
gain no line.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flowbot.cli import app
from flowbot.format import export_bot, load_bot_data
from flowbot.format.keys import KNOWN_UNUSED
from flowbot.format.models import Bot, ManualData, Media

from .builders import bot, edge, entry, flow, node, simple_flow, text

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "closer-exports"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

runner = CliRunner()


def _keyboard(data: dict[str, Any]) -> dict[str, Any]:
    return bot(simple_flow(1, node(3, "keyboard", data)))


def _message(message: dict[str, Any]) -> dict[str, Any]:
    return bot(flow(1, entry(1), node(2, "response", {"message": message})))


def _node(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    return bot(simple_flow(1, node(3, type_, data)))


def _edges(*edges: dict[str, Any]) -> dict[str, Any]:
    return bot(flow(1, entry(1, *edges), text(2), text(3)))


WHERE = {"message": {"equals": "yes"}}

# (id, bot data, the line after `PATH: `, exit code)
ROWS: list[tuple[str, dict[str, Any], str, int]] = [
    (
        "message delay",
        bot(flow(1, entry(1), text(2, dealy=2))),
        'warning: flow 1 node 2 data.message.dealy: unknown key (did you mean "delay"?)',
        0,
    ),
    (
        "message meta custom",
        bot(flow(1, entry(1), text(2, meta={"costum": "x"}))),
        'warning: flow 1 node 2 data.message.meta.costum: unknown key (did you mean "custom"?)',
        0,
    ),
    (
        "button payload, another case",
        bot(
            flow(1, entry(1), text(2, buttons=[{"type": "postback", "label": "a", "payLoad": "x"}]))
        ),
        "warning: flow 1 node 2 data.message.buttons[0].payLoad: "
        'unknown key (did you mean "payload"?)',
        0,
    ),
    (
        "link button url",
        bot(
            flow(
                1,
                entry(1),
                text(2, buttons=[{"type": "link", "label": "a", "uri": "https://a.b", "url": "x"}]),
            )
        ),
        'warning: flow 1 node 2 data.message.buttons[0].url: unknown key (did you mean "uri"?)',
        0,
    ),
    (
        "goto button flow id",
        bot(
            flow(
                1,
                entry(1),
                text(2, buttons=[{"type": "goto", "label": "a", "flowId": 1, "nodeid": 2}]),
            )
        ),
        "warning: flow 1 node 2 data.message.buttons[0].nodeid: "
        'unknown key (did you mean "nodeId"?)',
        0,
    ),
    (
        "card title",
        _message({"type": "cards", "cards": [{"titel": "Bulbasaur"}]}),
        'warning: flow 1 node 2 data.message.cards[0].titel: unknown key (did you mean "title"?)',
        0,
    ),
    (
        "media content type",
        _message({"type": "media", "media": {"uri": "https://a.b/c.png", "contentype": "image"}}),
        "warning: flow 1 node 2 data.message.media.contentype: "
        'unknown key (did you mean "contentType"?)',
        0,
    ),
    (
        "location latitude",
        _message({"type": "location", "latitude": 1, "longitude": 2, "lable": "Seoul"}),
        'warning: flow 1 node 2 data.message.lable: unknown key (did you mean "label"?)',
        0,
    ),
    (
        "keyboard quick replies",
        _keyboard({"type": "buttons", "quickReplies": [{"label": "yes"}]}),
        'warning: flow 1 node 3 data.quickReplies: unknown key (did you mean "buttons"?)',
        0,
    ),
    (
        "quick reply label",
        _keyboard({"buttons": [{"label": "yes", "paylaod": "y"}, {"label": "no"}]}),
        'warning: flow 1 node 3 data.buttons[0].paylaod: unknown key (did you mean "payload"?)',
        0,
    ),
    (
        "flow node flow id",
        _node("flow", {"flowId": 1, "nodeID": 2}),
        'warning: flow 1 node 3 data.nodeID: unknown key (did you mean "nodeId"?)',
        0,
    ),
    (
        "parameter value",
        _node("parameter", {"type": "set", "params": [{"key": "a", "vlaue": "1"}]}),
        'warning: flow 1 node 3 data.params[0].vlaue: unknown key (did you mean "value"?)',
        0,
    ),
    (
        "fetch method",
        _node("fetch", {"uri": "https://a.b", "methd": "POST"}),
        'warning: flow 1 node 3 data.methd: unknown key (did you mean "method"?)',
        0,
    ),
    (
        "sandbox script",
        _node("sandbox", {"script": "", "scirpt": "module.exports = () => 1"}),
        'warning: flow 1 node 3 data.scirpt: unknown key (did you mean "script"?)',
        0,
    ),
    (
        "back operation",
        _node("back", {"opration": "clear"}),
        'warning: flow 1 node 3 data.opration: unknown key (did you mean "operation"?)',
        0,
    ),
    (
        "manual cancel",
        _node("manual", {"messages": "One moment", "cancle": "stop"}),
        'warning: flow 1 node 3 data.cancle: unknown key (did you mean "cancel"?)',
        0,
    ),
    (
        "node label",
        bot(flow(1, entry(1), {**text(2), "lable": "greeting"})),
        'warning: flow 1 node 2 lable: unknown key (did you mean "label"?)',
        0,
    ),
    (
        "node next",
        bot(flow(1, {"id": 1, "type": "entry", "data": {}, "nxt": [edge(2)]}, text(2))),
        'warning: flow 1 node 1 nxt: unknown key (did you mean "next"?)',
        0,
    ),
    (
        "flow title",
        bot(flow(1, entry(1), text(2), titel="main")),
        'warning: flow 1 titel: unknown key (did you mean "title"?)',
        0,
    ),
    (
        "flow entry",
        bot(flow(1, entry(1), text(2), data={"entyr": 1})),
        'warning: flow 1 data.entyr: unknown key (did you mean "entry"?)',
        0,
    ),
    (
        "bot preference",
        {**bot(simple_flow(1)), "preferences": {}},
        'warning: preferences: unknown key (did you mean "preference"?)',
        0,
    ),
    (
        "session behaviour, British",
        bot(simple_flow(1), sessionBehaviour={"restoreNavigation": False}),
        'warning: preference.sessionBehaviour: unknown key (did you mean "sessionBehavior"?)',
        0,
    ),
    (
        "system message",
        bot(simple_flow(1), systemMessage={"eror": "Oops"}),
        'warning: preference.systemMessage.eror: unknown key (did you mean "error"?)',
        0,
    ),
    (
        "fallback flow id",
        bot(simple_flow(1), fallbackFlowID=1),
        'warning: preference.fallbackFlowID: unknown key (did you mean "fallbackFlowId"?)',
        0,
    ),
    (
        "edge priority",
        _edges(edge(2, priority=None) | {"priorty": 1}),
        'warning: flow 1 node 1 next[0].priorty: unknown key (did you mean "priority"?)',
        0,
    ),
    (
        "edge where, with a where beside it",
        _edges(edge(2, WHERE) | {"wehre": {"message": {"equals": "no"}}}, edge(3)),
        'warning: flow 1 node 1 next[0].wehre: unknown key (did you mean "where"?)',
        0,
    ),
    (
        "edge where, the only condition",
        _edges({"nodeId": 2, "wehre": WHERE}, edge(3)),
        'flow 1 node 1 next[0].wehre: unknown key (did you mean "where"?); '
        "without a where this edge is taken unconditionally",
        1,
    ),
    (
        "edge where, another case",
        _edges({"nodeId": 2, "Where": WHERE}, edge(3)),
        'flow 1 node 1 next[0].Where: unknown key (did you mean "where"?); '
        "without a where this edge is taken unconditionally",
        1,
    ),
    (
        "edge condition under another name",
        _edges({"nodeId": 2, "condition": WHERE}, edge(3)),
        "flow 1 node 1 next[0].condition: unknown key (known keys: nodeId, where, priority); "
        "without a where this edge is taken unconditionally",
        1,
    ),
    (
        "edge node id",
        _edges({"nodeid": 2, "where": WHERE}, edge(3)),
        'warning: flow 1 node 1 next[0].nodeid: unknown key (did you mean "nodeId"?)',
        1,  # and nodeId is missing: an error of its own
    ),
    (
        "a key close to nothing",
        bot(flow(1, entry(1), text(2, colour="red"))),
        "warning: flow 1 node 2 data.message.colour: "
        "unknown key (known keys: type, meta, delay, text, buttons)",
        0,
    ),
]


def run_validate(tmp_path: Path, data: Any, *options: str) -> tuple[int, list[str]]:
    path = tmp_path / "bot.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path), *options])
    lines = result.output.splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    return result.exit_code, [line.removeprefix(f"{path}: ") for line in lines]


@pytest.mark.parametrize(
    ("data", "line", "code"), [row[1:] for row in ROWS], ids=[r[0] for r in ROWS]
)
def test_a_misspelt_key_is_named_with_the_closest_known_key(
    tmp_path: Path, data: dict[str, Any], line: str, code: int
) -> None:
    exit_code, lines = run_validate(tmp_path, data)
    assert line in lines
    unknown = [found for found in lines if "unknown key" in found]
    assert unknown == [line]
    assert exit_code == code


@pytest.mark.parametrize(
    "data", [row[1] for row in ROWS if row[3] == 0], ids=[r[0] for r in ROWS if r[3] == 0]
)
def test_unknown_keys_are_kept_on_export(data: dict[str, Any]) -> None:
    assert export_bot(load_bot_data(copy.deepcopy(data), "bot")) == data


def test_snake_case_names_get_the_file_spelling(tmp_path: Path) -> None:
    # the models accept `flow_id` from Python code; a file spells it `flowId`
    button = {"type": "goto", "label": "again", "flowId": 1, "node_id": 2}
    code, lines = run_validate(tmp_path, bot(flow(1, entry(1), text(2, buttons=[button]))))
    assert lines == [
        "warning: flow 1 node 2 data.message.buttons[0].node_id: "
        'unknown key (did you mean "nodeId"?)'
    ]
    assert code == 0


def test_known_but_unused_keys_are_not_reported(tmp_path: Path) -> None:
    expected = {Media: {"s3"}, Bot: {"description"}, ManualData: {"message", "cancel"}}
    assert expected == KNOWN_UNUSED
    media = {"uri": "https://a.b/c.png", "contentType": "image", "s3": {}}
    manual = {"messages": "One moment", "message": {"kakao": "Call us"}, "cancel": ["stop"]}
    data = {
        **bot(simple_flow(1, node(3, "manual", manual))),
        "description": "a bot that shows a picture",
    }
    data["flows"][0]["nodes"].append(
        node(4, "response", {"message": {"type": "media", "media": media}})
    )
    assert run_validate(tmp_path, data) == (0, [])


def test_plain_data_and_the_nodes_flowbot_does_not_run_are_not_walked(tmp_path: Path) -> None:
    fetch = {"uri": "https://a.b", "headers": {"X-Anything": "1"}}
    keyboard = {"messages": {"mismatch": "Pick one"}}
    email = {"to": "a@b.c", "replyTo": "x", "anyKey": 1}
    data = bot(
        simple_flow(
            1,
            {**node(3, "fetch", fetch), "meta": {"design": {"x": 1, "y": 2}, "note": "mine"}},
            node(4, "keyboard", keyboard),
            node(5, "parameter", {"params": [{"key": "a", "value": {"anything": 1}}]}),
            node(6, "email", email),
        )
    )
    _, lines = run_validate(tmp_path, data)
    assert [line for line in lines if "unknown key" in line] == []


def test_a_structurally_broken_node_still_gets_its_hint(tmp_path: Path) -> None:
    link = {"type": "link", "label": "a", "url": "https://a.b"}
    code, lines = run_validate(tmp_path, bot(flow(1, entry(1), text(2, buttons=[link]))))
    assert lines == [
        "flow 1 node 2 data.message.buttons[0].uri: required field is missing",
        'warning: flow 1 node 2 data.message.buttons[0].url: unknown key (did you mean "uri"?)',
    ]
    assert code == 1


def test_a_lone_flow_file_is_checked_too(tmp_path: Path) -> None:
    data = {**simple_flow(7), "nodez": []}
    code, lines = run_validate(tmp_path, data)
    assert lines == ['warning: flow 7 nodez: unknown key (did you mean "nodes"?)']
    assert code == 0


def _closer_exports() -> list[Path]:
    return sorted(SHARED.glob("*.json")) if SHARED.is_dir() else []


@pytest.mark.parametrize("path", _closer_exports(), ids=lambda p: p.name)
def test_real_closer_exports_have_no_unknown_keys(path: Path) -> None:
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "unknown key" not in result.output


def test_real_closer_exports_are_present_or_skipped() -> None:
    if not _closer_exports():
        pytest.skip("the real CLOSER exports (../shared/closer-exports) are not present")
    assert len(_closer_exports()) >= 5


def test_the_examples_validate_without_a_line() -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLES)])
    assert (result.exit_code, result.output) == (0, "")
