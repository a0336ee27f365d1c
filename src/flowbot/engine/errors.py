"""The one error a node raises to fail a turn (SPEC §4.6)."""

from __future__ import annotations

__all__ = ["TurnError"]


class TurnError(Exception):
    """A turn that cannot go on: the bot answers with its `error` system message.

    The message is what `{{error}}` shows in that system message, so it is
    written for the bot builder (which node, what went wrong), not as a trace.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)
