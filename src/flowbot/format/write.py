"""Writing a bot back to the file or folder it is loaded from, in that source's own format.

    plan_write(path, bot, current=now) -> WritePlan    what to write; the bot it loads back as
    WritePlan.apply()                                  each file atomically (SourceWriteError)
    json_text(document) / yaml_text(document) -> str   the text of a JSON or YAML bot file

What is written, per source (read back by `flowbot.format.load` as the same bot):

* A file (`.json`, `.bot.json`, `.flow.json`, `.yaml`, `.yml`): the CLOSER JSON
  of the bot (`export_bot`), as JSON (`json_text`) or YAML (`yaml_text`) by the
  file's suffix. A flow file stays a flow file (`export_flow`) when the bot is
  just that one flow (what `GET /api/bots/{id}` gives back for it), and an
  imported flow file is written as one.
* A folder: one flow per file and the bot's `title` and `preference` in its
  `bot.json` / `bot.yaml` / `bot.yml`. A flow keeps the file it is in (and that
  file's format); a new flow gets a new file named like the others (`5-shop.yaml`
  after `4-fallback.yaml`, in the format most of them have); the files of flows
  no longer in the bot are removed. The folder's flows load in file-name order;
  `preference.entryFlowId` is written to the bot file whenever the first file
  would not start the bot. The plan validates the folder as it will be read
  back (`WritePlan.bot`), so what runs is what a restart loads.

Every file is written to a temporary file in its own folder (`.NAME.*.tmp`,
which no loader reads), flushed to disk and moved over the old one with
`os.replace`, keeping the old file's permission bits (and owner, where the
process may set it). A file with no write permission bit is read-only: the
plan refuses it and nothing is written. A folder is written file by file:
each file is whole, old or new, at every moment; if writing one fails, the
files written before it are put back as they were. A crash (or power cut)
between two files can leave the folder partly new — some flow files
rewritten, others not yet, files of removed flows still there; importing the
bot again finishes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from flowbot.format.export import export_bot, export_flow
from flowbot.format.load import BOT_FILE_NAMES, read_bot_data, read_document
from flowbot.format.models import Bot, Flow, id_key
from flowbot.format.problems import BotLoadError
from flowbot.format.validate import is_flow_data

__all__ = [
    "SourceWriteError",
    "WritePlan",
    "json_text",
    "ordered_like",
    "plan_write",
    "yaml_text",
]

_SUFFIXES = (".json", ".yaml", ".yml")
_YAML_SUFFIXES = (".yaml", ".yml")
_NUMBERED = re.compile(r"([0-9]+)([-_. ])")
_NOT_IN_A_NAME = re.compile(r"[^\w]+")
_NEW_FILE_MODE = 0o644
_MAX_SLUG = 60


class SourceWriteError(Exception):
    """The bot's file or folder cannot take the bot; the message says why and what was left."""


def json_text(document: Any) -> str:
    """A bot or flow file's JSON: two-space indents, non-ASCII text as is, a final newline."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


class _Dumper(yaml.SafeDumper):
    """`yaml.safe_dump`'s dumper, except for strings holding a line break other than \\n."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    if _ODD_BREAKS.search(text):
        # PyYAML folds a NEL (U+0085) in a single-quoted or plain scalar into a
        # space; double quotes escape it (and U+2028, U+2029, \r) instead
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"')
    return dumper.represent_str(text)


_ODD_BREAKS = re.compile("[\r\x85\u2028\u2029]")
_Dumper.add_representer(str, _represent_str)


def yaml_text(document: Any) -> str:
    """A bot or flow file's YAML: `yaml.safe_dump(…, allow_unicode=True, sort_keys=False)`.

    PyYAML quotes every string its YAML 1.1 rules would read as something else
    (`yes`, `on`, `1.0`, `~`), so the loader's YAML 1.2 booleans read them back
    as the same strings.
    """
    text: str = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    return text


def _text_for(path: Path, document: Any) -> str:
    """The file's new text: in the order of the keys the file has now, and its last newline.

    A bot file is versioned in git: re-serialised in the export's own key
    order, a file CLOSER wrote (`id, label, type, data, meta, next`) would
    change on most of its lines for one changed message.
    """
    old_text = _old_text(path)
    if old_text is not None:
        with contextlib.suppress(BotLoadError):
            document = ordered_like(document, read_document(path))
    if path.suffix.lower() in _YAML_SUFFIXES:
        return yaml_text(document)
    text = json_text(document)
    if old_text is not None and old_text and not old_text.endswith("\n"):
        text = text[:-1]
    return text


