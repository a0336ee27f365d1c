"""`flowbot test FILE_OR_DIR...`: run conversation tests, show a diff for each failure.

Every test is a fresh conversation; its steps run in order and the test stops
at the first step that fails (later steps would only repeat the damage). The
exit code is 0 when every test passed, 1 when a test failed or a test file
could not run.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from flowbot.chat.clicks import ClickError
from flowbot.chat.conversation import Conversation, load_chat_program
from flowbot.engine import Ports, Program, TurnResult
from flowbot.format import BotLoadError
from flowbot.integrations.wiring import world_ports
from flowbot.testing.matching import Mismatch, check_expect
from flowbot.testing.schema import Step, TestCase, TestFile, TestFileError, load_test_file

__all__ = ["CaseResult", "StepFailure", "collect_test_files", "run_case", "run_conversation_tests"]

TEST_SUFFIXES = (".test.yaml", ".test.yml")


@dataclass(slots=True)
class StepFailure:
    number: int  # from 1
    step: Step
    mismatches: list[Mismatch] = field(default_factory=list)
    problem: str | None = None  # the step could not be sent at all


@dataclass(slots=True)
class CaseResult:
    path: Path
    name: str
    failure: StepFailure | None

    @property
    def passed(self) -> bool:
        return self.failure is None


def collect_test_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Test files named or found under folders (sorted), and one message per bad path."""
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                candidate
                for candidate in path.rglob("*")
                if candidate.is_file() and candidate.name.endswith(TEST_SUFFIXES)
            )
            if not found:
                problems.append(f"{path}: no *.test.yaml or *.test.yml files in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{path}: no such file or folder")
    return files, problems


async def send_step(
    conversation: Conversation, step: Step, params: dict[str, Any] | None
) -> TurnResult:
    if step.open:
        return await conversation.open(params)
    if step.user is not None:
        return await conversation.say(step.user, params)
    if step.click is not None:
        return await conversation.click(step.click, params)
    assert step.payload is not None  # the schema allows exactly one action
    return await conversation.post(step.payload, step.text, params)


def case_ports(case: TestCase, file: TestFile | None, base: Ports | None = None) -> Ports:
    """The test's clock and RAND seed (the test's own, else the file's), on `base`'s ports."""
    now = case.now or (file.now if file is not None else None)
    seed = case.seed if case.seed is not None else (file.seed if file is not None else 0)
    ports = base or Ports()
    return Ports(
        http=ports.http,
        script=ports.script,
        now=(lambda: now) if now is not None else ports.now,
        random=random.Random(seed),
    )


async def run_case(
    program: Program, case: TestCase, file: TestFile | None = None, ports: Ports | None = None
) -> StepFailure | None:
    conversation = Conversation(program, f"test:{case.name}", ports=case_ports(case, file, ports))
    for number, step in enumerate(case.steps, 1):
        params = step.params
        if number == 1 and case.params:
            params = {**case.params, **(step.params or {})}
        try:
            result = await send_step(conversation, step, params)
        except ClickError as exc:
            return StepFailure(number, step, problem=str(exc))
        except Exception as exc:  # an engine failure fails this test, not the run
            return StepFailure(number, step, problem=f"internal error: {type(exc).__name__}: {exc}")
        mismatches = check_expect(
            step.expect,
            result.replies,
            result.quick_replies,
            conversation.navigation,
            conversation.params,
            result.error,
            _last_nlp(result),
        )
        if mismatches:
            return StepFailure(number, step, mismatches)
    return None


def _last_nlp(result: TurnResult) -> Any:
    """The result of the turn's last nlp node (its trace detail), or None."""
    for step in reversed(result.trace):
        if step.type == "nlp" and isinstance(step.data, dict):
            return step.data.get("nlp")
    return None


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _lines(value: Any) -> list[str]:
    """One line per list item or mapping key, so that a diff lines up item by item."""
    if isinstance(value, list):
        return [_show(item) for item in value] or ["[]"]
    if isinstance(value, dict):
        return [f"{key}: {_show(item)}" for key, item in value.items()] or ["{}"]
    return [_show(value)]


