"""Loading bots: a bot file, a single-flow file, a folder of flow files, JSON or YAML.

* A bot file `{"title", "flows", "preference"}` loads as is.
* A flow file `{"id", "title", "data", "nodes"}` becomes a one-flow bot whose
  start and fallback flow is that flow; `export_source` gives the flow file
  back. Links to other flows are warnings there (the file is meant to be
  imported into a bot), errors in a bot.
* A folder: every `*.json`, `*.yaml`, `*.yml` file in it (sorted by name) is a
  flow file, except `bot.json` / `bot.yaml` / `bot.yml`, which may hold the
  bot's `title` and `preference`. The start flow defaults to the first flow
  file; problems name the file of their flow.
* YAML is read with YAML 1.2 booleans only (`yes`, `on`, `no`, `off` stay
  strings: they are common quick-reply labels).

The loader validates: errors raise `BotLoadError(problems)`; warnings do not
block. `load_bot` logs them (logger `flowbot.format`); `read_bot` returns them
in a `LoadedBot` for callers that show them (the CLI, the API).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from flowbot.format.models import Bot, Flow, Preference
from flowbot.format.problems import BotLoadError, Problem
from flowbot.format.validate import check_bot_data, is_flow_data
from flowbot.gcpause import paused_gc

__all__ = [
    "BOT_FILE_NAMES",
    "LoadedBot",
    "load_bot",
    "load_bot_data",
    "read_bot",
    "read_bot_data",
    "read_document",
]

logger = logging.getLogger("flowbot.format")

BOT_FILE_NAMES = ("bot.json", "bot.yaml", "bot.yml")
_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class LoadedBot:
    bot: Bot
    warnings: list[Problem]
    lone_flow: bool
    source: str


# --- reading files -------------------------------------------------------------


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader whose booleans are YAML 1.2's `true`/`false` only."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_document(path: Path) -> Any:
    """The JSON or YAML in `path`; raises BotLoadError giving the place of a syntax error."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BotLoadError([Problem(source, f"cannot read: {exc.strerror or exc}")]) from exc
    except UnicodeDecodeError as exc:
        raise BotLoadError([Problem(source, f"not UTF-8 text: {exc.reason}")]) from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return yaml.load(text, Loader=_YamlLoader)  # a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
            reason = getattr(exc, "problem", None) or str(exc)
            raise BotLoadError([Problem(source, f"invalid YAML{where}: {reason}")]) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        raise BotLoadError([Problem(source, message)]) from exc


def _read_folder(folder: Path) -> tuple[dict[str, Any], list[str]]:
    """Assemble a bot from a folder: its raw data and the file of each flow."""
    source = str(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _SUFFIXES)
    bot_files = [p for p in files if p.name.lower() in BOT_FILE_NAMES]
    flow_files = [p for p in files if p.name.lower() not in BOT_FILE_NAMES]
    problems: list[Problem] = []
    data: dict[str, Any] = {}
    if len(bot_files) > 1:
        names = ", ".join(p.name for p in bot_files)
        problems.append(Problem(source, f"more than one bot file ({names}); keep one"))
    elif bot_files:
        settings = _read(bot_files[0], problems)
        if settings is not None and not isinstance(settings, dict):
            problems.append(
                Problem(str(bot_files[0]), "expected an object with title and preference")
            )
        elif settings is not None:
            if "flows" in settings:
                problems.append(
                    Problem(
                        str(bot_files[0]),
                        "a folder's bot file holds title and preference only; "
                        "put each flow in its own file",
                        path="flows",
                    )
                )
            data.update({k: v for k, v in settings.items() if k != "flows"})
    flows: list[Any] = []
    flow_sources: list[str] = []
    for path in flow_files:
        flow = _read(path, problems)
        if flow is None:
            continue
        if not is_flow_data(flow):
            problems.append(
                Problem(str(path), 'expected a flow file ({"id", "title", "data", "nodes"})')
            )
            continue
        flows.append(flow)
        flow_sources.append(str(path))
    if not flow_files:
        problems.append(Problem(source, "no flow files (*.json, *.yaml, *.yml) in the folder"))
    if problems:
        raise BotLoadError(problems)
    data["flows"] = flows
    preference = data.get("preference")
    if flows and (not isinstance(preference, dict) or preference.get("entryFlowId") is None):
        # the first flow file starts the bot unless bot.json says otherwise
        merged = dict(preference) if isinstance(preference, dict) else {}
        merged["entryFlowId"] = flows[0].get("id")
        data["preference"] = merged
    return data, flow_sources


def _read(path: Path, problems: list[Problem]) -> Any:
    try:
        return read_document(path)
    except BotLoadError as exc:
        problems.extend(exc.problems)
        return None


# --- loading -------------------------------------------------------------------


def read_bot_data(
    data: Any, source: str = "bot", *, flow_sources: list[str] | None = None
) -> LoadedBot:
    """Validate raw bot or flow data; raises BotLoadError when it has errors."""
    lone_flow = is_flow_data(data)
    with paused_gc():
        model, problems = check_bot_data(
            data, source, lone_flow=lone_flow, flow_sources=flow_sources or ()
        )
    if model is None or any(problem.is_error for problem in problems):
        raise BotLoadError(problems)
    bot = _bot_of_flow(model) if isinstance(model, Flow) else model
    bot._load_problems = list(problems)
    return LoadedBot(bot=bot, warnings=problems, lone_flow=lone_flow, source=source)


def _bot_of_flow(flow: Flow) -> Bot:
    preference = Preference(entry_flow_id=flow.id, fallback_flow_id=flow.id)
    bot = Bot(flows=[flow], preference=preference)
    if flow.title is not None:
        bot.title = flow.title
    bot._lone_flow = True
    return bot


def read_bot(path: str | Path) -> LoadedBot:
    """Load and validate a bot file, flow file or folder, keeping its warnings."""
    path = Path(path)
    if path.is_dir():
        data, flow_sources = _read_folder(path)
        return read_bot_data(data, str(path), flow_sources=flow_sources)
    if not path.exists():
        raise BotLoadError([Problem(str(path), "no such file or folder")])
    return read_bot_data(read_document(path), str(path))


_LOGGED_WARNINGS = 10


def _log_warnings(loaded: LoadedBot) -> Bot:
    # a few lines help; thousands (a generated bot) would drown the log
    for warning in loaded.warnings[:_LOGGED_WARNINGS]:
        logger.warning("%s", warning)
    hidden = len(loaded.warnings) - _LOGGED_WARNINGS
    if hidden > 0:
        logger.warning("%s: %d more warnings (see `flowbot validate`)", loaded.source, hidden)
    return loaded.bot


def load_bot(path: str | Path) -> Bot:
    """Load and validate a bot; raises BotLoadError listing the problems if it has errors."""
    return _log_warnings(read_bot(path))


def load_bot_data(data: Any, source: str = "bot") -> Bot:
    """Validate bot or flow data (e.g. from the API) into a Bot; raises BotLoadError."""
    return _log_warnings(read_bot_data(data, source))
