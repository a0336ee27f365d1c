from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowbot.format import export_bot, export_flow, export_source, load_bot, read_bot
from flowbot.format.load import read_document

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "closer-exports"


def closer_exports() -> list[Path]:
    return sorted(SHARED.glob("*.json")) if SHARED.is_dir() else []


@pytest.mark.parametrize("path", closer_exports(), ids=lambda p: p.name)
def test_closer_exports_round_trip(path: Path) -> None:
    original = json.loads(path.read_text(encoding="utf-8"))
    assert export_source(load_bot(path)) == original


def test_closer_exports_are_present_or_skipped() -> None:
    if not closer_exports():
        pytest.skip("../shared/closer-exports is not present")
    assert len(closer_exports()) >= 5


@pytest.mark.parametrize("name", ["coffee.bot.json", "greeting.flow.yaml"])
def test_own_examples_round_trip(name: str) -> None:
    path = DATA / name
    assert export_source(load_bot(path)) == read_document(path)


def test_folder_round_trips_flow_by_flow() -> None:
    folder = DATA / "folder-bot"
    loaded = read_bot(folder).bot
    files = sorted(p for p in folder.iterdir() if p.name != "bot.yaml")
    assert [export_flow(flow) for flow in loaded.flows] == [read_document(p) for p in files]
    exported = export_bot(loaded)
    settings = read_document(folder / "bot.yaml")
    assert exported["title"] == settings["title"]
    assert exported["preference"] == {**settings["preference"], "entryFlowId": 10}


def test_export_is_json_serialisable_and_reloads_to_the_same_bot() -> None:
    first = load_bot(DATA / "coffee.bot.json")
    text = json.dumps(export_bot(first), ensure_ascii=False)
    second = json.loads(text)
    assert export_bot(first) == second
