"""ConversationState: immutable, compact JSON, clear errors on bad stored data."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from flowbot.engine import ConversationState, StateFormatError


def _full_state() -> ConversationState:
    return ConversationState(
        current=(1, 5),
        visit_count=2,
        prev=("flow-a", "n1"),
        params={"name": "지우", "count": 3},
        back_stack=((1, 1), ("2", "x")),
        screen_on_top=True,
        fetch={"status": "COMPLETED", "data": {"a": 1}},
        sandbox={"result": [1], "error": None},
        keyboard={"flowId": 1, "nodeId": 5, "text": "hi"},
        error="boom",
        last_message={"type": "text", "text": "hi"},
    )


def test_json_round_trip_keeps_everything_and_id_types() -> None:
    state = _full_state()
    stored = json.loads(json.dumps(state.to_json()))
    assert ConversationState.from_json(stored) == state


def test_a_fresh_state_is_tiny() -> None:
    assert ConversationState().to_json() == {"v": 1}
    assert ConversationState.from_json({"v": 1}) == ConversationState()


def test_navigation_is_the_waiting_position_as_in_the_bot_file() -> None:
    assert _full_state().navigation == {"flowId": 1, "nodeId": 5}
    assert ConversationState().navigation is None


def test_with_navigation_returns_a_new_state() -> None:
    state = _full_state()
    moved = state.with_navigation(2, 7)
    assert moved.navigation == {"flowId": 2, "nodeId": 7}
    assert moved.prev == (1, 5)
    assert state.navigation == {"flowId": 1, "nodeId": 5}
    assert state.with_navigation(None).navigation is None


def test_state_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _full_state().current = None  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ({"v": 2}, "version"),
        ({"at": [1, 2]}, "at"),
        ({"at": [1, 2, "x"]}, "at"),
        ({"at": [1.5, 2, 1]}, "id"),
        ({"prev": "1/2"}, "prev"),
        ({"params": []}, "params"),
        ({"back": [[1]]}, "back"),
        ({"back": {}}, "back"),
        ({"error": 1}, "error"),
        ({"msg": "hi"}, "msg"),
    ],
)
def test_bad_stored_state_is_a_clear_error(data: Any, message: str) -> None:
    with pytest.raises(StateFormatError, match=message):
        ConversationState.from_json(data)
