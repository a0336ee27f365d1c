"""`flowbot validate --channel`: the renderers' degradations as validator warnings."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from flowbot.channels.check import channel_problems
from flowbot.cli import app
from flowbot.format import load_bot_data

runner = CliRunner()


def bot_data() -> dict[str, object]:
    buttons = [{"type": "postback", "label": f"Option {n}", "payload": str(n)} for n in range(5)]
    return {
        "title": "Degrades",
        "flows": [
            {
                "id": 1,
                "title": "Main",
                "data": {"entry": 1},
                "nodes": [
                    {"id": 1, "type": "entry", "data": {}, "next": [{"nodeId": 2}]},
                    {
                        "id": 2,
                        "type": "response",
                        "data": {"message": {"type": "text", "text": "Pick:", "buttons": buttons}},
                        "next": [{"nodeId": 3}],
                    },
                    {
                        "id": 3,
                        "type": "response",
                        "data": {
                            "message": {
                                "type": "location",
                                "label": "Shop",
                                "latitude": 37.5,
                                "longitude": 127.0,
                            }
                        },
                        "next": [{"nodeId": 4}],
                    },
                    {
                        "id": 4,
                        "type": "keyboard",
                        "data": {
                            "type": "buttons",
                            "buttons": [
                                {"type": "postback", "label": "A quick reply label over twenty"}
                            ],
                        },
                        "next": [],
                    },
                ],
            }
        ],
    }


def test_each_channel_reports_what_it_would_degrade() -> None:
    bot = load_bot_data(bot_data())
    lines = [str(p) for p in channel_problems(bot, "shop.json", ["facebook", "line", "web"])]
    assert lines == [
        "shop.json: warning: flow 1 node 2 data.message.buttons: "
        "facebook: 2 buttons over the limit of 3 dropped",
        "shop.json: warning: flow 1 node 3 data.message: "
        "facebook: Messenger has no location message: sent as a map link",
        "shop.json: warning: flow 1 node 4 data.buttons[0].label: "
        "facebook: cut from 31 to 20 characters",
        "shop.json: warning: flow 1 node 2 data.message.buttons: "
        "line: 1 buttons over the limit of 4 dropped",
        "shop.json: warning: flow 1 node 4 data.buttons[0].label: "
        "line: cut from 31 to 20 characters",
    ]


def test_the_command_prints_them_after_the_bots_own_warnings(tmp_path: Path) -> None:
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(bot_data()), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--channel", "line", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        f"{path}: warning: flow 1 node 4 data.buttons[0].label: line: cut from 31 to 20 characters"
        in lines
    )
    assert not any("facebook:" in line for line in lines)
    plain = runner.invoke(app, ["validate", str(path)])
    assert "line:" not in plain.output


def test_an_unknown_channel_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(bot_data()), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--channel", "line,telegram", str(path)])
    assert result.exit_code == 2
    assert "unknown channel(s) telegram" in result.output


def test_kakao_and_talktalk_report_theirs() -> None:
    bot = load_bot_data(bot_data())
    lines = [str(p) for p in channel_problems(bot, "shop.json", ["kakao", "navertalk"])]
    assert lines == [
        "shop.json: warning: flow 1 node 2 data.message.buttons: "
        "kakao: 2 buttons over the limit of 3 dropped",
        "shop.json: warning: flow 1 node 3 data.message: "
        "kakao: Kakao has no location output: sent as a map link",
        "shop.json: warning: flow 1 node 4 data.buttons[0].label: "
        "kakao: cut from 31 to 14 characters",
        "shop.json: warning: flow 1 node 3 data.message: "
        "navertalk: TalkTalk has no location message: sent as a map link",
        "shop.json: warning: flow 1 node 4 data.buttons[0].label: "
        "navertalk: cut from 31 to 10 characters",
    ]