def _old_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def ordered_like(new: Any, old: Any) -> Any:
    """`new` with its objects' keys in the order `old`'s have them (new keys after).

    Lists are matched element by element: by `id` when every element of both
    is an object with one (nodes and flows, which may be added, removed or
    moved), else by position. Values are `new`'s, unchanged.
    """
    if isinstance(new, dict) and isinstance(old, dict):
        keys = [key for key in old if key in new] + [key for key in new if key not in old]
        return {key: ordered_like(new[key], old.get(key)) for key in keys}
    if isinstance(new, list) and isinstance(old, list):
        by_id = _by_id(old)
        if by_id is not None and _by_id(new) is not None:
            return [ordered_like(item, by_id.get(id_key(item["id"]))) for item in new]
        return [
            ordered_like(item, old[index] if index < len(old) else None)
            for index, item in enumerate(new)
        ]
    return new


def _by_id(items: list[Any]) -> dict[str, Any] | None:
    if not items or not all(isinstance(item, dict) and "id" in item for item in items):
        return None
    return {id_key(item["id"]): item for item in items}


@dataclass(frozen=True, slots=True)
class WritePlan:
    """The files to write and remove, checked; `apply()` does it."""

    kind: Literal["file", "folder"]
    target: Path
    # the bot as the file or folder will load back (validated): what should run
    bot: Bot
    writes: tuple[tuple[Path, str], ...]
    removals: tuple[Path, ...] = ()
    # the permission bits of a file that is new (those of the folder's other files)
    new_file_mode: int = _NEW_FILE_MODE

    def apply(self) -> None:
        """Write every file atomically, then remove the stale ones.

        On a failure the files already changed are put back (best effort) and
        `SourceWriteError` says what happened.
        """
        done: list[tuple[Path, bytes | None, int | None]] = []
        current, doing = self.target, "write"
        try:
            for path, text in self.writes:
                current = _real(path)
                before = _old(current)
                mode = self.new_file_mode if before[1] is None else before[1]
                _write_atomic(current, text.encode("utf-8"), mode)
                done.append((current, *before))
            for path in self.removals:
                current, doing = path, "remove"
                before = _old(path)
                path.unlink(missing_ok=True)
                done.append((path, *before))
        except OSError as error:
            message = f"cannot {doing} {current}: {error.strerror or error}"
            if done:
                message += (
                    "; the files changed before it were put back"
                    if _undo(done, self.new_file_mode)
                    else "; the files changed before it could not all be put back: "
                    "import the bot again once the cause is fixed"
                )
            raise SourceWriteError(message) from error
        _sync_folder(self.target if self.kind == "folder" else _real(self.target).parent)


def plan_write(path: Path, bot: Bot, *, current: Bot | None = None) -> WritePlan:
    """What writing `bot` to its source `path` takes; `current` is the bot loaded from it now.

    Raises `BotLoadError` when the bot would not load back from a folder (a
    lone flow that links to flows it does not have), `SourceWriteError` when
    the source cannot take it (a read-only file, a folder holding a file that
    is not a flow). Reads the folder; writes nothing.
    """
    plan = _plan_folder(path, bot) if path.is_dir() else _plan_file(path, bot, current)
    _check_writable(plan)
    return plan


# --- a file --------------------------------------------------------------------------


def _plan_file(path: Path, bot: Bot, current: Bot | None) -> WritePlan:
    document: dict[str, Any]
    kept = bot
    if bot._lone_flow and len(bot.flows) == 1:
        document = _flow_document(bot.flows[0])
    elif current is not None and current._lone_flow and len(bot.flows) == 1:
        # a flow file stays one if the bot is exactly that flow
        document = _flow_document(bot.flows[0])
        try:
            kept = read_bot_data(document, str(path)).bot
        except BotLoadError:
            kept = bot
        if export_bot(kept) != export_bot(bot):
            document, kept = export_bot(bot), bot
    else:
        document = export_bot(bot)
    return WritePlan("file", path, kept, ((path, _text_for(path, document)),))


