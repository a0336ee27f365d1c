from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from flowbot.format import (
    BotLoadError,
    export_bot,
    export_source,
    load_bot,
    load_bot_data,
    read_bot,
)
from flowbot.format.load import read_document
from flowbot.format.models import KeyboardNode, ResponseNode, id_key

from .builders import bot, edge, entry, flow, node, simple_flow, text

DATA = Path(__file__).parent / "data"


def test_bot_file() -> None:
    loaded = load_bot(DATA / "coffee.bot.json")
    assert loaded.title == "커피 주문 봇"
    assert [flow.id for flow in loaded.flows] == [1, 2]
    assert loaded.preference.fallback_flow_id == 2
    assert isinstance(loaded.flows[0].nodes[1], ResponseNode)


def test_single_flow_yaml_file_is_a_one_flow_bot() -> None:
    loaded = read_bot(DATA / "greeting.flow.yaml")
    assert loaded.lone_flow and loaded.warnings == []
    only = loaded.bot.flows[0]
    assert only.id == "greeting"
    assert loaded.bot.title == "인사"
    assert loaded.bot.preference.entry_flow_id == "greeting"
    assert loaded.bot.preference.fallback_flow_id == "greeting"


def test_yaml_keeps_yes_and_no_as_strings() -> None:
    wait = load_bot(DATA / "greeting.flow.yaml").flows[0].nodes[2]
    assert isinstance(wait, KeyboardNode) and wait.data.buttons is not None
    assert [reply.label for reply in wait.data.buttons] == ["yes", "no"]


def test_folder_of_flow_files_with_bot_yaml() -> None:
    loaded = read_bot(DATA / "folder-bot")
    assert not loaded.lone_flow
    folder_bot = loaded.bot
    assert folder_bot.title == "폴더 봇"
    assert [flow.id for flow in folder_bot.flows] == [10, 20]
    # the first flow file starts the bot; bot.yaml's settings are kept
    assert folder_bot.preference.entry_flow_id == 10
    assert folder_bot.preference.fallback_flow_id == 20
    assert folder_bot.preference.session_behavior.restore_navigation is False


def test_folder_problems_name_the_flow_file(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(simple_flow(1)), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(flow(2, entry(1, edge(5)))), encoding="utf-8")
    with pytest.raises(BotLoadError) as info:
        load_bot(tmp_path)
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path / 'b.json'}: flow 2 node 1 next[0].nodeId: no node 5 in this flow"
    ]


def test_folder_links_between_flow_files_are_checked_as_a_bot(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        json.dumps(simple_flow(1, node(3, "flow", {"flowId": 3}))), encoding="utf-8"
    )
    (tmp_path / "b.yaml").write_text(json.dumps(simple_flow(2)), encoding="utf-8")
    with pytest.raises(BotLoadError) as info:
        load_bot(tmp_path)
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path / 'a.yaml'}: flow 1 node 3 data.flowId: no flow 3 in the bot"
    ]


def test_folder_bot_file_with_flows_and_other_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "bot.json").write_text(json.dumps({"flows": []}), encoding="utf-8")
    (tmp_path / "notes.json").write_text(json.dumps({"hello": 1}), encoding="utf-8")
    (tmp_path / "readme.txt").write_text("ignored", encoding="utf-8")
    with pytest.raises(BotLoadError) as info:
        load_bot(tmp_path)
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path / 'bot.json'}: flows: a folder's bot file holds title and preference only; "
        "put each flow in its own file",
        f'{tmp_path / "notes.json"}: expected a flow file ({{"id", "title", "data", "nodes"}})',
    ]


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(BotLoadError) as info:
        load_bot(tmp_path)
    assert str(info.value.problems[0]).endswith(
        "no flow files (*.json, *.yaml, *.yml) in the folder"
    )


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("title: x\nflows: [\n  - a\n", encoding="utf-8")
    with pytest.raises(BotLoadError) as info:
        read_document(path)
    message = str(info.value.problems[0])
    assert message.startswith(f"{path}: invalid YAML at line 3 column 3")


def test_load_bot_data_refuses_errors_and_logs_warnings(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(BotLoadError) as info:
        load_bot_data(bot(flow(1, text(2))), "api")
    assert [str(p) for p in info.value.problems] == [
        "api: flow 1 nodes: no entry node: a flow needs exactly one node of type entry"
    ]
    assert "1 error(s)" in str(info.value)
    data = bot(simple_flow(1, node(3, "flow", {"flowId": 1, "nodeID": 2})))
    with caplog.at_level(logging.WARNING, logger="flowbot.format"):
        loaded = load_bot_data(data, "api")
    assert id_key(loaded.flows[0].id) == "1"
    assert 'data.nodeID: unknown key (did you mean "nodeId"?)' in caplog.text


def test_notes_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    data = bot(simple_flow(1, node(3, "flow", {"flowId": "{{params.f}}"})))
    with caplog.at_level(logging.DEBUG, logger="flowbot.format"):
        load_bot_data(data, "api")
    assert caplog.text == ""


def test_string_and_integer_ids_are_kept_as_given() -> None:
    data = bot(flow("main", entry("start", edge(2)), text(2), data={"entry": "start"}))
    loaded = load_bot_data(data, "api")
    assert loaded.flows[0].id == "main"
    assert [n.id for n in loaded.flows[0].nodes] == ["start", 2]
    assert export_bot(loaded) == data


def test_lone_flow_export_gives_the_flow_back_and_export_bot_a_bot() -> None:
    data = simple_flow(4)
    loaded = load_bot_data(data, "api")
    assert export_source(loaded) == data
    as_bot = export_bot(loaded)
    assert as_bot["flows"] == [data]
    assert as_bot["preference"] == {"entryFlowId": 4, "fallbackFlowId": 4}
