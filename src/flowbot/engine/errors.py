"""The errors a node raises to fail a turn (SPEC §4.6)."""

from __future__ import annotations

from typing import Any

__all__ = ["TurnError", "TurnLimitError"]


class TurnError(Exception):
    """A turn that cannot go on: the bot answers with its `error` system message.

    The message is what `{{error}}` shows in that system message, so it is
    written for the bot builder (which node, what went wrong), not as a trace.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class TurnLimitError(TurnError):
    """A turn stopped by a bound on its work: the node count, a regex's time, a template's size.

    The user gets the error system message as for any TurnError; the engine
    also logs a warning naming the bot, the flow and the node (`reason` is
    the limit's own text), since a visitor may be sending hostile input or
    the bot may need fixing.
    """

    def __init__(self, message: str, flow_id: Any, node_id: Any, reason: str) -> None:
        super().__init__(message)
        self.flow_id = flow_id
        self.node_id = node_id
        self.reason = reason
