"""Writing a bot back to its file or folder: what is written loads back as the same bot."""

from __future__ import annotations

import copy
import difflib
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowbot.format import BotLoadError, export_bot, load_bot, load_bot_data, read_bot
from flowbot.format.load import read_document
from flowbot.format.models import Bot
from flowbot.format.write import (
    SourceWriteError,
    WritePlan,
    json_text,
    ordered_like,
    plan_write,
    yaml_text,
)

REPO = Path(__file__).resolve().parents[2]
POKEMON = REPO / "examples" / "pokemon.yaml"
FOLDER = REPO / "examples" / "flow-navigation"


def files_of(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def written(path: Path, bot: Bot, current: Bot | None = None) -> WritePlan:
    plan = plan_write(path, bot, current=current)
    plan.apply()
    return plan


def echo_flow(flow_id: int = 1, title: str = "Echo", text: str = "You said {{message}}") -> Any:
    return {
        "id": flow_id,
        "title": title,
        "data": {"entry": 1},
        "nodes": [
            {"id": 1, "type": "entry", "data": {}, "next": [{"nodeId": 2}]},
            {
                "id": 2,
                "type": "response",
                "data": {"message": {"type": "text", "text": text}},
                "next": [],
            },
        ],
    }


# --- the texts -------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"]))
    | st.text(st.sampled_from("a \n\r\t\x00\x85\u2028\u2029\ufeff'\"#:-?"), max_size=8)
    | st.sampled_from(["yes", "no", "on", "off", "~", "null", "1.0", "0o17", "2024-01-01", ""]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(exclude_categories=["Cs"])), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_json_and_yaml_texts_read_back_as_the_same_value(tmp_path: Path, value: Any) -> None:
    for name, text in (("bot.json", json_text(value)), ("bot.yaml", yaml_text(value))):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert read_document(path) == value, text


def test_yaml_text_keeps_unicode_and_key_order() -> None:
    text = yaml_text({"title": "포켓몬 ⚡", "answer": "yes", "a": 1})
    assert text.splitlines() == ["title: 포켓몬 ⚡", "answer: 'yes'", "a: 1"]
    assert json_text({"b": "é", "a": 1}) == '{\n  "b": "é",\n  "a": 1\n}\n'


# --- a file ----------------------------------------------------------------------------


def test_an_unchanged_yaml_bot_is_written_as_its_export(tmp_path: Path) -> None:
    path = tmp_path / "pokemon.yaml"
    shutil.copy(POKEMON, path)
    bot = load_bot(path)
    original = read_document(path)

    plan = written(path, load_bot_data(export_bot(bot)), current=bot)

    assert plan.kind == "file"
    # the export, its keys in the order the file had them (a small diff in git)
    assert path.read_text(encoding="utf-8") == yaml_text(ordered_like(export_bot(bot), original))
    assert export_bot(load_bot(path)) == export_bot(bot)
    before = path.read_bytes()
    written(path, load_bot(path), current=load_bot(path))
    assert path.read_bytes() == before  # writing it again changes nothing
    assert [p.name for p in tmp_path.iterdir()] == ["pokemon.yaml"]  # no temporary left


def test_a_json_bot_is_written_as_json(tmp_path: Path) -> None:
    path = tmp_path / "pokemon.bot.json"
    path.write_text(json.dumps(export_bot(load_bot(POKEMON))), encoding="utf-8")
    changed = export_bot(load_bot(path))
    changed["title"] = "Changed 🌱"

    written(path, load_bot_data(changed), current=load_bot(path))

    assert json.loads(path.read_text(encoding="utf-8")) == changed
    assert export_bot(load_bot(path)) == changed


def test_a_flow_file_stays_a_flow_file(tmp_path: Path) -> None:
    path = tmp_path / "echo.flow.json"
    path.write_text(json.dumps(echo_flow()), encoding="utf-8")
    current = load_bot(path)
    # what GET /api/bots/{id} gives for it: the bot shape of that one flow
    exported = export_bot(current)
    exported["flows"][0]["nodes"][1]["data"]["message"]["text"] = "Echo: {{message}}"

    plan = written(path, load_bot_data(exported), current=current)

    document = json.loads(path.read_text(encoding="utf-8"))
    assert document == echo_flow(text="Echo: {{message}}")
    assert read_bot(path).lone_flow
    assert export_bot(plan.bot) == exported == export_bot(load_bot(path))


def test_a_flow_file_takes_a_whole_bot_when_it_grows(tmp_path: Path) -> None:
    path = tmp_path / "echo.yaml"
    path.write_text(yaml_text(echo_flow()), encoding="utf-8")
    bigger = {"title": "Two", "flows": [echo_flow(1), echo_flow(2, "Two")]}

    written(path, load_bot_data(bigger), current=load_bot(path))

    assert not read_bot(path).lone_flow
    assert export_bot(load_bot(path)) == bigger


def test_an_imported_flow_file_is_written_as_one(tmp_path: Path) -> None:
    path = tmp_path / "pokemon.yaml"
    shutil.copy(POKEMON, path)

    written(path, load_bot_data(echo_flow()), current=load_bot(path))

    assert read_document(path) == echo_flow()
    assert read_bot(path).lone_flow


def test_the_file_keeps_its_permissions_and_its_symbolic_link(tmp_path: Path) -> None:
    real = tmp_path / "bots" / "pokemon.yaml"
    real.parent.mkdir()
    shutil.copy(POKEMON, real)
    real.chmod(0o640)
    link = tmp_path / "pokemon.yaml"
    link.symlink_to(real)
    changed = export_bot(load_bot(link))
    changed["title"] = "Linked"

    written(link, load_bot_data(changed), current=load_bot(link))

    assert link.is_symlink()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert load_bot(real).title == "Linked"


def test_a_read_only_file_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "pokemon.yaml"
    shutil.copy(POKEMON, path)
    path.chmod(0o444)
    before = path.read_bytes()

    with pytest.raises(SourceWriteError, match="read-only"):
        plan_write(path, load_bot_data(echo_flow()), current=load_bot(path))

    assert path.read_bytes() == before


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pokemon.yaml"
    shutil.copy(POKEMON, path)
    before = path.read_bytes()
    plan = plan_write(path, load_bot_data(echo_flow()), current=load_bot(path))

    def full(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(SourceWriteError, match="No space left on device"):
        plan.apply()

    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["pokemon.yaml"]


# --- a folder --------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copied = tmp_path / "flow-navigation"
    shutil.copytree(FOLDER, copied)
    return copied


def test_an_unchanged_folder_bot_loads_back_the_same(folder: Path) -> None:
    bot = load_bot(folder)
    names = sorted(files_of(folder))
    menu = read_document(folder / "1-menu.yaml")

    plan = written(folder, load_bot_data(export_bot(bot)))

    assert plan.kind == "folder"
    assert sorted(files_of(folder)) == names
    assert export_bot(load_bot(folder)) == export_bot(bot) == export_bot(plan.bot)
    # each flow keeps its file and that file's format
    assert read_document(folder / "2-animals.json") == export_bot(bot)["flows"][1]
    assert (folder / "2-animals.json").read_text(encoding="utf-8").startswith("{\n")
    assert (folder / "1-menu.yaml").read_text(encoding="utf-8") == yaml_text(
        ordered_like(export_bot(bot)["flows"][0], menu)
    )
    before = files_of(folder)
    written(folder, load_bot(folder))
    assert files_of(folder) == before


def test_a_folder_adds_changes_and_removes_flow_files(folder: Path) -> None:
    bot = export_bot(load_bot(folder))
    bot["flows"][0]["title"] = "Main menu"
    del bot["flows"][2]  # the plant quiz (3-plant-quiz.yaml)
    bot["flows"].append(echo_flow(5, "Shop & Café"))
    bot["flows"].append(echo_flow(6, ""))
    bot["flows"][0]["nodes"][1]["data"]["message"]["buttons"].pop(1)  # no link to flow 3

    plan = written(folder, load_bot_data(bot))

    assert sorted(files_of(folder)) == [
        "1-menu.yaml",
        "2-animals.json",
        "4-fallback.yaml",
        "5-shop-café.yaml",
        "6-flow-6.yaml",
        "bot.yaml",
    ]
    assert read_document(folder / "1-menu.yaml")["title"] == "Main menu"
    assert read_document(folder / "5-shop-café.yaml") == echo_flow(5, "Shop & Café")
    assert export_bot(load_bot(folder)) == export_bot(plan.bot) == bot


def test_a_folder_names_the_entry_flow_when_the_first_file_does_not_start_it(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "bot"
    folder.mkdir()
    (folder / "menu.yaml").write_text(yaml_text(echo_flow(1, "Menu")), encoding="utf-8")
    (folder / "other.yaml").write_text(yaml_text(echo_flow(2, "Other")), encoding="utf-8")
    unchanged = export_bot(load_bot(folder))

    written(folder, load_bot_data(unchanged))
    # the first file starts the bot and no bot file said so: none is added
    assert sorted(files_of(folder)) == ["menu.yaml", "other.yaml"]

    starts_elsewhere = copy.deepcopy(unchanged)
    starts_elsewhere["preference"]["entryFlowId"] = 2
    starts_elsewhere["title"] = "Titled"
    starts_elsewhere["flows"].append(echo_flow(3, "Other"))  # a name taken: other-2.yaml
    written(folder, load_bot_data(starts_elsewhere))

    assert sorted(files_of(folder)) == ["bot.yaml", "menu.yaml", "other-2.yaml", "other.yaml"]
    assert read_document(folder / "bot.yaml") == {
        "title": "Titled",
        "preference": {"entryFlowId": 2},
    }
    loaded = load_bot(folder)
    assert loaded.preference.entry_flow_id == 2
    # in the files' order ("other-2.yaml" sorts before "other.yaml")
    assert [flow.id for flow in loaded.flows] == [1, 3, 2]
    flows = starts_elsewhere["flows"]
    assert export_bot(loaded) == {**starts_elsewhere, "flows": [flows[0], flows[2], flows[1]]}


def test_a_folder_bot_in_another_order_loads_in_file_order(folder: Path) -> None:
    bot = export_bot(load_bot(folder))
    bot["flows"].reverse()

    plan = written(folder, load_bot_data(bot))

    assert [flow.id for flow in plan.bot.flows] == [1, 2, 3, 4]
    assert export_bot(load_bot(folder)) == export_bot(plan.bot)


def test_a_lone_flow_that_links_elsewhere_does_not_fit_a_folder(folder: Path) -> None:
    flow = echo_flow()
    flow["nodes"][1]["type"] = "flow"
    flow["nodes"][1]["data"] = {"flowId": 7}
    lone = load_bot_data(flow)  # a warning in a flow file; an error in a bot
    before = files_of(folder)

    with pytest.raises(BotLoadError) as raised:
        plan_write(folder, lone)

    assert any("1-menu.yaml" in str(p) and p.is_error for p in raised.value.problems)
    assert files_of(folder) == before


def test_a_folder_with_a_file_that_is_not_a_flow_is_not_written(folder: Path) -> None:
    (folder / "notes.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    before = files_of(folder)

    with pytest.raises(SourceWriteError, match=r"notes\.yaml"):
        plan_write(folder, load_bot_data(echo_flow()))

    assert files_of(folder) == before


def test_a_read_only_flow_file_stops_the_folder_before_anything_is_written(folder: Path) -> None:
    (folder / "4-fallback.yaml").chmod(0o444)
    bot = export_bot(load_bot(folder))
    bot["title"] = "Changed"
    before = files_of(folder)

    with pytest.raises(SourceWriteError, match=r"4-fallback\.yaml is read-only"):
        plan_write(folder, load_bot_data(bot))

    assert files_of(folder) == before


def test_a_folder_write_that_fails_half_way_puts_the_files_back(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = export_bot(load_bot(folder))
    for flow in bot["flows"]:
        flow["title"] = f"{flow['title']} (new)"
    del bot["flows"][2]
    bot["flows"][0]["nodes"][1]["data"]["message"]["buttons"].pop(1)
    bot["flows"].append(echo_flow(5, "Shop"))
    before = files_of(folder)
    plan = plan_write(folder, load_bot_data(bot))
    replace = os.replace
    calls: list[str] = []

    def third_fails(source: str, target: str) -> None:
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        replace(source, target)

    monkeypatch.setattr(os, "replace", third_fails)
    with pytest.raises(SourceWriteError, match="put back"):
        plan.apply()

    assert files_of(folder) == before


def test_a_changed_message_changes_its_line_only_in_a_file_of_another_key_order(
    tmp_path: Path,
) -> None:
    # CLOSER writes a node's keys as id, label, type, data, meta, next, and no last newline
    flow = {
        "id": 1,
        "title": "Start",
        "nodes": [
            {"id": 1, "label": "Entry", "type": "entry", "data": {}, "next": [{"nodeId": 2}]},
            {
                "id": 2,
                "label": "Hello",
                "type": "response",
                "data": {"message": {"type": "text", "text": "Hello!"}},
                "meta": {"design": {"x": 10, "y": 20}},
                "next": [],
            },
        ],
    }
    path = tmp_path / "start.flow.json"
    path.write_text(json.dumps(flow, ensure_ascii=False, indent=2), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    bot = load_bot(path)
    changed = export_bot(bot)
    changed["flows"][0]["nodes"][1]["data"]["message"]["text"] = "Hi!"

    written(path, load_bot_data(changed), current=bot)

    after = path.read_text(encoding="utf-8")
    diff = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert diff == ['-          "text": "Hello!"', '+          "text": "Hi!"']
    assert not after.endswith("\n")
