from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flowbot.cli import app
from flowbot.format import load_bot_data, validate_bot
from flowbot.format.models import NODE_TYPES, Bot
from flowbot.template import TemplateSyntaxError, compile_template

from .builders import bot, edge, entry, flow, node, simple_flow, text

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "closer-exports"
KNOWN_TYPES = ", ".join(NODE_TYPES)

runner = CliRunner()


def validate(
    tmp_path: Path, data: Any, name: str = "bot.json", *options: str
) -> tuple[int, list[str]]:
    """Run `flowbot validate` on `data`; the lines without the leading `PATH: `."""
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path), *options])
    lines = result.output.splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    return result.exit_code, [line.removeprefix(f"{path}: ") for line in lines]


def assert_error(tmp_path: Path, data: Any, line: str) -> None:
    code, lines = validate(tmp_path, data)
    assert lines == [line]
    assert code == 1


# --- clean bots ----------------------------------------------------------------


def test_a_clean_bot_prints_nothing_and_exits_0(tmp_path: Path) -> None:
    assert validate(tmp_path, bot(simple_flow(1))) == (0, [])


def test_the_project_examples_are_clean() -> None:
    data = Path(__file__).parent / "data"
    paths = [data / "coffee.bot.json", data / "greeting.flow.yaml", data / "folder-bot"]
    result = runner.invoke(app, ["validate", *map(str, paths)])
    assert result.exit_code == 0
    assert all(": warning: " in line for line in result.output.splitlines())


def test_closer_exports_validate() -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared/closer-exports is not present")
    result = runner.invoke(app, ["validate", *map(str, sorted(SHARED.glob("*.json")))])
    assert result.exit_code == 0, result.output


# --- references ----------------------------------------------------------------


def test_dangling_node_id(tmp_path: Path) -> None:
    data = bot(flow(1, entry(1, edge(9)), text(2)))
    assert_error(tmp_path, data, "flow 1 node 1 next[0].nodeId: no node 9 in this flow")


def test_missing_entry_node(tmp_path: Path) -> None:
    data = bot(flow(1, text(2)))
    assert_error(
        tmp_path, data, "flow 1 nodes: no entry node: a flow needs exactly one node of type entry"
    )


def test_second_entry_node(tmp_path: Path) -> None:
    data = bot(flow(1, entry(1), text(2), entry(3)))
    assert_error(tmp_path, data, "flow 1 node 3 type: a second entry node (the first is node 1)")


def test_data_entry_must_name_the_entry_node(tmp_path: Path) -> None:
    not_entry = bot(flow(1, entry(1), text(2), data={"entry": 2}))
    assert_error(
        tmp_path, not_entry, "flow 1 data.entry: node 2 is a response node, not the entry node"
    )
    missing = bot(flow(1, entry(1), text(2), data={"entry": 5}))
    assert_error(tmp_path, missing, "flow 1 data.entry: no node 5 in this flow")
    as_string = bot(flow(1, entry(1), text(2), data={"entry": "1"}))
    assert validate(tmp_path, as_string) == (0, [])


def test_duplicate_node_ids_compare_2_and_string_2_as_one(tmp_path: Path) -> None:
    data = bot(flow(1, entry(1), text(2), text("2")))
    assert_error(tmp_path, data, "flow 1 node 2 id: duplicate node id (nodes[1] has id 2)")


def test_duplicate_flow_ids(tmp_path: Path) -> None:
    data = bot(simple_flow(1), simple_flow("1"))
    assert_error(tmp_path, data, "flow 1 id: duplicate flow id (flows[0] has id 1)")


def test_unknown_node_type(tmp_path: Path) -> None:
    data = bot(simple_flow(1, node(3, "teleport", {"to": "moon"})))
    assert_error(
        tmp_path, data, f"flow 1 node 3 type: unknown node type 'teleport' (known: {KNOWN_TYPES})"
    )


def test_unknown_flow_in_a_flow_node_is_an_error_in_a_bot(tmp_path: Path) -> None:
    data = bot(simple_flow(1, node(3, "flow", {"flowId": 9})))
    assert_error(tmp_path, data, "flow 1 node 3 data.flowId: no flow 9 in the bot")


def test_unknown_flow_in_a_lone_flow_file_is_a_warning(tmp_path: Path) -> None:
    code, lines = validate(tmp_path, simple_flow(1, node(3, "flow", {"flowId": 9})), "f.json")
    assert lines == [
        "warning: flow 1 node 3 data.flowId: no flow 9 in this flow file "
        "(it may exist in the bot it is imported into)"
    ]
    assert code == 0


