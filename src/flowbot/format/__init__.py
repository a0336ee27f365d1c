"""The CLOSER bot format: models, conditions, loading, export and validation (docs/format.md).

    load_bot(path) -> Bot                       bot file, flow file, folder; JSON or YAML
    load_bot_data(data, source) -> Bot          raw data (e.g. from the API)
    read_bot(path) -> LoadedBot                 the same, keeping warnings and the file shape
    export_bot(bot) / export_flow(flow) / export_source(bot) -> dict
    validate_bot(data_or_bot, source, lone_flow) -> list[Problem]
    compile_where(where) -> Condition           edge conditions

Loading raises `BotLoadError` (its `.problems` lists every error and warning).
"""

from __future__ import annotations

from flowbot.format.conditions import Condition, ConditionError, compile_where
from flowbot.format.export import export_bot, export_flow, export_source
from flowbot.format.load import LoadedBot, load_bot, load_bot_data, read_bot, read_bot_data
from flowbot.format.problems import BotLoadError, Problem
from flowbot.format.validate import run_validate, validate_bot

__all__ = [
    "BotLoadError",
    "Condition",
    "ConditionError",
    "LoadedBot",
    "Problem",
    "compile_where",
    "export_bot",
    "export_flow",
    "export_source",
    "load_bot",
    "load_bot_data",
    "read_bot",
    "read_bot_data",
    "run_validate",
    "validate_bot",
]