def render_mismatch(mismatch: Mismatch) -> Text:
    text = Text(f"  {mismatch.what}:", style="bold")
    if mismatch.what == "contains":
        missing = ", ".join(_show(part) for part in mismatch.expected)
        text.append(f"\n    no reply contains {missing}; the texts were:", "red")
        for line in _lines(mismatch.got):
            text.append(f"\n      {line}")
        return text
    text.append("  (- expected, + got)", "dim")
    want, got = _lines(mismatch.expected), _lines(mismatch.got)
    matcher = difflib.SequenceMatcher(a=want, b=got, autojunk=False)
    for tag, want_from, want_to, got_from, got_to in matcher.get_opcodes():
        if tag == "equal":
            for line in want[want_from:want_to]:
                text.append(f"\n      {line}")
            continue
        for line in want[want_from:want_to]:
            text.append(f"\n    - {line}", "red")
        for line in got[got_from:got_to]:
            text.append(f"\n    + {line}", "green")
    return text


def render_failure(result: CaseResult) -> Text:
    failure = result.failure
    assert failure is not None
    text = Text()
    text.append("FAIL ", "bold red")
    text.append(
        f"{result.path} › {result.name} › step {failure.number} ({failure.step.describe()})"
    )
    if failure.problem:
        text.append(f"\n  {failure.problem}", "red")
    for mismatch in failure.mismatches:
        text.append("\n")
        text.append_text(render_mismatch(mismatch))
    return text


class Runner:
    def __init__(self, console: Console, ports: Ports | None = None) -> None:
        self.console = console
        # HTTP and scripts for the bots' fetch and sandbox nodes (None: not available)
        self.ports = ports
        self.programs: dict[Path, Program] = {}
        self.results: list[CaseResult] = []
        self.errors: list[str] = []

    async def run_with_world_ports(self, paths: list[Path]) -> None:
        """`run`, the bots' fetch nodes and scripts working as on the server (public hosts)."""
        async with world_ports() as ports:
            self.ports = ports
            await self.run(paths)

    def program_for(self, test_path: Path, test_file: TestFile) -> Program | None:
        bot_path = (test_path.parent / test_file.bot).resolve()
        if bot_path not in self.programs:
            try:
                self.programs[bot_path] = load_chat_program(bot_path)
            except BotLoadError as exc:
                self.errors.append(f"{test_path}: bot {test_file.bot} does not load:")
                self.errors.extend(f"  {problem}" for problem in exc.problems)
                return None
            except OSError as exc:
                self.errors.append(f"{test_path}: bot {test_file.bot}: {exc.strerror or exc}")
                return None
        return self.programs[bot_path]

    async def run(self, paths: list[Path]) -> None:
        files, problems = collect_test_files(paths)
        self.errors.extend(problems)
        loaded: list[tuple[Path, TestFile, Program]] = []
        for path in files:
            try:
                test_file = load_test_file(path)
            except TestFileError as exc:
                self.errors.extend(exc.messages)
                continue
            program = self.program_for(path, test_file)
            if program is not None:
                loaded.append((path, test_file, program))
        for message in self.errors:
            self.console.print(Text(message, style="red"), soft_wrap=True)
        total = sum(len(test_file.tests) for _, test_file, _ in loaded)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=self.console, transient=True) as progress:
            task = progress.add_task("tests", total=total)
            for path, test_file, program in loaded:
                for case in test_file.tests:
                    progress.update(task, description=f"{path.name} › {case.name}")
                    failure = await run_case(program, case, test_file, self.ports)
                    result = CaseResult(path, case.name, failure)
                    self.results.append(result)
                    if not result.passed:
                        progress.console.print(render_failure(result), soft_wrap=True)
                    progress.advance(task)

    def summary(self) -> Text:
        passed = sum(result.passed for result in self.results)
        failed = len(self.results) - passed
        text = Text()
        text.append(f"{passed} passed", "bold green" if passed else "")
        text.append(", ")
        text.append(f"{failed} failed", "bold red" if failed else "")
        if self.errors:
            count = sum(not message.startswith("  ") for message in self.errors)
            text.append(", ")
            text.append(f"{count} error{'s' if count != 1 else ''}", "bold red")
        return text


def run_conversation_tests(paths: list[Path], *, console: Console | None = None) -> int:
    console = console or Console()
    runner = Runner(console)
    asyncio.run(runner.run_with_world_ports(paths))
    console.print(runner.summary())
    failed = any(not result.passed for result in runner.results)
    return 1 if failed or runner.errors else 0
