"""Drive `flowbot chat --jsonl` as a real subprocess; a bot with every kind of button."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SHARED = REPO / ".." / "shared" / "closer-exports"

# A bot with every kind of button: two postbacks labelled "Same" in different
# messages, a link, a goto, a payload-less postback, and quick replies with
# and without payload. Its fallback flow echoes what arrived.
BUTTONS_BOT = """
title: Buttons
preference: {entryFlowId: 1, fallbackFlowId: 3}
flows:
  - id: 1
    data: {entry: 1}
    nodes:
      - {id: 1, type: entry, data: {}, next: [{nodeId: 2}]}
      - id: 2
        type: response
        data:
          message:
            type: text
            text: Menu
            buttons:
              - {type: postback, label: Same, payload: '{"n": 1}'}
              - {type: link, label: Docs, uri: "https://example.com/docs"}
              - {type: goto, label: Jump, flowId: 2}
        next: [{nodeId: 3}]
      - id: 3
        type: response
        data:
          message:
            type: cards
            cards:
              - title: Left
                buttons: [{type: postback, label: Same, payload: '{"n": 2}'}]
              - title: Right
                buttons: [{type: postback, label: Plain}]
        next: [{nodeId: 4}]
      - id: 4
        type: keyboard
        data:
          type: buttons
          buttons:
            - {type: postback, label: QR, payload: '{"qr": "yes"}'}
            - {type: postback, label: Bare}
        next: []
  - id: 2
    data: {entry: 1}
    nodes:
      - {id: 1, type: entry, data: {}, next: [{nodeId: 2}]}
      - {id: 2, type: response, data: {message: {type: text, text: Flow two}}, next: []}
  - id: 3
    data: {entry: 1}
    nodes:
      - {id: 1, type: entry, data: {}, next: [{nodeId: 2}]}
      - id: 2
        type: response
        data:
          message:
            type: text
            text: >-
              echo text=<{{message.text}}> n=<{{message.payload.n}}>
              qr=<{{message.payload.qr}}> name=<{{name}}>
        next: []
"""


class JsonlChatProcess:
    """One `flowbot chat --jsonl` process; `send` writes a line and reads its answer."""

    def __init__(self, bot: Path) -> None:
        # A C locale must not break UTF-8 in or out.
        env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": ""}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flowbot.cli", "chat", str(bot), "--jsonl"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.selector = selectors.DefaultSelector()
        assert self.process.stdout is not None
        self.selector.register(self.process.stdout, selectors.EVENT_READ)

    def send_raw(self, line: str) -> bytes:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line.encode("utf-8") + b"\n")
        self.process.stdin.flush()
        # The answer must arrive while stdin stays open: one line per event, flushed.
        if not self.selector.select(timeout=30):
            raise AssertionError(f"no answer within 30 s to {line!r}")
        return self.process.stdout.readline()

    def send(self, event: dict[str, Any] | str) -> dict[str, Any]:
        line = event if isinstance(event, str) else json.dumps(event, ensure_ascii=False)
        answer: dict[str, Any] = json.loads(self.send_raw(line))
        return answer

    def close(self) -> tuple[int, bytes, bytes]:
        rest, errors = self.process.communicate(timeout=30)
        self.selector.close()
        return self.process.returncode, rest, errors