def test_unknown_node_of_a_known_flow(tmp_path: Path) -> None:
    data = bot(simple_flow(1, node(3, "flow", {"flowId": 2, "nodeId": 7})), simple_flow(2))
    assert_error(tmp_path, data, "flow 1 node 3 data.nodeId: flow 2 has no node 7")


def test_goto_button_to_an_unknown_flow(tmp_path: Path) -> None:
    button = {"type": "goto", "label": "go", "flowId": 9}
    data = bot(flow(1, entry(1), text(2, "hi", buttons=[button])))
    assert_error(
        tmp_path, data, "flow 1 node 2 data.message.buttons[0].flowId: no flow 9 in the bot"
    )


def test_templated_flow_id_is_a_note_shown_with_notes(tmp_path: Path) -> None:
    data = bot(simple_flow(1, node(3, "flow", {"flowId": "{{params.next}}"})))
    assert validate(tmp_path, data) == (0, [])
    code, lines = validate(tmp_path, data, "bot.json", "--notes")
    assert lines == [
        "note: flow 1 node 3 data.flowId: templated flow id: the flow is looked up at run time"
    ]
    assert code == 0


def test_entry_and_fallback_flow_ids_must_name_a_flow(tmp_path: Path) -> None:
    data = bot(simple_flow(1), entryFlowId=5, fallbackFlowId="x")
    code, lines = validate(tmp_path, data)
    assert lines == [
        "preference.entryFlowId: no flow 5 in the bot",
        "preference.fallbackFlowId: no flow x in the bot",
    ]
    assert code == 1


def test_a_bot_without_flows(tmp_path: Path) -> None:
    assert_error(tmp_path, {"title": "empty", "flows": []}, "flows: a bot needs at least one flow")


# --- conditions and priorities -------------------------------------------------


def test_bad_regex(tmp_path: Path) -> None:
    data = bot(flow(1, entry(1, edge(2, {"message.text": {"regex": "(뒤|back"}})), text(2)))
    assert_error(
        tmp_path,
        data,
        'flow 1 node 1 next[0].where["message.text"].regex: invalid regular expression: '
        "missing ) at position 7",
    )


def test_unknown_operator(tmp_path: Path) -> None:
    data = bot(flow(1, entry(1, edge(2, {"message.text": {"like": "a"}})), text(2)))
    assert_error(
        tmp_path,
        data,
        """flow 1 node 1 next[0].where["message.text"].like: unknown operator 'like' """
        "(known: equals, notEquals, contains, exists, gt, gte, lt, lte, regex)",
    )


@pytest.mark.parametrize(
    ("priority", "message"),
    [
        (-1, "priority must be 0 or more, not -1"),
        ("2", "priority must be an integer, not '2'"),
        (True, "priority must be an integer, not True"),
        (1.5, "Input should be a valid integer, got a number with a fractional part"),
    ],
)
def test_bad_priority(tmp_path: Path, priority: Any, message: str) -> None:
    data = bot(flow(1, entry(1, edge(2, priority=priority)), text(2)))
    assert_error(tmp_path, data, f"flow 1 node 1 next[0].priority: {message}")


# --- templates -----------------------------------------------------------------


def _parser_reports_errors() -> bool:
    try:
        compile_template("{{#if x}}")
    except TemplateSyntaxError:
        return True
    return False


needs_parser = pytest.mark.skipif(
    not _parser_reports_errors(), reason="flowbot.template is still the placeholder"
)


@needs_parser
def test_template_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    source = "첫 줄\n둘째 {{#if x}} 줄"
    with pytest.raises(TemplateSyntaxError) as info:
        compile_template(source)
    error = info.value
    data = bot(flow(1, entry(1), text(2, source)))
    assert_error(
        tmp_path,
        data,
        f"flow 1 node 2 data.message.text: template syntax error at line {error.line} "
        f"column {error.column}: {error.message}",
    )
    assert error.line == 2


@needs_parser
def test_template_errors_everywhere_are_reported(tmp_path: Path) -> None:
    bad = "{{#each}}"
    data = bot(
        flow(
            1,
            entry(1, edge(2, {"message.text": {"equals": bad}})),
            text(2, "ok", buttons=[{"type": "postback", "label": bad, "payload": "p"}]),
            node(3, "parameter", {"type": "set", "params": [{"key": "k", "value": bad}]}),
            node(4, "fetch", {"uri": "https://x.example", "headers": {"X-A": bad}, "body": bad}),
            node(5, "keyboard", {"buttons": [{"type": "postback", "label": "a", "payload": bad}]}),
        ),
        systemMessage={"error": bad},
    )
    code, lines = validate(tmp_path, data)
    paths = [line.split(": template syntax error")[0] for line in lines if "syntax" in line]
    assert paths == [
        'flow 1 node 1 next[0].where["message.text"].equals',
        "flow 1 node 2 data.message.buttons[0].label",
        "flow 1 node 3 data.params[0].value",
        'flow 1 node 4 data.headers["X-A"]',
        "flow 1 node 4 data.body",
        "flow 1 node 5 data.buttons[0].payload",
        "preference.systemMessage.error",
    ]
    assert code == 1


