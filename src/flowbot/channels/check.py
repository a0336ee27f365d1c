"""`flowbot validate --channel facebook,line`: each channel's degradations, ahead of time.

The channel's own `render` runs on every response node's message and every
keyboard's quick replies as the bot file draws them, and each note it makes
becomes a warning in the validator's format (`PATH: warning: flow F node N
json.path: line: …`). It is the same code that degrades them at run time, so
the two cannot disagree — except for templated text, which is measured
before it is rendered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flowbot.channels.base import Degradation, Recipient
from flowbot.channels.registry import CHANNELS
from flowbot.format.models import Bot, KeyboardNode, ResponseNode
from flowbot.format.problems import Problem

__all__ = ["channel_problems"]

# what quick replies ride on when a keyboard is checked alone
_CARRIER = {"type": "text", "text": "…"}
_RECIPIENT = Recipient("validate", "U-validate", reply_token="validate")


def channel_problems(bot: Bot, source: str, channels: Sequence[str]) -> list[Problem]:
    """One warning per degradation each channel would make; `channels` are registry names."""
    problems: list[Problem] = []
    for name in channels:
        module = CHANNELS[name]
        for flow in bot.flows:
            for node in flow.nodes:
                notes: list[tuple[str, Degradation]] = []
                if isinstance(node, ResponseNode):
                    message = node.data.message.model_dump(mode="json", exclude_unset=True)
                    rendered = module.render([message], [], _RECIPIENT, module.capabilities)
                    notes = [("data.message", note) for note in rendered.notes]
                elif isinstance(node, KeyboardNode) and node.data.buttons:
                    buttons: list[dict[str, Any]] = [
                        {"type": "postback", **b.model_dump(mode="json", exclude_unset=True)}
                        for b in node.data.buttons
                    ]
                    rendered = module.render([_CARRIER], buttons, _RECIPIENT, module.capabilities)
                    notes = [("data.buttons", n) for n in rendered.notes if n.message is None]
                for base, note in notes:
                    problems.append(
                        Problem(
                            source,
                            f"{name}: {note.note}",
                            flow.id,
                            node.id,
                            _join(base, note.path),
                            "warning",
                        )
                    )
    return problems


def _join(base: str, path: str) -> str:
    if not path:
        return base
    return f"{base}{path}" if path.startswith("[") else f"{base}.{path}"
