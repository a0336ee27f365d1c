"""Bots that are not Unicode, or nested absurdly deep, are refused where the problem is."""

from __future__ import annotations

import json
from typing import Any

import pytest

from flowbot.format import BotLoadError, load_bot_data
from flowbot.format.shape import MAX_DEPTH
from flowbot.format.validate import validate_bot


def bot(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "Shapes",
        "flows": [
            {
                "id": 1,
                "title": "Main",
                "data": {"entry": 1},
                "nodes": [
                    {"id": 1, "type": "entry", "data": {}, "next": [{"nodeId": 2}]},
                    {"id": 2, "type": "response", "data": {"message": message}, "next": []},
                ],
            }
        ],
    }


def lines(data: Any) -> list[str]:
    return [str(problem) for problem in validate_bot(data, "shop.json")]


def test_a_lone_surrogate_is_an_error_at_its_node() -> None:
    data = json.loads('{"type": "text", "text": "hi \\ud800"}')
    assert lines(bot(data)) == [
        "shop.json: flow 1 node 2 data.message.text: "
        "holds a lone surrogate (\\ud800–\\udfff), which is not Unicode"
    ]
    with pytest.raises(BotLoadError):
        load_bot_data(bot(data))


def test_a_surrogate_in_the_preference_or_a_key() -> None:
    data = bot({"type": "text", "text": "hi"})
    data["preference"] = {"systemMessage": {"empty": "\udc80"}}
    data["flows"][0]["nodes"][1]["meta"] = {"\ud800": 1}
    assert lines(data) == [
        "shop.json: flow 1 node 2 meta: a key holds a lone surrogate (\\ud800–\\udfff)",
        "shop.json: preference.systemMessage.empty: "
        "holds a lone surrogate (\\ud800–\\udfff), which is not Unicode",
    ]


def test_data_nested_deeper_than_the_limit() -> None:
    deep: Any = "leaf"
    for _ in range(900):
        deep = {"x": deep}
    data = bot({"type": "text", "text": "hi"})
    data["flows"][0]["nodes"][1]["meta"] = deep
    [line] = lines(data)
    assert line.startswith("shop.json: flow 1 node 2 meta.x.x.")
    assert line.endswith(f": nested deeper than {MAX_DEPTH} levels")
    with pytest.raises(BotLoadError):
        load_bot_data(data)


def test_ordinary_bots_are_untouched() -> None:
    data = bot(
        {"type": "text", "text": "안녕하세요 😀", "buttons": [{"type": "postback", "label": "네"}]}
    )
    assert lines(data) == []
    assert load_bot_data(data).flows[0].nodes[1].id == 2
