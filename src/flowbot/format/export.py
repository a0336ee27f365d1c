"""Export: the CLOSER JSON of a bot or flow, exactly as it was loaded (key order aside).

Only the fields the file set are written (`exclude_unset`), so defaults that
flowbot fills in at load time never leak into the export.
"""

from __future__ import annotations

from typing import Any

from flowbot.format.models import Bot, Flow

__all__ = ["export_bot", "export_flow", "export_source"]


def export_bot(bot: Bot) -> dict[str, Any]:
    """The bot-file JSON `{"title", "flows", "preference"}`."""
    return bot.model_dump(mode="json", by_alias=True, exclude_unset=True)


def export_flow(flow: Flow) -> dict[str, Any]:
    """The flow-file JSON `{"id", "title", "data", "nodes"}`."""
    return flow.model_dump(mode="json", by_alias=True, exclude_unset=True)


def export_source(bot: Bot) -> dict[str, Any]:
    """The shape the bot was loaded from: a flow file for a bot loaded from one."""
    if bot._lone_flow and len(bot.flows) == 1:
        return export_flow(bot.flows[0])
    return export_bot(bot)