def _flow_document(flow: Flow) -> dict[str, Any]:
    document = export_flow(flow)
    # a file without "nodes" would not be read as a flow file
    document.setdefault("nodes", [])
    return document


# --- a folder ------------------------------------------------------------------------


@dataclass(slots=True)
class _Folder:
    flow_files: list[Path]
    # id_key(flow id) → the first file holding that flow
    owners: dict[str, Path]
    bot_file: Path | None
    settings: dict[str, Any]


def _scan(folder: Path) -> _Folder:
    """The folder as the loader sees it: its flow files, the flow each holds, its bot file."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _SUFFIXES)
    bot_files = [p for p in files if p.name.lower() in BOT_FILE_NAMES]
    flow_files = [p for p in files if p.name.lower() not in BOT_FILE_NAMES]
    if len(bot_files) > 1:
        names = ", ".join(p.name for p in bot_files)
        raise SourceWriteError(f"{folder}: more than one bot file ({names}); keep one")
    settings: dict[str, Any] = {}
    if bot_files:
        with contextlib.suppress(BotLoadError):
            read = read_document(bot_files[0])
            settings = read if isinstance(read, dict) else {}
    owners: dict[str, Path] = {}
    unreadable: list[str] = []
    for path in flow_files:
        try:
            document = read_document(path)
        except BotLoadError:
            document = None
        if not is_flow_data(document):
            unreadable.append(path.name)
            continue
        owners.setdefault(id_key(document.get("id")), path)
    if unreadable:
        raise SourceWriteError(
            f"{folder}: cannot tell which flow {', '.join(unreadable)} "
            f"{'holds' if len(unreadable) == 1 else 'hold'} (not a readable flow file); "
            "fix or move it, then import again"
        )
    return _Folder(flow_files, owners, bot_files[0] if bot_files else None, settings)


def _plan_folder(folder: Path, bot: Bot) -> WritePlan:
    scan = _scan(folder)
    if not bot.flows:
        raise SourceWriteError(f"{folder}: a folder bot needs at least one flow")
    taken = {p.name.lower() for p in scan.flow_files}
    namer = _Namer(scan.flow_files, len(bot.flows), taken)
    placed: dict[Path, Flow] = {}
    for flow in bot.flows:
        owner = scan.owners.get(id_key(flow.id))
        if owner is None or owner in placed:
            owner = folder / namer.name_for(flow)
        placed[owner] = flow
    order = sorted(placed)  # how the loader orders them
    documents = {path: _flow_document(placed[path]) for path in order}

    settings = _bot_settings(bot, placed[order[0]], scan.settings)
    bot_file = scan.bot_file
    if bot_file is None and settings:
        bot_file = folder / f"bot{namer.suffix}"
    writes = [(path, _text_for(path, documents[path])) for path in order]
    if bot_file is not None:
        writes.append((bot_file, _text_for(bot_file, settings)))
    removals = tuple(p for p in scan.flow_files if p not in placed)

    # the folder's bot, exactly as the loader assembles it from these files
    data: dict[str, Any] = {key: value for key, value in settings.items() if key != "flows"}
    data["flows"] = [documents[path] for path in order]
    preference = data.get("preference")
    if not isinstance(preference, dict) or preference.get("entryFlowId") is None:
        merged = dict(preference) if isinstance(preference, dict) else {}
        merged["entryFlowId"] = data["flows"][0].get("id")
        data["preference"] = merged
    kept = read_bot_data(data, str(folder), flow_sources=[str(path) for path in order]).bot
    return WritePlan("folder", folder, kept, tuple(writes), removals, _mode_of(scan.flow_files[:1]))


def _bot_settings(bot: Bot, first: Flow, existing: dict[str, Any]) -> dict[str, Any]:
    """What the folder's bot file holds: the bot's export without its flows.

    `entryFlowId` is left out when the first flow file starts the bot anyway
    and the bot file did not name it, so an unchanged import does not add it.
    """
    settings = export_bot(bot)
    settings.pop("flows", None)
    entry = bot.preference.entry_flow_id
    if entry is None:
        entry = bot.flows[0].id
    old_preference = existing.get("preference")
    named_before = isinstance(old_preference, dict) and "entryFlowId" in old_preference
    preference = settings.get("preference")
    if id_key(entry) != id_key(first.id):
        preference = settings.setdefault("preference", {})
        preference["entryFlowId"] = entry
    elif isinstance(preference, dict) and not named_before:
        preference.pop("entryFlowId", None)
        if not preference and "preference" not in existing:
            del settings["preference"]
    return settings


class _Namer:
    """New flow files named like the folder's others: `N-slug.ext` after the highest N."""

    def __init__(self, flow_files: Sequence[Path], flows: int, taken: set[str]) -> None:
        self.taken = taken
        suffixes = Counter(p.suffix for p in flow_files)
        most = max(suffixes.values(), default=0)
        # the most common suffix; between equals, the last file's
        self.suffix = next(
            (p.suffix for p in reversed(flow_files) if suffixes[p.suffix] == most), ".yaml"
        )
        numbered = [(m, p) for p in flow_files if (m := _NUMBERED.match(p.name))]
        self.numbered = bool(numbered) or not flow_files
        if numbered:
            match, _ = max(numbered, key=lambda item: int(item[0].group(1)))
            self.next = int(match.group(1)) + 1
            self.width = len(match.group(1))
            self.separator = match.group(2)
        else:
            self.next, self.width, self.separator = 1, len(str(flows)), "-"

    def name_for(self, flow: Flow) -> str:
        slug = _slug(flow)
        suffix = 1
        while True:
            if self.numbered:
                name = f"{self.next:0{self.width}d}{self.separator}{slug}{self.suffix}"
                self.next += 1
            else:
                tail = "" if suffix == 1 else f"-{suffix}"
                name = f"{slug}{tail}{self.suffix}"
                suffix += 1
            if name.lower() not in self.taken and name.lower() not in BOT_FILE_NAMES:
                self.taken.add(name.lower())
                return name


