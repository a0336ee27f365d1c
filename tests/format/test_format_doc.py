"""docs/format.md: its examples parse, the whole bot in it validates, its links resolve.

A code block preceded by `<!-- validate -->` is a whole bot that
`flowbot validate` must pass without a line; every other YAML block must at
least be YAML. The page documents every node type, message type, button type
and condition operator of the models.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest
import yaml
from typer.testing import CliRunner

from flowbot.cli import app
from flowbot.format.conditions import OPERATORS
from flowbot.format.models import NODE_TYPES, UNSUPPORTED_NODE_TYPES, Button, Message

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "format.md"
TEXT = DOC.read_text(encoding="utf-8")

runner = CliRunner()

_BLOCK = re.compile(r"(?P<marker><!-- validate -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S)


def _blocks(lang: str) -> list[tuple[bool, str]]:
    return [
        (bool(m.group("marker")), m.group("body"))
        for m in _BLOCK.finditer(TEXT)
        if m.group("lang") == lang
    ]


def _anchor(heading: str) -> str:
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {_anchor(line.lstrip("#")) for line in lines if line.startswith("#")}


@pytest.mark.parametrize("block", [body for _, body in _blocks("yaml")])
def test_every_yaml_example_is_yaml(block: str) -> None:
    assert list(yaml.safe_load_all(block))


def test_the_whole_bot_validates_clean(tmp_path: Path) -> None:
    bots = [body for marked, body in _blocks("yaml") if marked]
    assert bots
    for index, body in enumerate(bots):
        path = tmp_path / f"bot{index}.yaml"
        path.write_text(body, encoding="utf-8")
        result = runner.invoke(app, ["validate", str(path), "--notes"])
        assert (result.exit_code, result.output) == (0, "")


def test_links_to_the_repo_docs_resolve() -> None:
    for target, anchor in re.findall(r"\]\(([\w./-]*\.md)?(?:#([\w-]+))?\)", TEXT):
        path = DOC if not target else (DOC.parent / target)
        assert path.is_file(), target
        if anchor:
            assert anchor in _anchors(path), f"{target}#{anchor}"


def test_every_type_and_operator_is_documented() -> None:
    for node_type in (*NODE_TYPES, *UNSUPPORTED_NODE_TYPES):
        assert re.search(rf"^### .*\b{node_type}\b", TEXT, re.M), node_type
    message_types = [get_args(m)[0] for m in _literal_types(Message)]
    assert message_types == ["text", "media", "cards", "location"]
    for message_type in message_types:
        assert f"### {message_type}\n" in TEXT
    for button_type in [get_args(b)[0] for b in _literal_types(Button)]:
        assert f"| `{button_type}` |" in TEXT
    for operator in OPERATORS:
        assert f"`{operator}`" in TEXT
    assert "`$or`" in TEXT and "`$and`" in TEXT


def _literal_types(union: object) -> list[object]:
    members = get_args(get_args(union)[0])
    return [member.model_fields["type"].annotation for member in members]  # type: ignore[attr-defined]


def test_the_docs_point_at_no_file_outside_the_repo() -> None:
    docs = [
        *sorted((REPO / "docs").glob("*.md")),
        REPO / "README.md",
        REPO / "examples" / "README.md",
    ]
    for path in docs:
        text = path.read_text(encoding="utf-8")
        assert "SPEC" not in text, path
        assert "../shared" not in text, path
