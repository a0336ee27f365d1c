"""The conversation test file format (`*.test.yaml`), and its loader.

A test file names a bot and holds one or more conversations; each step sends
one user event and checks what came back::

    bot: pokemon.yaml                 # path relative to this file
    now: "2024-05-17T09:30:00+09:00"  # optional: what DATE calls now (default: the real time)
    seed: 7                           # optional: RAND's seed (default 0: the same every run)
    tests:
      - name: picks Charmander        # unique within the file
        params: {lang: en}            # optional: the conversation's initial params
        now: "2024-12-24T18:00:00Z"   # optional: this test's own clock and seed
        seed: 1
        steps:
          - open: true                # the user opens the chat
            expect:
              replies:                # every reply, in order
                - "Welcome!"                                  # a text bubble, exact text
                - {text: "Pick one", buttons: ["A", "B"]}     # text and its button labels
                - {cards: ["Bulbasaur", "Charmander"]}        # card titles
                - {image: "https://…/a.png"}                  # media by uri (also video, audio)
                - {location: "Seoul Station"}                 # a location by label
              quickReplies: ["Yes", "No"]  # labels of the quick replies now offered
          - click: "I choose you!"    # the NEWEST button/quick reply with this label
          - user: "hello"             # the user types a text
          - payload: '{"pokemon": "Charmander"}'   # a raw postback; may be a YAML mapping
            text: "I choose you!"     # optional: the text that rides with it
            params: {a: 1}            # optional on any step: merged into params first
            expect:
              contains: "Charmander"  # some reply text (or card title/description) contains it
              navigation: {flowId: 1, nodeId: 5}   # or null: no position
              params: {partner: Charmander}        # subset match; null = key absent
              error: null             # the default: the turn must not fail;
                                      # a string: the turn's error contains it
              nlp: {intent: 주문}     # the turn's last nlp result (subset match)

An `expect` key that is left out is not checked, except `error`, which
defaults to "no error". Step numbers in messages count from 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from flowbot.format.models import Id

__all__ = [
    "Expect",
    "ExpectedNavigation",
    "ExpectedReply",
    "Step",
    "TestCase",
    "TestFile",
    "TestFileError",
    "load_test_file",
]

MEDIA_KEYS = ("media", "image", "video", "audio")
REPLY_KINDS = ("text", "cards", "location", *MEDIA_KEYS)
STEP_ACTIONS = ("open", "user", "click", "payload")


class TestFileError(Exception):
    """A test file that cannot run; `.messages` are one line each, naming file, test and step."""

    __test__ = False  # not a pytest class

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(messages))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class ExpectedReply(Strict):
    """One expected reply written as a mapping; a plain string means {text: …}."""

    text: str | None = None
    buttons: list[str] | None = None
    cards: list[str] | None = None
    media: str | None = None
    image: str | None = None
    video: str | None = None
    audio: str | None = None
    location: str | None = None

    @model_validator(mode="before")
    @classmethod
    def text_shorthand(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def one_kind(self) -> ExpectedReply:
        kinds = [kind for kind in REPLY_KINDS if getattr(self, kind) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a reply names exactly one of {', '.join(REPLY_KINDS)}; got {kinds}")
        if self.buttons is not None and kinds != ["text"]:
            raise ValueError("buttons are checked on text replies only")
        return self


class ExpectedNavigation(Strict):
    flow_id: Id = Field(alias="flowId")
    node_id: Id | None = Field(default=None, alias="nodeId")


class Expect(Strict):
    replies: list[ExpectedReply] | None = None
    contains: str | list[str] | None = None
    navigation: ExpectedNavigation | None = None
    params: dict[str, Any] | None = None
    quick_replies: list[str] | None = Field(default=None, alias="quickReplies")
    error: str | None = None
    # the last nlp node's result in the turn, subset match: {intent: 주문, slots: {count: "2"}}
    nlp: dict[str, Any] | None = None

    @property
    def checks_navigation(self) -> bool:
        return "navigation" in self.model_fields_set


class Step(Strict):
    open: bool | None = None
    user: str | None = None
    click: str | None = None
    payload: str | None = None
    text: str | None = None
    params: dict[str, Any] | None = None
    expect: Expect = Field(default_factory=Expect)

    @field_validator("payload", mode="before")
    @classmethod
    def payload_as_json(cls, value: Any) -> Any:
        # A payload written as a YAML mapping/list travels as its JSON text.
        if isinstance(value, dict | list | int | float | bool):
            return json.dumps(value, ensure_ascii=False)
        return value

    @model_validator(mode="after")
    def one_action(self) -> Step:
        actions = [key for key in STEP_ACTIONS if getattr(self, key) is not None]
        if len(actions) != 1:
            raise ValueError(f"a step does exactly one of {', '.join(STEP_ACTIONS)}; got {actions}")
        if self.open is False:
            raise ValueError("open must be true")
        if self.text is not None and self.payload is None:
            raise ValueError("text goes with payload only (use user: to send a text)")
        return self

    def describe(self) -> str:
        if self.open:
            return "open"
        if self.user is not None:
            return f"user {self.user!r}"
        if self.click is not None:
            return f"click {self.click!r}"
        return f"payload {self.payload!r}" + (f" text {self.text!r}" if self.text else "")


class TestCase(Strict):
    __test__ = False

    name: str
    params: dict[str, Any] | None = None
    now: AwareDatetime | None = None
    seed: int | None = None
    steps: list[Step] = Field(min_length=1)


class TestFile(Strict):
    __test__ = False

    bot: str
    now: AwareDatetime | None = None
    seed: int = 0
    tests: list[TestCase] = Field(min_length=1)

    @model_validator(mode="after")
    def unique_names(self) -> TestFile:
        names = [test.name for test in self.tests]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"test names must be unique; repeated: {twice}")
        return self


def load_test_file(path: Path) -> TestFile:
    """Parse and check one test file; raises TestFileError with every problem found."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TestFileError([f"{path}: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:
        raise TestFileError([f"{path}: not valid YAML: {exc}"]) from None
    if not isinstance(data, dict):
        raise TestFileError([f"{path}: a test file is a mapping with keys bot and tests"])
    try:
        return TestFile.model_validate(data)
    except ValidationError as exc:
        raise TestFileError([_locate(path, data, error) for error in exc.errors()]) from None


def _locate(path: Path, data: dict[str, Any], error: Any) -> str:
    """`FILE: test "NAME" step N: json.path: message` for one pydantic error."""
    loc = list(error["loc"])
    where = [str(path)]
    if len(loc) >= 2 and loc[0] == "tests" and isinstance(loc[1], int):
        index = loc[1]
        tests = data.get("tests")
        test = tests[index] if isinstance(tests, list) and index < len(tests) else None
        name = test.get("name") if isinstance(test, dict) else None
        shown = json.dumps(name, ensure_ascii=False) if isinstance(name, str) else f"#{index + 1}"
        where.append(f"test {shown}")
        loc = loc[2:]
        if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
            where.append(f"step {loc[1] + 1}")
            loc = loc[2:]
    fields = [str(part) for part in loc]
    field = "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in fields).lstrip(".")
    message = str(error["msg"]).removeprefix("Value error, ")
    return ": ".join([*where, *([field] if field else []), message])
