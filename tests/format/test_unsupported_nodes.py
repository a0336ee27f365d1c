"""Node types of CLOSER's guide that flowbot does not run: they load, export unchanged and warn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flowbot.cli import app
from flowbot.engine import load_program
from flowbot.format import BotLoadError, export_source, load_bot, read_bot, read_bot_data
from flowbot.format.models import (
    NODE_TYPES,
    UNSUPPORTED_NODE_TYPES,
    Bot,
    ChitchatNode,
    EmailNode,
    GsheetNode,
    NlpNode,
    UnknownNode,
)

from .builders import bot, edge, entry, flow, node, text

runner = CliRunner()

WARNING = (
    "the {} node does not run in flowbot: a turn that reaches it answers with the "
    "error system message (call the service from a fetch or sandbox node instead)"
)

# data as CLOSER's guide describes each node (the exported keys are not published:
# these are plausible, and whatever they are, flowbot keeps them as given)
DATA: dict[str, dict[str, Any]] = {
    "nlp": {
        "provider": "dialogflow",
        "agent": {"id": 12, "name": "shop-agent", "projectId": "shop-1a2b"},
        "language": "ko",
        "query": "{{message.text}}",
    },
    "chitchat": {"service": "pingpong", "persona": None, "fallback": ["몰라요", "다시요"]},
    "email": {
        "to": "support@example.com",
        "replyTo": "{{params.email}}",
        "subject": "문의: {{params.name}}",
        "body": "{{params.name}} ({{params.phonenumber}})\n{{message.text}}",
    },
    "gsheet": {
        "token": 3,
        "spreadsheetId": "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
        "sheetName": "신청",
        "columns": ["이름", "전화번호"],
        "values": ["{{params.name}}", "{{params.phonenumber}}"],
        "append": True,
    },
}
MODELS = {"nlp": NlpNode, "chitchat": ChitchatNode, "email": EmailNode, "gsheet": GsheetNode}


def bot_with(kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """entry 1 → node 2 of `kind` → response 3 (on a condition, as a builder draws it)."""
    given = DATA[kind] if data is None else data
    odd = node(2, kind, given, edge(3, {f"{kind}.error": {"exists": False}}, priority=1))
    odd["label"] = f"{kind} step"
    odd["meta"] = {"design": {"x": 240, "y": 80}}
    return bot(flow(1, entry(1), odd, text(3, "done"), data={"entry": 1}))


def validate(tmp_path: Path, data: Any, name: str = "bot.json") -> tuple[int, list[str]]:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    lines = result.output.splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    return result.exit_code, [line.removeprefix(f"{path}: ") for line in lines]


def test_the_guide_only_types_are_not_among_the_types_that_run() -> None:
    assert UNSUPPORTED_NODE_TYPES == ("nlp", "chitchat", "email", "gsheet")
    assert not set(UNSUPPORTED_NODE_TYPES) & set(NODE_TYPES)


# --- load and export -----------------------------------------------------------


@pytest.mark.parametrize("kind", UNSUPPORTED_NODE_TYPES)
def test_loads_as_its_own_model_keeping_every_data_key(kind: str) -> None:
    loaded = read_bot_data(bot_with(kind))
    model = loaded.bot.flows[0].nodes[1]
    assert type(model) is MODELS[kind]
    assert model.type == kind and model.label == f"{kind} step"
    assert model.data.model_dump(mode="json", by_alias=True, exclude_unset=True) == DATA[kind]


@pytest.mark.parametrize("kind", UNSUPPORTED_NODE_TYPES)
def test_export_gives_back_the_bot_and_the_data_byte_for_byte(kind: str) -> None:
    original = bot_with(kind)
    exported = export_source(read_bot_data(original).bot)
    assert exported == original
    # the data keeps its keys in their order too, so it serialises to the same bytes
    data = exported["flows"][0]["nodes"][1]["data"]
    assert json.dumps(data, ensure_ascii=False) == json.dumps(DATA[kind], ensure_ascii=False)


@pytest.mark.parametrize("kind", UNSUPPORTED_NODE_TYPES)
def test_a_flow_file_round_trips_through_a_file(tmp_path: Path, kind: str) -> None:
    original = bot_with(kind)["flows"][0]
    path = tmp_path / f"{kind}.flow.json"
    path.write_text(json.dumps(original, ensure_ascii=False), encoding="utf-8")
    assert export_source(load_bot(path)) == original


def test_a_node_without_data_or_with_empty_data_round_trips() -> None:
    without = bot_with("chitchat")
    del without["flows"][0]["nodes"][1]["data"]
    assert export_source(read_bot_data(without).bot) == without
    empty = bot_with("nlp", {})
    assert export_source(read_bot_data(empty).bot) == empty


def test_snake_case_keys_in_the_data_stay_as_written() -> None:
    # no declared fields: nothing is renamed to camelCase on export
    data = {"sheet_name": "a", "spreadsheetId": "b", "reply_to": "c"}
    original = bot_with("gsheet", data)
    assert export_source(read_bot_data(original).bot) == original


def test_a_bot_with_every_such_node_loads_and_compiles() -> None:
    nodes = [node(i + 2, kind, DATA[kind]) for i, kind in enumerate(UNSUPPORTED_NODE_TYPES)]
    data = bot(flow(1, entry(1), *nodes))
    loaded = read_bot_data(data)
    assert [p.path for p in loaded.warnings] == ["type"] * 4
    program = load_program(loaded.bot)
    compiled = [program.node(1, i + 2) for i in range(4)]
    assert [n.type if n else None for n in compiled] == list(UNSUPPORTED_NODE_TYPES)


# --- the validator -------------------------------------------------------------


@pytest.mark.parametrize("kind", UNSUPPORTED_NODE_TYPES)
def test_validate_warns_naming_flow_node_and_path(tmp_path: Path, kind: str) -> None:
    code, lines = validate(tmp_path, bot_with(kind))
    assert lines == [f"warning: flow 1 node 2 type: {WARNING.format(kind)}"]
    assert code == 0


def test_validate_warns_once_per_node_in_every_flow(tmp_path: Path) -> None:
    data = bot(
        flow(1, entry(1), node(2, "email", DATA["email"]), node(3, "gsheet", DATA["gsheet"])),
        flow("faq", entry(1, edge("ask")), node("ask", "nlp", DATA["nlp"], edge(9))),
    )
    code, lines = validate(tmp_path, data)
    assert lines == [
        f"warning: flow 1 node 2 type: {WARNING.format('email')}",
        f"warning: flow 1 node 3 type: {WARNING.format('gsheet')}",
        f"warning: flow faq node ask type: {WARNING.format('nlp')}",
        "flow faq node ask next[0].nodeId: no node 9 in this flow",  # edges are still checked
    ]
    assert code == 1


def test_validate_warns_in_a_lone_flow_file(tmp_path: Path) -> None:
    data = flow(5, entry(1, edge(2)), node(2, "chitchat"), data={"entry": 1})
    code, lines = validate(tmp_path, data, "small-talk.flow.json")
    assert (code, lines) == (0, [f"warning: flow 5 node 2 type: {WARNING.format('chitchat')}"])


def test_the_data_must_still_be_an_object(tmp_path: Path) -> None:
    data = bot_with("email")
    data["flows"][0]["nodes"][1]["data"] = ["support@example.com"]
    code, lines = validate(tmp_path, data)
    assert code == 1
    assert [line for line in lines if not line.startswith("warning:")] == [
        "flow 1 node 2 data: Input should be a valid dictionary or instance of EmailData, "
        'got ["support@example.com"]'
    ]


# --- a truly unknown type is still refused ---------------------------------------


@pytest.mark.parametrize("kind", ["teleport", "NLP", "google-sheet", "mail"])
def test_an_unknown_type_is_still_a_load_error(tmp_path: Path, kind: str) -> None:
    data = bot_with("nlp")
    data["flows"][0]["nodes"][1]["type"] = kind
    known = ", ".join(NODE_TYPES)
    code, lines = validate(tmp_path, data)
    assert (code, lines) == (
        1,
        [f"flow 1 node 2 type: unknown node type {kind!r} (known: {known})"],
    )
    path = tmp_path / "bot.json"
    with pytest.raises(BotLoadError) as caught:
        read_bot(path)
    assert [str(p) for p in caught.value.problems] == [f"{path}: {lines[0]}"]
    assert type(Bot.model_validate(data).flows[0].nodes[1]) is UnknownNode
