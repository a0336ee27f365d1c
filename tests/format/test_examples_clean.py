"""The shipped examples validate, run their conversation tests and chat without a warning."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from flowbot.cli import app
from flowbot.format import read_bot
from flowbot.format.load import bots_in
from flowbot.testing import run_conversation_tests

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BOTS = bots_in(EXAMPLES) or []

runner = CliRunner()


def test_the_examples_folder_holds_the_three_bots() -> None:
    assert [path.name for path in BOTS] == [
        "back-navigation.yaml",
        "flow-navigation",
        "pokemon.yaml",
        "shop-nlu.yaml",
    ]


@pytest.mark.parametrize("path", BOTS, ids=lambda path: path.name)
def test_an_example_loads_without_warnings(path: Path) -> None:
    assert read_bot(path).warnings == []


def test_validate_examples_and_each_example_print_nothing() -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLES), *map(str, BOTS)])
    assert (result.exit_code, result.output) == (0, "")


def test_flowbot_test_examples_passes_without_warnings(caplog: pytest.LogCaptureFixture) -> None:
    out = io.StringIO()
    with caplog.at_level("WARNING"):
        code = run_conversation_tests([EXAMPLES], console=Console(file=out, width=200))
    assert code == 0, out.getvalue()
    assert "warning" not in out.getvalue()
    assert caplog.records == []


@pytest.mark.parametrize("path", BOTS, ids=lambda path: path.name)
def test_a_jsonl_chat_turn_prints_no_warning(path: Path) -> None:
    line = json.dumps({"user": "u1", "event": "open"}) + "\n"
    done = subprocess.run(
        [sys.executable, "-m", "flowbot.cli", "chat", str(path), "--jsonl"],
        input=line,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    (answer,) = done.stdout.splitlines()
    assert json.loads(answer)["error"] is None
