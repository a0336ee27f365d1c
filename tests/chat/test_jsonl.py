from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .support import EXAMPLES, SHARED, JsonlChatProcess

Start = Callable[[Path], JsonlChatProcess]


def texts(answer: dict[str, object]) -> list[str]:
    replies = answer["replies"]
    assert isinstance(replies, list)
    return [reply.get("text", reply["type"]) for reply in replies]


def test_every_answer_has_the_documented_keys(jsonl_chat: Start, buttons_bot: Path) -> None:
    chat = jsonl_chat(buttons_bot)
    answer = chat.send({"user": "u1", "event": "open"})
    assert list(answer) == ["user", "replies", "quickReplies", "navigation", "params", "error"]
    assert answer["user"] == "u1"
    assert texts(answer) == ["Menu", "cards"]
    assert [reply["label"] for reply in answer["quickReplies"]] == ["QR", "Bare"]
    assert answer["navigation"] == {"flowId": 1, "nodeId": 4}
    assert answer["params"] == {}
    assert answer["error"] is None


def test_users_interleave_independently(jsonl_chat: Start, buttons_bot: Path) -> None:
    chat = jsonl_chat(buttons_bot)
    chat.send({"user": "u1", "event": "open"})
    # u2 never opened: a first text starts a conversation (welcome) as the server does.
    first = chat.send({"user": "u2", "text": "hi", "params": {"name": "Kim"}})
    assert first["user"] == "u2"
    assert "Menu" in texts(first)
    u1 = chat.send({"user": "u1", "text": "typed", "params": {"name": "Lee"}})
    assert texts(u1) == ["echo text=<typed> n=<> qr=<> name=<Lee>"]
    assert u1["navigation"] is None
    u2 = chat.send({"user": "u2", "click": "Same"})
    assert texts(u2) == ["echo text=<Same> n=<2> qr=<> name=<Kim>"]
    assert u2["params"] == {"name": "Kim"}
    assert chat.send({"user": "u1", "click": "Same"})["params"] == {"name": "Lee"}


def test_click_presses_the_newest_button_with_the_label(
    jsonl_chat: Start, buttons_bot: Path
) -> None:
    chat = jsonl_chat(buttons_bot)
    chat.send({"user": "u1", "event": "open"})
    # "Same" is in the text bubble (n=1) and in the later card (n=2): the card wins.
    assert texts(chat.send({"user": "u1", "click": "Same"})) == [
        "echo text=<Same> n=<2> qr=<> name=<>"
    ]
    # Buttons stay clickable after the conversation moved on.
    assert texts(chat.send({"user": "u1", "click": "Plain"})) == [
        "echo text=<Plain> n=<> qr=<> name=<>"
    ]
    chat.send({"user": "u1", "event": "open"})
    # After a second welcome, the newest "Same" is again the card of the new one.
    assert "n=<2>" in texts(chat.send({"user": "u1", "click": "Same"}))[0]


def test_quick_replies_are_clickable_only_while_offered(
    jsonl_chat: Start, buttons_bot: Path
) -> None:
    chat = jsonl_chat(buttons_bot)
    chat.send({"user": "u1", "event": "open"})
    answer = chat.send({"user": "u1", "click": "QR"})
    assert texts(answer) == ["echo text=<QR> n=<> qr=<yes> name=<>"]
    assert answer["quickReplies"] == []
    stale = chat.send({"user": "u1", "click": "QR"})
    assert stale["replies"] == []
    assert "QR" in stale["error"]
    chat.send({"user": "u1", "event": "open"})
    assert texts(chat.send({"user": "u1", "click": "Bare"})) == [
        "echo text=<Bare> n=<> qr=<> name=<>"
    ]


def test_goto_click_jumps(jsonl_chat: Start, buttons_bot: Path) -> None:
    chat = jsonl_chat(buttons_bot)
    chat.send({"user": "u1", "event": "open"})
    answer = chat.send({"user": "u1", "click": "Jump"})
    assert texts(answer) == ["Flow two"]
    assert answer["error"] is None
    assert answer["navigation"] is None


def test_link_and_unknown_labels_are_error_lines(jsonl_chat: Start, buttons_bot: Path) -> None:
    chat = jsonl_chat(buttons_bot)
    chat.send({"user": "u1", "event": "open"})
    link = chat.send({"user": "u1", "click": "Docs"})
    assert link["replies"] == []
    assert "link" in link["error"] and "https://example.com/docs" in link["error"]
    # No turn ran: the conversation still waits with its quick replies.
    assert link["navigation"] == {"flowId": 1, "nodeId": 4}
    assert [reply["label"] for reply in link["quickReplies"]] == ["QR", "Bare"]
    unknown = chat.send({"user": "u1", "click": "Nope"})
    assert unknown["replies"] == [] and "Nope" in unknown["error"]
    assert chat.send({"user": "u9", "click": "Same"})["error"] is not None


