"""`flowbot validate` on nlp nodes: a cloud engine is warned about, local data is checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flowbot.cli import app

runner = CliRunner()
GOOD: dict[str, Any] = {
    "engine": "local",
    "intents": [{"name": "a", "examples": ["하나", "둘"]}, {"name": "b", "examples": ["셋", "넷"]}],
}


def validate(tmp_path: Path, data: dict[str, Any]) -> tuple[int, list[str]]:
    bot = {
        "flows": [
            {
                "id": 1,
                "data": {"entry": 1},
                "nodes": [
                    {"id": 1, "type": "entry", "data": {}, "next": [{"nodeId": 2}]},
                    {"id": 2, "type": "keyboard", "data": {}, "next": [{"nodeId": 3}]},
                    {"id": 3, "type": "nlp", "data": data, "next": []},
                ],
            }
        ]
    }
    path = tmp_path / "bot.json"
    path.write_text(json.dumps(bot, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    return result.exit_code, [line.removeprefix(f"{path}: ") for line in result.output.splitlines()]


def test_a_good_local_node_is_clean(tmp_path: Path) -> None:
    assert validate(tmp_path, GOOD) == (0, [])


def test_a_cloud_engine_is_a_warning_naming_it(tmp_path: Path) -> None:
    code, lines = validate(tmp_path, {"engine": "dialogflow", "agentId": "x"})
    assert code == 0
    assert lines == [
        "warning: flow 1 node 3 type: the nlp node with engine 'dialogflow' does not run in "
        "flowbot (use engine 'local'): a turn that reaches it answers with the error system "
        "message (call the service from a fetch or sandbox node instead)"
    ]


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            {"intents": [GOOD["intents"][0], {"name": "b", "examples": "셋"}]},
            "flow 1 node 3 data.intents[1].examples: examples must be a list of texts",
        ),
        (
            {"intents": [GOOD["intents"][0], {"name": "b", "examples": ["셋", ""]}]},
            "flow 1 node 3 data.intents[1].examples[1]: an example is 1 to 1000 characters",
        ),
        ({"intents": []}, "flow 1 node 3 data.intents: the local engine needs a list of intents"),
        (
            {"intents": [GOOD["intents"][0], GOOD["intents"][0]]},
            "flow 1 node 3 data.intents[1].name: intent 'a' is also another intent",
        ),
        ({"threshold": 2}, "flow 1 node 3 data.threshold: threshold must be a number from 0 to 1"),
        (
            {"entities": [{"name": "x", "type": "regex", "pattern": "("}]},
            "flow 1 node 3 data.entities[0].pattern: invalid regex '(': ",
        ),
        (
            {"entities": [{"name": "x", "type": "color"}]},
            "flow 1 node 3 data.entities[0].type: type 'color' is not one of list, number, "
            "datetime, regex",
        ),
        (
            {"entities": [{"name": "x", "type": "list", "values": [{"synonyms": []}]}]},
            "flow 1 node 3 data.entities[0].values[0].value: a value is a text",
        ),
        ({"timezone": "Mars/Base"}, "flow 1 node 3 data.timezone: unknown time zone 'Mars/Base'"),
    ],
)
def test_malformed_local_data_names_flow_node_and_path(
    tmp_path: Path, change: dict[str, Any], line: str
) -> None:
    code, lines = validate(tmp_path, {**GOOD, **change})
    assert code == 1
    assert any(got.startswith(line) for got in lines), lines


def test_warnings_for_unknown_keys_and_single_examples(tmp_path: Path) -> None:
    data = {
        **GOOD,
        "treshold": 0.3,
        "intents": [*GOOD["intents"], {"name": "c", "examples": ["x"]}],
    }
    code, lines = validate(tmp_path, data)
    assert code == 0
    assert lines[0].startswith("warning: flow 1 node 3 data.treshold: unknown key")
    assert lines[1] == (
        "warning: flow 1 node 3 data.intents[2].examples: "
        "one example only: give each intent several"
    )