# --- limits --------------------------------------------------------------------


def postback(label: str = "b", payload: str | None = None) -> dict[str, Any]:
    return {"type": "postback", "label": label, "payload": payload}


def test_payload_over_1000_characters(tmp_path: Path) -> None:
    data = bot(flow(1, entry(1), text(2, buttons=[postback(payload="x" * 1001)])))
    assert_error(
        tmp_path,
        data,
        "flow 1 node 2 data.message.buttons[0].payload: payload is 1001 characters; "
        "the limit is 1000",
    )


def test_templated_payload_is_checked_at_run_time(tmp_path: Path) -> None:
    data = bot(flow(1, entry(1), text(2, buttons=[postback(payload='{"id": "{{x}}"}')])))
    assert validate(tmp_path, data) == (0, [])
    code, lines = validate(tmp_path, data, "bot.json", "--notes")
    assert lines == [
        "note: flow 1 node 2 data.message.buttons[0].payload: "
        "templated payload: its length (≤ 1000) is checked at run time"
    ]
    assert code == 0


def test_too_many_buttons_on_a_text(tmp_path: Path) -> None:
    data = bot(flow(1, entry(1), text(2, buttons=[postback() for _ in range(10)])))
    assert_error(tmp_path, data, "flow 1 node 2 data.message.buttons: 10 buttons; at most 9")


def test_too_many_buttons_on_a_card_and_too_many_cards(tmp_path: Path) -> None:
    cards = [{"title": "c", "buttons": [postback()]} for _ in range(10)]
    cards[3]["buttons"] = [postback() for _ in range(10)]
    message = {"type": "cards", "cards": cards}
    data = bot(flow(1, entry(1), node(2, "response", {"message": message})))
    code, lines = validate(tmp_path, data)
    assert lines == [
        "flow 1 node 2 data.message.cards: 10 cards; at most 9",
        "flow 1 node 2 data.message.cards[3].buttons: 10 buttons; at most 9",
    ]
    assert code == 1


def test_too_many_quick_replies(tmp_path: Path) -> None:
    keyboard = node(3, "keyboard", {"type": "buttons", "buttons": [postback() for _ in range(51)]})
    data = bot(simple_flow(1, keyboard))
    assert_error(tmp_path, data, "flow 1 node 3 data.buttons: 51 quick replies; at most 50")


def test_parameter_key_characters(tmp_path: Path) -> None:
    params = node(3, "parameter", {"type": "set", "params": [{"key": "my key", "value": 1}]})
    data = bot(simple_flow(1, params))
    assert_error(
        tmp_path,
        data,
        "flow 1 node 3 data.params[0].key: parameter key 'my key' is not [A-Za-z0-9_-]+",
    )


def test_link_scheme(tmp_path: Path) -> None:
    link = {"type": "link", "label": "l", "uri": "javascript:alert(1)"}
    data = bot(flow(1, entry(1), text(2, buttons=[link])))
    assert_error(
        tmp_path,
        data,
        "flow 1 node 2 data.message.buttons[0].uri: "
        "link scheme 'javascript' is not http, https, tel or mailto",
    )


def test_link_schemes_that_are_fine_and_templated_links(tmp_path: Path) -> None:
    links = [
        {"type": "link", "label": "a", "uri": "https://{{host}}/x"},
        {"type": "link", "label": "b", "uri": "tel:+821012345678"},
        {"type": "link", "label": "c", "uri": "{{params.url}}"},
    ]
    data = bot(flow(1, entry(1), text(2, buttons=links)))
    assert validate(tmp_path, data) == (0, [])
    code, lines = validate(tmp_path, data, "bot.json", "--notes")
    assert lines == [
        "note: flow 1 node 2 data.message.buttons[2].uri: "
        "templated link: its scheme is checked at run time"
    ]
    assert code == 0


def test_channel_limits_are_warnings(tmp_path: Path) -> None:
    buttons = [postback("a" * 21, "p" * 301), postback(), postback(), postback()]
    data = bot(flow(1, entry(1), text(2, buttons=buttons)))
    code, lines = validate(tmp_path, data)
    assert lines == [
        "warning: flow 1 node 2 data.message.buttons: 4 buttons: Facebook, LINE and KakaoTalk "
        "show 3 per message and split or drop the rest",
        "warning: flow 1 node 2 data.message.buttons[0].label: label is 21 characters: "
        "Facebook and LINE show 20 (KakaoTalk 14), the rest is cut",
        "warning: flow 1 node 2 data.message.buttons[0].payload: payload is 301 characters: "
        "over LINE's 300, so LINE clicks go through a stored key",
    ]
    assert code == 0


