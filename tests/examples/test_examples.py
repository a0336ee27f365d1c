"""Every example bot passes its own conversation tests."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from flowbot.testing import load_test_file, run_conversation_tests

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TEST_FILES = sorted(EXAMPLES.glob("*.test.yaml"))


def test_the_examples_have_tests() -> None:
    names = {path.name for path in TEST_FILES}
    assert {"pokemon.test.yaml", "flow-navigation.test.yaml", "back-navigation.test.yaml"} <= names


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda path: path.name)
def test_example_passes_its_conversation_tests(path: Path) -> None:
    out = io.StringIO()
    code = run_conversation_tests([path], console=Console(file=out, width=200))
    tests = len(load_test_file(path).tests)
    assert code == 0, out.getvalue()
    assert out.getvalue().strip().endswith(f"{tests} passed, 0 failed")


def test_flow_navigation_is_a_folder_of_flow_files() -> None:
    folder = EXAMPLES / "flow-navigation"
    flows = [path for path in folder.iterdir() if path.name not in ("bot.yaml", "bot.json")]
    assert len(flows) >= 3
