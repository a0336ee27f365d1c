"""A folder is one bot, or a folder of separate bots that `flowbot validate` checks bot by bot.

One bot: a folder with a `bot.json` / `bot.yaml` / `bot.yml`, or one whose
files are flow files and none a whole bot. Otherwise each bot file, flow file
and bot folder inside is its own bot (conversation tests, hidden folders and
folders without bots, such as `pokemon.media/`, are passed over).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flowbot.cli import app
from flowbot.format import BotLoadError, read_bot
from flowbot.format.load import bot_paths, bots_in

from .builders import bot, simple_flow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

runner = CliRunner()


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def validate(*paths: Path | str) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["validate", *map(str, paths)])
    return result.exit_code, result.output.splitlines()


BROKEN = bot(simple_flow(1), fallbackFlowId=9)  # a bot with one error


# --- examples/ ------------------------------------------------------------------------


def test_examples_is_a_folder_of_three_bots() -> None:
    assert bots_in(EXAMPLES) == [
        EXAMPLES / "back-navigation.yaml",
        EXAMPLES / "flow-navigation",
        EXAMPLES / "pokemon.yaml",
        EXAMPLES / "shop-nlu.yaml",  # its shop-nlu.eval.yaml is an evaluation set, not a bot
    ]
    assert bots_in(EXAMPLES / "flow-navigation") is None


def test_validate_examples_prints_nothing() -> None:
    assert validate(EXAMPLES) == (0, [])


def test_the_templated_gotos_of_the_examples_are_notes() -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLES), "--notes"])
    assert result.exit_code == 0
    message = "data.flowId: templated flow id: the flow is looked up at run time"
    assert result.output.splitlines() == [
        f"{EXAMPLES / 'flow-navigation' / '4-fallback.yaml'}: note: flow 4 node 2 {message}",
        f"{EXAMPLES / 'pokemon.yaml'}: note: flow 2 node 3 {message}",
    ]


# --- one bot --------------------------------------------------------------------------


def test_a_folder_of_flow_files_is_one_bot(tmp_path: Path) -> None:
    write(tmp_path / "1-main.json", simple_flow(1))
    write(tmp_path / "2-help.json", simple_flow(2))
    assert bots_in(tmp_path) is None
    assert validate(tmp_path) == (0, [])
    assert [flow.id for flow in read_bot(tmp_path).bot.flows] == [1, 2]


def test_a_folder_with_a_bot_file_is_one_bot_even_beside_a_whole_bot(tmp_path: Path) -> None:
    write(tmp_path / "bot.json", {"title": "shop"})
    write(tmp_path / "1-main.json", simple_flow(1))
    write(tmp_path / "2-other.json", bot(simple_flow(2)))
    assert bots_in(tmp_path) is None
    code, lines = validate(tmp_path)
    assert lines == [
        f'{tmp_path / "2-other.json"}: expected a flow file ({{"id", "title", "data", "nodes"}})'
    ]
    assert code == 1


def test_an_empty_folder_is_still_one_bot_that_says_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "a.svg").write_text("<svg/>", encoding="utf-8")
    assert bots_in(tmp_path) is None
    assert validate(tmp_path) == (
        1,
        [f"{tmp_path}: no flow files (*.json, *.yaml, *.yml) in the folder"],
    )


def test_a_syntax_error_in_a_folder_bot_is_reported_once(tmp_path: Path) -> None:
    write(tmp_path / "1-main.json", simple_flow(1))
    (tmp_path / "2-help.json").write_text("{", encoding="utf-8")
    code, lines = validate(tmp_path)
    assert len(lines) == 1
    assert lines[0].startswith(f"{tmp_path / '2-help.json'}: invalid JSON at line 1")
    assert code == 1


# --- a folder of bots -----------------------------------------------------------------


@pytest.fixture
def bots(tmp_path: Path) -> Path:
    write(tmp_path / "a-shop.json", BROKEN)
    write(tmp_path / "b-greeting.flow.json", simple_flow(5))
    write(tmp_path / "c-folder" / "bot.json", {"title": "folder bot"})
    write(tmp_path / "c-folder" / "1-main.json", simple_flow(1))
    (tmp_path / "d.media").mkdir()
    (tmp_path / "d.media" / "a.svg").write_text("<svg/>", encoding="utf-8")
    (tmp_path / "a-shop.test.yaml").write_text("bot: a-shop.json\ntests: []\n", encoding="utf-8")
    write(tmp_path / ".hidden" / "x.json", {"not": "a bot"})
    return tmp_path


def test_each_bot_of_a_folder_of_bots_is_checked(bots: Path) -> None:
    assert bots_in(bots) == [bots / "a-shop.json", bots / "b-greeting.flow.json", bots / "c-folder"]
    code, lines = validate(bots)
    assert lines == [f"{bots / 'a-shop.json'}: preference.fallbackFlowId: no flow 9 in the bot"]
    assert code == 1


def test_loading_a_folder_of_bots_names_them(bots: Path) -> None:
    with pytest.raises(BotLoadError) as info:
        read_bot(bots)
    assert [str(problem) for problem in info.value.problems] == [
        f"{bots}: a folder of 3 separate bots (a-shop.json, b-greeting.flow.json, c-folder): "
        "name one of them"
    ]


def test_a_folder_of_bot_folders_only(tmp_path: Path) -> None:
    for name in ("one", "two"):
        write(tmp_path / name / "1-main.json", simple_flow(1))
    write(tmp_path / "two" / "2-more.json", {**simple_flow(2), "nodes": []})
    assert bots_in(tmp_path) == [tmp_path / "one", tmp_path / "two"]
    code, lines = validate(tmp_path)
    assert lines == [
        f"{tmp_path / 'two' / '2-more.json'}: flow 2 nodes: "
        "no entry node: a flow needs exactly one node of type entry"
    ]
    assert code == 1


def test_folders_of_bots_nest(tmp_path: Path) -> None:
    write(tmp_path / "top.json", bot(simple_flow(1)))
    write(tmp_path / "group" / "x.json", bot(simple_flow(1)))
    write(tmp_path / "group" / "y.json", BROKEN)
    assert bot_paths(tmp_path) == [
        tmp_path / "group" / "x.json",
        tmp_path / "group" / "y.json",
        tmp_path / "top.json",
    ]
    code, lines = validate(tmp_path)
    assert lines == [
        f"{tmp_path / 'group' / 'y.json'}: preference.fallbackFlowId: no flow 9 in the bot"
    ]
    assert code == 1


def test_a_broken_file_in_a_folder_of_bots_is_named(tmp_path: Path) -> None:
    write(tmp_path / "good.json", bot(simple_flow(1)))
    (tmp_path / "bad.yaml").write_text("flows: [\n", encoding="utf-8")
    code, lines = validate(tmp_path)
    assert len(lines) == 1
    assert lines[0].startswith(f"{tmp_path / 'bad.yaml'}: invalid YAML at line")
    assert code == 1


def test_a_file_and_a_folder_name_the_same_bot_whether_given_alone_or_in_a_folder(
    bots: Path,
) -> None:
    alone = [validate(path) for path in bots_in(bots) or []]
    assert [line for _, lines in alone for line in lines] == validate(bots)[1]