# --- structure -----------------------------------------------------------------


def test_structural_errors_name_flow_node_and_path(tmp_path: Path) -> None:
    broken_button = {"type": "linky", "label": "x"}
    data = bot(
        flow(
            1,
            entry(1),
            node(2, "response", {}),
            text(3, "t", buttons=[broken_button]),
            {"id": None, "type": "response", "data": {"message": {"type": "text"}}, "next": []},
        ),
        flow(2, entry(1, edge(9)), {"type": "entry"}),
    )
    code, lines = validate(tmp_path, data)
    assert lines == [
        "flow 1 node 2 data.message: required field is missing",
        "flow 1 node 3 data.message.buttons[0]: "
        "unknown type 'linky' (expected postback, link, goto)",
        "flow 1 nodes[3].id: Input should be a valid integer or string, got null",
        "flow 2 nodes[1].id: required field is missing",
        "flow 2 nodes[1].type: a second entry node (the first is node 1)",
        "flow 2 node 1 next[0].nodeId: no node 9 in this flow",
    ]
    assert code == 1


def test_one_broken_node_does_not_hide_the_problems_of_the_others(tmp_path: Path) -> None:
    data = bot(flow(1, entry(1, edge(7)), node(2, "response", {"message": "nope"})))
    code, lines = validate(tmp_path, data)
    assert code == 1
    assert lines[0].startswith("flow 1 node 2 data.message: ")
    assert lines[1:] == ["flow 1 node 1 next[0].nodeId: no node 7 in this flow"]


def test_not_a_bot(tmp_path: Path) -> None:
    assert_error(tmp_path, [1, 2], "expected a bot object, got list")


def test_missing_file_and_bad_json(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "x",\n  "flows": [}', encoding="utf-8")
    result = runner.invoke(app, ["validate", str(missing), str(bad)])
    assert result.output.splitlines() == [
        f"{missing}: no such file or folder",
        f"{bad}: invalid JSON at line 2 column 13: Expecting value",
    ]
    assert result.exit_code == 1


def test_one_bad_path_fails_the_run_but_all_are_reported(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(bot(simple_flow(1))), encoding="utf-8")
    bad.write_text(json.dumps(bot(flow(1, text(2)))), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.output.splitlines() == [
        f"{bad}: flow 1 nodes: no entry node: a flow needs exactly one node of type entry"
    ]
    assert result.exit_code == 1


# --- validate_bot on models ----------------------------------------------------


def test_validate_bot_accepts_models_and_raw_data() -> None:
    data = bot(simple_flow(1, node(3, "flow", {"flowId": "{{x}}"})))
    loaded = load_bot_data(data, "mem")
    from_loader = [str(p) for p in validate_bot(loaded, source="mem")]
    from_model = [str(p) for p in validate_bot(Bot.model_validate(data), source="mem")]
    from_data = [str(p) for p in validate_bot(data, source="mem")]
    assert (
        from_loader
        == from_model
        == from_data
        == [
            "mem: note: flow 1 node 3 data.flowId: "
            "templated flow id: the flow is looked up at run time"
        ]
    )


def test_validate_bot_keeps_lone_flow_leniency_for_a_bot_loaded_from_a_flow_file() -> None:
    model = load_bot_data(simple_flow(1, node(3, "flow", {"flowId": 2})), "f.json")
    problems = validate_bot(model, source="f.json")
    assert [p.severity for p in problems] == ["warning"]
    assert problems[0].path == "data.flowId"
    checked_again = validate_bot(model, source="f.json", lone_flow=True)
    assert [str(p) for p in checked_again] == [str(p) for p in problems]
    as_bot = validate_bot(model, source="f.json", lone_flow=False)
    assert [p.severity for p in as_bot] == ["error"]


def test_a_broken_field_does_not_hide_the_node_s_edge_problems(tmp_path: Path) -> None:
    data = bot(flow(1, entry(1, edge(9), edge(2, priority=-1), edge(2, priority=1.5)), text(2)))
    code, lines = validate(tmp_path, data)
    assert code == 1
    assert lines == [
        "flow 1 node 1 next[2].priority: "
        "Input should be a valid integer, got a number with a fractional part",
        "flow 1 node 1 next[0].nodeId: no node 9 in this flow",
        "flow 1 node 1 next[1].priority: priority must be 0 or more, not -1",
    ]
