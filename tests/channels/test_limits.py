"""The generic limit-driven degradation (`flowbot.channels.limits`), as the web channel uses it."""

from __future__ import annotations

import logging
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowbot.channels import CAPABILITIES, apply_limits, limits, truncate


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


# --- the fast path (nothing over a limit) agrees with the slow path ------------------------

_LENGTHS = st.sampled_from([0, 1, 9, 10, 11, 14, 15, 20, 21, 35, 36, 40, 41, 80, 81, 120, 121])
_LONG_LENGTHS = st.sampled_from([0, 1, 230, 231, 255, 256, 999, 1000, 1001])


def _text(lengths: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    return lengths.map(lambda n: "가" * n)


_buttons = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("postback"), "label": _text(_LENGTHS), "payload": st.just("1")}
        ),
        st.fixed_dictionaries({"type": st.just("link"), "uri": st.just("https://x.example")}),
        st.just("not a button"),
    ),
    max_size=11,
)
_card = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "title": st.one_of(_text(_LENGTHS), _text(_LONG_LENGTHS), st.none()),
            "description": st.one_of(_text(_LENGTHS), _text(_LONG_LENGTHS), st.integers()),
            "buttons": _buttons,
        },
    ),
    st.just(7),
)
_message = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("text"), "text": st.one_of(_text(_LONG_LENGTHS), st.none())},
        optional={"buttons": st.one_of(_buttons, st.none())},
    ),
    st.fixed_dictionaries(
        {"type": st.just("cards"), "cards": st.one_of(st.lists(_card, max_size=12), st.none())}
    ),
    st.fixed_dictionaries({"type": st.just("media"), "media": st.just({"uri": "u"})}),
)
_quick = st.lists(
    st.fixed_dictionaries({"type": st.just("postback"), "label": _text(_LENGTHS)}), max_size=52
)


@settings(max_examples=400, deadline=None)
@given(
    replies=st.lists(_message, max_size=4),
    quick=_quick,
    channel=st.sampled_from(sorted(CAPABILITIES)),
)
def test_the_fast_path_agrees_with_the_slow_path(
    replies: list[dict[str, Any]], quick: list[dict[str, Any]], channel: str
) -> None:
    caps = CAPABILITIES[channel]
    slow_replies, slow_quick, slow_notes = limits._fit_all(replies, quick, caps)
    fitted, fitted_quick, notes = apply_limits(replies, quick, caps)
    assert (fitted, fitted_quick, notes) == (slow_replies, slow_quick, slow_notes)
    # the fast path is taken exactly when nothing is over a limit…
    assert limits._all_fit(replies, quick, caps) == (slow_notes == [])
    if not notes:
        # …and then hands on the very objects it was given
        assert all(a is b for a, b in zip(fitted, replies, strict=True))
        assert all(a is b for a, b in zip(fitted_quick, quick, strict=True))


def test_a_mapping_that_is_not_a_dict_is_copied_to_a_dict() -> None:
    reply = MappingProxyType({"type": "text", "text": "hi"})
    fitted, _, notes = apply_limits([reply], [], CAPABILITIES["web"])
    assert fitted == [{"type": "text", "text": "hi"}] and type(fitted[0]) is dict
    assert notes == []
