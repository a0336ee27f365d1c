"""`flowbot template` through the real Typer app."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from flowbot.cli import app

runner = CliRunner()


def test_renders_a_template_against_a_context() -> None:
    result = runner.invoke(
        app,
        [
            "template",
            "안녕하세요 {{name}}님 {{#if vip}}(VIP){{/if}}",
            "--context",
            '{"params": {"name": "Kim"}, "vip": true}',
        ],
    )
    assert result.exit_code == 0
    assert result.stdout == "안녕하세요 Kim님 (VIP)\n"


def test_prints_masked_text_as_the_user_sees_it() -> None:
    context = '{"params": {"card": "4111"}}'
    result = runner.invoke(app, ["template", "card {{MASK(card)}}", "--context", context])
    assert result.exit_code == 0
    assert result.stdout == "card 4111\n"


def test_syntax_error_prints_line_and_column() -> None:
    result = runner.invoke(app, ["template", "line one\n{{#if x}}", "--context", "{}"])
    assert result.exit_code == 1
    assert "2:10: expected {{/if}} to close the block" in result.stderr


def test_bad_json_is_exit_code_two() -> None:
    result = runner.invoke(app, ["template", "{{x}}", "--context", "{not json"])
    assert result.exit_code == 2
    assert "--context is not valid JSON" in result.stderr
    result = runner.invoke(app, ["template", "{{x}}", "--context", "[1]"])
    assert result.exit_code == 2


def test_expand_renders_a_whole_message() -> None:
    message = {
        "type": "text",
        "text": "{{results.length}}개",
        "buttons": [{"type": "postback", "label": "{{results[i].name}}"}],
    }
    context = {"results": [{"name": "a"}, {"name": "b"}]}
    result = runner.invoke(
        app, ["template", "--context", json.dumps(context), "--expand", json.dumps(message)]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "type": "text",
        "text": "2개",
        "buttons": [{"type": "postback", "label": "a"}, {"type": "postback", "label": "b"}],
    }


def test_expand_error_names_the_json_path() -> None:
    message = '{"cards": [{"title": "{{#each}}{{/each}}"}]}'
    result = runner.invoke(app, ["template", "--context", "{}", "--expand", message])
    assert result.exit_code == 1
    assert "cards[0].title: 1:4:" in result.stderr
