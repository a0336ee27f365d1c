from __future__ import annotations

import pytest

from flowbot.chat import ClickError, clickables_in, inbound_for_click
from flowbot.chat.clicks import Clickable, quick_replies_of
from flowbot.engine import GotoTarget


def test_clickables_of_cards_run_left_to_right() -> None:
    message = {
        "type": "cards",
        "cards": [
            {"title": "a", "buttons": [{"type": "postback", "label": "x", "payload": "1"}]},
            {"title": "b"},
            {"title": "c", "buttons": [{"type": "goto", "label": "y", "flowId": 2, "nodeId": 3}]},
        ],
    }
    assert clickables_in(message) == [
        Clickable("x", "postback", payload="1"),
        Clickable("y", "goto", flow_id="2", node_id="3"),
    ]


def test_a_templated_payload_left_as_json_travels_as_json_text() -> None:
    message = {"type": "text", "buttons": [{"type": "postback", "label": "x", "payload": {"a": 1}}]}
    assert clickables_in(message)[0].payload == '{"a": 1}'


def test_what_each_click_sends() -> None:
    postback = inbound_for_click(Clickable("Go", "postback", payload='{"a": 1}'), "u")
    assert (postback.type, postback.text, postback.payload) == ("postback", "Go", '{"a": 1}')
    bare = inbound_for_click(Clickable("Go", "postback"), "u")
    assert (bare.type, bare.text, bare.payload) == ("text", "Go", None)
    goto = inbound_for_click(Clickable("Home", "goto", flow_id="1"), "u")
    assert (goto.type, goto.text, goto.goto) == ("postback", "Home", GotoTarget("1", None))
    (quick,) = quick_replies_of([{"type": "postback", "label": "Yes", "payload": "y"}])
    assert quick.quick_reply and inbound_for_click(quick, "u").payload == "y"
    with pytest.raises(ClickError, match="links do not post back"):
        inbound_for_click(Clickable("Docs", "link", uri="https://example.com"), "u")
