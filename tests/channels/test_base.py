"""The capability table and the limit-driven degradation shared by every channel."""

from __future__ import annotations

import logging

import pytest

from flowbot.channels import CAPABILITIES, apply_limits, truncate


def test_capabilities_follow_the_spec_table() -> None:
    assert set(CAPABILITIES) == {"web", "facebook", "line", "kakao", "navertalk"}
    line = CAPABILITIES["line"]
    assert line.payload_chars == 300
    assert (line.card_title_chars, line.card_body_chars, line.button_label_chars) == (40, 120, 20)
    assert (line.quick_replies, line.quick_reply_label_chars) == (10, 10)
    kakao = CAPABILITIES["kakao"]
    assert kakao.sync_reply and kakao.payload_chars is None
    assert (kakao.button_label_chars, kakao.buttons_per_card) == (14, 3)
    facebook = CAPABILITIES["facebook"]
    assert (facebook.quick_replies, facebook.card_title_chars) == (13, 80)
    assert CAPABILITIES["navertalk"].button_label_chars == 18
    assert all(caps.text_chars == 1000 and caps.cards == 10 for caps in CAPABILITIES.values())


def test_truncate() -> None:
    assert truncate("abc", 3) == "abc"
    assert truncate("abcd", 3) == "ab…"


def test_apply_limits_for_line_cuts_labels_and_notes_it(caplog: pytest.LogCaptureFixture) -> None:
    replies = [
        {
            "type": "cards",
            "cards": [
                {
                    "title": "A very long card title that LINE will not show",
                    "buttons": [
                        {"type": "postback", "label": "Choose this one, please", "payload": "1"},
                        {"type": "postback", "label": "b"},
                        {"type": "postback", "label": "c"},
                        {"type": "postback", "label": "d"},
                    ],
                }
            ],
        }
    ]
    caplog.set_level(logging.INFO, logger="flowbot.channels")
    fitted, _, notes = apply_limits(replies, [], CAPABILITIES["line"])
    card = fitted[0]["cards"][0]
    assert card["title"] == "A very long card title that LINE will n…"
    assert [b["label"] for b in card["buttons"]] == ["Choose this one, pl…", "b", "c"]
    assert card["buttons"][0]["payload"] == "1"
    assert replies[0]["cards"][0]["title"].startswith("A very long card title that LINE will not")
    assert len(notes) == 3
    assert "line channel degraded a message" in caplog.text
