from __future__ import annotations

from pathlib import Path

import pytest

from flowbot.testing import ExpectedReply, Step, TestFileError, load_test_file


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.test.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(TestFileError) as caught:
        load_test_file(path)
    return caught.value.messages


def test_a_full_file_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
bot: b.yaml
tests:
  - name: all keys
    params: {a: 1}
    steps:
      - open: true
        expect:
          replies: ["hi", {text: t, buttons: [A]}, {cards: [x]}, {image: u}, {location: l}]
          contains: hi
          navigation: null
          params: {a: 1}
          quickReplies: [A]
          error: null
      - payload: {flowId: 2}
        text: Go
""",
    )
    test = load_test_file(path).tests[0]
    first, second = test.steps
    assert first.expect.replies is not None
    assert first.expect.replies[0] == ExpectedReply(text="hi")
    assert first.expect.checks_navigation and first.expect.navigation is None
    assert second.payload == '{"flowId": 2}'
    assert not second.expect.checks_navigation


def test_messages_name_file_test_and_step(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
bot: b.yaml
tests:
  - name: bad steps
    steps:
      - open: false
      - text: lonely
      - click: A
        expect: {replies: [{text: a, cards: [b]}], quickreplies: []}
  - name: bad steps
    steps: [{open: true}]
""",
    )
    assert problems(path) == [
        f'{path}: test "bad steps": step 1: open must be true',
        f'{path}: test "bad steps": step 2: a step does exactly one of open, user, click, '
        "payload; got []",
        f'{path}: test "bad steps": step 3: expect.replies[0]: a reply names exactly one of '
        "text, cards, location, media, image, video, audio; got ['text', 'cards']",
        f'{path}: test "bad steps": step 3: expect.quickreplies: Extra inputs are not permitted',
    ]


def test_duplicate_names_and_file_level_problems(tmp_path: Path) -> None:
    test = "  - {name: x, steps: [{open: true}]}\n"
    assert load_test_file(write(tmp_path, "bot: b\ntests:\n" + test)).bot == "b"
    dup = write(tmp_path, "bot: b\ntests:\n" + test * 2)
    assert problems(dup) == [f"{dup}: test names must be unique; repeated: ['x']"]
    assert problems(write(tmp_path, "- a\n")) == [
        f"{tmp_path / 't.test.yaml'}: a test file is a mapping with keys bot and tests"
    ]
    assert problems(write(tmp_path, "bot: [\n"))[0].startswith(
        f"{tmp_path / 't.test.yaml'}: not valid YAML"
    )
    path = write(tmp_path, "tests: []\n")
    assert problems(path) == [
        f"{path}: bot: Field required",
        f"{path}: tests: List should have at least 1 item after validation, not 0",
    ]


def test_step_descriptions() -> None:
    assert Step(open=True).describe() == "open"
    assert Step(user="hi").describe() == "user 'hi'"
    assert Step(payload="{}", text="Go").describe() == "payload '{}' text 'Go'"
