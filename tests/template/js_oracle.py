"""The JS originals CLOSER ran, as long-lived node processes (one JSON line in, one out).

The scripts and their pinned packages live in tests/js/ (`make node-deps`
installs them); a test module opens its oracle once through `open_oracle`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

JS_DIR = Path(__file__).resolve().parents[1] / "js"


class NodeOracle:
    def __init__(self, script: str, *, inline: bool = False) -> None:
        """`script` is a file of tests/js/, or with `inline` the program's text itself."""
        self.process = subprocess.Popen(
            ["node", "-e", script] if inline else ["node", script],
            cwd=JS_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def exchange(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request; the script's whole reply (`output` or `error`)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        reply: dict[str, Any] = json.loads(self.process.stdout.readline())
        return reply

    def ask(self, request: dict[str, Any]) -> Any:
        """The script's `output` for a request it must not refuse."""
        reply = self.exchange(request)
        assert "error" not in reply, reply
        return reply["output"]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


def open_oracle(script: str, package: str) -> NodeOracle:
    """Start `tests/js/<script>`; skip when node or the pinned packages are missing."""
    if shutil.which("node") is None or not (JS_DIR / "node_modules" / package).is_dir():
        pytest.skip("node or tests/js/node_modules is missing (run `make node-deps`)")
    return NodeOracle(script)


def open_inline_oracle(program: str, package: str) -> NodeOracle:
    """Run `program` (JavaScript text) in tests/js/, where `package` must be installed."""
    if shutil.which("node") is None or not (JS_DIR / "node_modules" / package).is_dir():
        pytest.skip("node or tests/js/node_modules is missing (run `make node-deps`)")
    return NodeOracle(program, inline=True)
