"""The `flowbot` command's options through the real Typer app: template and chat."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flowbot.cli import app

runner = CliRunner()

# Greets with {{name}}; what the user types goes to the fallback flow, which echoes it.
ECHO_BOT = """
title: Echo
preference: {entryFlowId: 1, fallbackFlowId: 2}
flows:
  - id: 1
    data: {entry: 1}
    nodes:
      - {id: 1, type: entry, data: {}, next: [{nodeId: 2}]}
      - {id: 2, type: response, data: {message: {type: text, text: "hello <{{name}}>"}},
         next: [{nodeId: 3}]}
      - {id: 3, type: keyboard, data: {type: buttons, buttons: [{type: postback, label: OK}]},
         next: []}
  - id: 2
    data: {entry: 1}
    nodes:
      - {id: 1, type: entry, data: {}, next: [{nodeId: 2}]}
      - {id: 2, type: response,
         data: {message: {type: text, text: "echo <{{message.text}}> name=<{{name}}>"}},
         next: []}
"""


@pytest.fixture
def echo_bot(tmp_path: Path) -> Path:
    path = tmp_path / "echo.yaml"
    path.write_text(ECHO_BOT, encoding="utf-8")
    return path


# --- flowbot template --------------------------------------------------------------


def render(source: str, context: dict[str, Any]) -> str:
    result = runner.invoke(app, ["template", source, "--context", json.dumps(context)])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_a_json_payload_string_is_read_as_the_engine_reads_it() -> None:
    # the exact command of the docs: the payload is JSON text, as a button sends it
    result = runner.invoke(
        app,
        [
            "template",
            "{{message.payload.flowId}}",
            "--context",
            '{"message": {"payload": "{\\"flowId\\": 2}"}}',
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "2\n"
    nested = {"message": {"type": "postback", "payload": '{"pokemon": {"name": "피카츄"}}'}}
    assert (
        render("{{message.payload.pokemon.name}} {{message.type}}", nested) == "피카츄 postback\n"
    )


def test_other_payloads_and_contexts_are_left_as_they_are() -> None:
    # not JSON: the string itself, as in the engine
    assert render("{{message.payload}}", {"message": {"payload": "YES"}}) == "YES\n"
    assert render("{{message.payload}}", {"message": {"payload": "{broken"}}) == "{broken\n"
    # an object given as an object stays one
    assert render("{{message.payload.n}}", {"message": {"payload": {"n": 3}}}) == "3\n"
    # a payload anywhere but message.payload is not touched
    assert render("{{params.payload.n}}", {"params": {"payload": '{"n": 1}'}}) == "\n"
    assert render("{{message}}", {"message": "hi"}) == "hi\n"
    result = runner.invoke(app, ["template", "{{x}}", "--context", "{not json"])
    assert result.exit_code == 2
    assert "--context is not valid JSON" in result.stderr


def test_a_json_payload_reaches_an_expanded_message() -> None:
    context = {"message": {"payload": '{"names": ["a", "b"]}'}}
    message = {"type": "text", "text": "{{message.payload.names.length}} names"}
    result = runner.invoke(
        app, ["template", "--context", json.dumps(context), "--expand", json.dumps(message)]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"type": "text", "text": "2 names"}


def test_template_help_documents_expand_with_an_example() -> None:
    result = runner.invoke(app, ["template", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--expand" in result.stdout and "MESSAGE_JSON" in result.stdout
    assert "array expansion" in result.stdout
    assert '"label": "{{results[i].name}}"' in result.stdout  # the example, brackets shown
    assert '--context \'{"message": {"payload": "{\\"flowId\\": 2}"}}\'' in result.stdout


def test_the_help_examples_print_what_they_say() -> None:
    context = {"results": [{"name": "Pikachu"}, {"name": "Eevee"}]}
    message = {
        "type": "text",
        "text": "{{results.length}} found",
        "buttons": [{"type": "postback", "label": "{{results[i].name}}"}],
    }
    result = runner.invoke(
        app, ["template", "--context", json.dumps(context), "--expand", json.dumps(message)]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "type": "text",
        "text": "2 found",
        "buttons": [
            {"type": "postback", "label": "Pikachu"},
            {"type": "postback", "label": "Eevee"},
        ],
    }


# --- flowbot chat --param ------------------------------------------------------------


def jsonl_chat(bot: Path, *args: str, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    text = "".join(json.dumps(line) + "\n" for line in lines)
    result = runner.invoke(app, ["chat", str(bot), "--jsonl", *args], input=text)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_param_sets_the_initial_params_of_every_new_conversation(echo_bot: Path) -> None:
    answers = jsonl_chat(
        echo_bot,
        "--param",
        "name=Kim",
        "--param",
        "plan=a=b",  # the value is everything after the first =
        "--param",
        "empty=",
        lines=[
            {"user": "u1", "event": "open"},
            {"user": "u1", "text": "typed"},
            {"user": "u2", "text": "hi", "params": {"name": "Lee"}},  # the event's win
            {"user": "u2", "text": "again"},
        ],
    )
    assert answers[0]["replies"][0]["text"] == "hello <Kim>"
    assert answers[0]["params"] == {"name": "Kim", "plan": "a=b", "empty": ""}
    assert answers[1]["replies"][0]["text"] == "echo <typed> name=<Kim>"
    assert answers[2]["replies"][0]["text"] == "hello <Lee>"
    assert answers[2]["params"] == {"name": "Lee", "plan": "a=b", "empty": ""}
    assert answers[3]["replies"][0]["text"] == "echo <again> name=<Lee>"


def test_params_are_strings_and_a_later_param_wins(echo_bot: Path) -> None:
    answers = jsonl_chat(
        echo_bot,
        "--param",
        "n=1",
        "--param",
        "n=2",
        lines=[{"user": "u1", "event": "open"}],
    )
    assert answers[0]["params"] == {"n": "2"}


def test_without_param_nothing_changes(echo_bot: Path) -> None:
    answers = jsonl_chat(echo_bot, lines=[{"user": "u1", "event": "open"}])
    assert answers[0]["params"] == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("name", "'name' is not NAME=VALUE"),
        ("=Kim", "'' is not a param name"),
        ("a b=1", "'a b' is not a param name"),
    ],
)
def test_a_param_without_a_name_is_a_usage_error(echo_bot: Path, value: str, message: str) -> None:
    result = runner.invoke(
        app, ["chat", str(echo_bot), "--jsonl", "--param", value], input="", env={"COLUMNS": "200"}
    )
    assert result.exit_code == 2
    assert "Invalid value for --param" in result.stderr
    assert message in result.stderr
    assert result.stdout == ""


def test_chat_help_documents_param() -> None:
    result = runner.invoke(app, ["chat", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--param" in result.stdout and "NAME=VALUE" in result.stdout