def _slug(flow: Flow) -> str:
    for text in (flow.title, f"flow-{flow.id}"):
        slug = _NOT_IN_A_NAME.sub("-", str(text or "").lower()).strip("-_.")[:_MAX_SLUG]
        if slug.strip("-_."):
            return slug.strip("-_.")
    return "flow"


# --- the files -----------------------------------------------------------------------


def _real(path: Path) -> Path:
    # through a symbolic link to the file it names: the link stays
    return Path(os.path.realpath(path))


def _check_writable(plan: WritePlan) -> None:
    for path in [_real(p) for p, _ in plan.writes] + list(plan.removals):
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            folder = path.parent
            if not folder.is_dir():
                raise SourceWriteError(f"cannot write {path}: {folder} is not a folder") from None
            if not os.access(folder, os.W_OK):
                raise SourceWriteError(f"cannot write in {folder}: permission denied") from None
            continue
        except OSError as error:
            raise SourceWriteError(f"cannot write {path}: {error.strerror or error}") from error
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
            raise SourceWriteError(f"{path} is read-only (make it writable to import into it)")
        if not os.access(path.parent, os.W_OK):
            raise SourceWriteError(f"cannot write in {path.parent}: permission denied")


def _old(path: Path) -> tuple[bytes | None, int | None]:
    """A file's bytes and mode before it is changed, to put it back; None if it is new."""
    try:
        return path.read_bytes(), stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None, None


def _mode_of(paths: Sequence[Path]) -> int:
    for path in paths:
        with contextlib.suppress(OSError):
            return stat.S_IMODE(path.stat().st_mode)
    return _NEW_FILE_MODE


def _write_atomic(target: Path, data: bytes, mode: int) -> None:
    """`data` in `target`, all or nothing: a temporary file beside it, synced, then os.replace."""
    owner = None
    with contextlib.suppress(OSError):
        info = target.stat()
        owner = (info.st_uid, info.st_gid)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        if owner is not None and hasattr(os, "chown"):
            # only root may give a file away; anyone else keeps their own
            with contextlib.suppress(OSError):
                os.chown(temporary, *owner)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _undo(done: list[tuple[Path, bytes | None, int | None]], new_file_mode: int) -> bool:
    """Put the changed files back as they were, newest change first; True if all were."""
    restored = True
    for path, data, mode in reversed(done):
        try:
            if data is None:
                path.unlink(missing_ok=True)
            else:
                _write_atomic(path, data, new_file_mode if mode is None else mode)
        except OSError:
            restored = False
    return restored


def _sync_folder(folder: Path) -> None:
    """Make the renames durable: fsync the folder (where the system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
