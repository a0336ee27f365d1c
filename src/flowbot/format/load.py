"""Loading bots: a bot file, a single-flow file, a folder of flow files, JSON or YAML.

* A bot file `{"title", "flows", "preference"}` loads as is.
* A flow file `{"id", "title", "data", "nodes"}` becomes a one-flow bot whose
  start and fallback flow is that flow; `export_source` gives the flow file
  back. Links to other flows are warnings there (the file is meant to be
  imported into a bot), errors in a bot.
* A folder that is one bot: every `*.json`, `*.yaml`, `*.yml` file in it
  (sorted by name) is a flow file, except `bot.json` / `bot.yaml` / `bot.yml`,
  which may hold the bot's `title` and `preference`. The start flow defaults
  to the first flow file; problems name the file of their flow.
* A folder of separate bots (`examples/`) is not one bot; `bots_in` lists its
  bots for `flowbot validate`, and loading it is refused with that list. The
  rule that tells the two apart is `bots_in`'s.
* YAML is read with YAML 1.2 booleans only (`yes`, `on`, `no`, `off` stay
  strings: they are common quick-reply labels).

The loader validates: errors raise `BotLoadError(problems)`; warnings do not
block. `load_bot` logs them (logger `flowbot.format`); `read_bot` returns them
in a `LoadedBot` for callers that show them (the CLI, the API), and the notes
(what only the run can check) apart, for `flowbot validate --notes`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flowbot.format.models import Bot, Flow, Preference
from flowbot.format.problems import BotLoadError, Problem
from flowbot.format.validate import check_bot_data, is_flow_data
from flowbot.gcpause import paused_gc

__all__ = [
    "BOT_FILE_NAMES",
    "CONVERSATION_TEST_SUFFIXES",
    "LoadedBot",
    "bot_paths",
    "bots_in",
    "load_bot",
    "load_bot_data",
    "read_bot",
    "read_bot_data",
    "read_document",
]

logger = logging.getLogger("flowbot.format")

BOT_FILE_NAMES = ("bot.json", "bot.yaml", "bot.yml")
# conversation tests (`flowbot test`), which often sit next to the bots they test
CONVERSATION_TEST_SUFFIXES = (".test.yaml", ".test.yml")
# `flowbot nlp eval` data sets next to a bot (docs/nlp.md): not bots either
EVALUATION_SUFFIXES = (".eval.yaml", ".eval.yml")
_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class LoadedBot:
    bot: Bot
    warnings: list[Problem]
    lone_flow: bool
    source: str
    # what could only be checked at run time (`flowbot validate --notes`)
    notes: list[Problem] = field(default_factory=list)


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


# --- a folder: one bot, or a folder of bots --------------------------------------

_MAX_FOLDER_DEPTH = 8


def _documents(folder: Path) -> list[Path]:
    """The files of a folder that may hold a bot or a flow (conversation tests aside)."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() in _SUFFIXES
        and not path.name.lower().endswith(CONVERSATION_TEST_SUFFIXES + EVALUATION_SUFFIXES)
    )


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _holds_bots(folder: Path, depth: int = 0) -> bool:
    """Whether a bot file, a flow file or a bot folder is in `folder` (a media folder is not)."""
    if depth > _MAX_FOLDER_DEPTH:
        return False
    try:
        return bool(_documents(folder)) or any(
            _holds_bots(sub, depth + 1) for sub in _subfolders(folder)
        )
    except OSError:
        return False


def _classify(folder: Path) -> tuple[list[Path] | None, dict[Path, Any]]:
    """`bots_in`, and the documents it read (a `BotLoadError` for a file it could not)."""
    documents = _documents(folder)
    if any(path.name.lower() in BOT_FILE_NAMES for path in documents):
        return None, {}
    read: dict[Path, Any] = {}
    for path in documents:
        try:
            read[path] = read_document(path)
        except BotLoadError as exc:
            read[path] = exc
    values = [value for value in read.values() if not isinstance(value, BotLoadError)]
    whole_bots = any(isinstance(value, dict) and "flows" in value for value in values)
    if not whole_bots and any(is_flow_data(value) for value in values):
        return None, read
    bot_folders = [sub for sub in _subfolders(folder) if _holds_bots(sub)]
    if not whole_bots and not bot_folders:
        return None, read
    return sorted([*documents, *bot_folders]), read


def bots_in(folder: Path) -> list[Path] | None:
    """The bots in a folder of separate bots, by name; None when the folder is one bot.

    A folder is **one bot** when it holds a bot file (`bot.json`, `bot.yaml`,
    `bot.yml`), or when none of its files is a whole bot (an object with
    `flows`) and one of them is a flow file (an object with `nodes`), or when
    it holds neither whole bots nor folders of bots (then loading it says
    what is missing). Otherwise it is a **folder of bots**: each of its
    JSON and YAML files is a bot (or a flow file, a one-flow bot), and so is
    each folder inside that holds a bot, a flow or a folder of bots; folders
    with none (`pokemon.media/`), hidden folders and conversation tests
    (`*.test.yaml`, `*.test.yml`) are passed over.
    """
    return _classify(folder)[0]


def bot_paths(path: Path) -> list[Path]:
    """The bots `path` names: itself, or each bot of a folder of bots (nested ones too)."""
    found: list[Path] = []
    seen: set[Path] = set()

    def add(candidate: Path, depth: int) -> None:
        members = bots_in(candidate) if candidate.is_dir() else None
        if members is None or depth >= _MAX_FOLDER_DEPTH:
            found.append(candidate)
            return
        real = candidate.resolve()
        if real in seen:
            return
        seen.add(real)
        for member in members:
            add(member, depth + 1)

    add(path, 0)
    return found


def _read_folder(
    folder: Path, read: dict[Path, Any] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Assemble a bot from a folder: its raw data and the file of each flow.

    `read` holds documents of the folder already read (by `_classify`).
    """
    source = str(folder)
    already = read or {}
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _SUFFIXES)
    bot_files = [p for p in files if p.name.lower() in BOT_FILE_NAMES]
    flow_files = [p for p in files if p.name.lower() not in BOT_FILE_NAMES]
    problems: list[Problem] = []
    data: dict[str, Any] = {}
    if len(bot_files) > 1:
        names = ", ".join(p.name for p in bot_files)
        problems.append(Problem(source, f"more than one bot file ({names}); keep one"))
    elif bot_files:
        settings = _read(bot_files[0], problems, already)
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
        flow = _read(path, problems, already)
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


def _read(path: Path, problems: list[Problem], already: dict[Path, Any]) -> Any:
    if path in already:
        value = already[path]
        if isinstance(value, BotLoadError):
            problems.extend(value.problems)
            return None
        return value
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
    warnings = [problem for problem in problems if not problem.is_note]
    notes = [problem for problem in problems if problem.is_note]
    return LoadedBot(bot=bot, warnings=warnings, lone_flow=lone_flow, source=source, notes=notes)


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
        members, read = _classify(path)
        if members is not None:
            names = ", ".join(member.name for member in members)
            message = f"a folder of {len(members)} separate bots ({names}): name one of them"
            raise BotLoadError([Problem(str(path), message)])
        data, flow_sources = _read_folder(path, read)
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