@pytest.mark.parametrize(
    ("line", "user", "fragment"),
    [
        ("not json", None, "not a JSON line"),
        ("", None, "not a JSON line"),
        ("[1, 2]", None, "JSON object"),
        ('{"text": "hi"}', None, '"user"'),
        ('{"user": "", "text": "hi"}', None, '"user"'),
        ('{"user": "u1"}', "u1", "one of"),
        ('{"user": "u1", "txt": "hi"}', "u1", "unknown keys"),
        ('{"user": "u1", "event": "close"}', "u1", "unknown event"),
        ('{"user": "u1", "text": "hi", "params": [1]}', "u1", '"params"'),
        ('{"user": "u1", "click": "Same", "text": "x"}', "u1", "cannot be combined"),
    ],
)
def test_malformed_lines_answer_with_an_error_and_go_on(
    jsonl_chat: Start, buttons_bot: Path, line: str, user: str | None, fragment: str
) -> None:
    chat = jsonl_chat(buttons_bot)
    answer = chat.send(line)
    assert answer["user"] == user
    assert fragment in answer["error"]
    assert answer["replies"] == []
    assert texts(chat.send({"user": "u1", "event": "open"}))[0] == "Menu"


def test_one_answer_per_line_in_a_batch(buttons_bot: Path) -> None:
    lines = [
        '{"user": "a", "event": "open"}',
        "garbage",
        '{"user": "b", "payload": {"n": 7}}',
        '{"user": "a", "text": "x", "payload": "{\\"n\\": 5}"}',
        "",
        '{"user": "a", "click": "Jump"}',
    ]
    done = subprocess.run(
        [sys.executable, "-m", "flowbot.cli", "chat", str(buttons_bot), "--jsonl"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(lines)
    assert [answer["error"] is None for answer in answers] == [True, False, True, True, False, True]
    # b has no conversation yet: the first message starts one with the welcome.
    assert answers[2]["replies"][0]["text"] == "Menu"
    assert answers[3]["replies"][0]["text"] == "echo text=<x> n=<5> qr=<> name=<>"
    assert answers[5]["replies"][0]["text"] == "Flow two"


def test_a_bot_that_does_not_load_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "flows:\n  - id: 1\n    nodes:\n      - {id: 1, type: entry, next: [{nodeId: 9}]}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "flowbot.cli", "chat", str(broken), "--jsonl"],
        input='{"user": "u", "event": "open"}\n',
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "broken.yaml" in done.stderr


def test_pokemon_example_over_jsonl(jsonl_chat: Start) -> None:
    chat = jsonl_chat(EXAMPLES / "pokemon.yaml")
    opened = chat.send({"user": "ash", "event": "open"})
    assert opened["replies"][0]["text"].startswith("Welcome to the world of Pokémon!")
    assert [card["title"] for card in opened["replies"][1]["cards"]] == [
        "Bulbasaur",
        "Charmander",
        "Squirtle",
    ]
    picked = chat.send({"user": "ash", "click": "I choose you!"})
    assert texts(picked) == ["Squirtle! An excellent choice."]
    assert picked["params"] == {"partner": "Squirtle"}


CLOSER_POKEMON = SHARED / "pokemon-starter.flow.json"


@pytest.mark.skipif(not CLOSER_POKEMON.exists(), reason="../shared/closer-exports is absent")
def test_closer_pokemon_export_click_hits_the_newest_card(jsonl_chat: Start) -> None:
    chat = jsonl_chat(CLOSER_POKEMON)
    opened = chat.send({"user": "u1", "event": "open"})
    assert [reply["type"] for reply in opened["replies"]] == ["media", "text", "cards"]
    assert len(opened["replies"][2]["cards"]) == 3
    # Three buttons are labelled "너로 정했다!": click presses the newest, the third card.
    raw = chat.send_raw(json.dumps({"user": "u1", "click": "너로 정했다!"}))
    assert "꼬부기".encode() in raw  # UTF-8 on stdout, not \\u escapes, even in a C locale
    assert texts(json.loads(raw)) == ["꼬부기를 선택했구나. 탁월한 선택이야!"]
    # The second card is clicked by sending its payload with the label.
    chat.send({"user": "u2", "event": "open"})
    second = chat.send({"user": "u2", "text": "너로 정했다!", "payload": '{ "pokemon": "파이리" }'})
    assert texts(second) == ["파이리를 선택했구나. 탁월한 선택이야!"]
    code, rest, _ = chat.close()
    assert (code, rest) == (0, b"")
