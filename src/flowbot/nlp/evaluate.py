"""`flowbot nlp eval BOT --data SET.yaml`: accuracy, confusion, out-of-scope rejection, latency.

The data set (docs/nlp.md)::

    bot: shop-nlu.yaml                 # optional, relative to this file
    now: "2024-05-17T09:30:00+09:00"   # the clock relative dates are read against
    node: {flow: 1, node: 4}           # optional: which nlp node (default: the first local one)
    intents: {주문: [아아 한잔이요, …], …}
    outOfScope: [오늘 날씨 어때, …]     # each must fall to the fallback intent
    entities: [{text: …, expect: [{entity, value}, …]}]
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any, TextIO

import yaml

from flowbot.nlp.matcher import DEFAULT_OPTIONS, MatcherOptions
from flowbot.nlp.model import NluModel
from flowbot.nlp.spec import is_local, parse_spec

__all__ = ["EvalReport", "evaluate", "find_nlp_data", "load_eval_set", "print_report"]


@dataclass(slots=True)
class EvalReport:
    intents: int = 0
    examples: int = 0
    threshold: float = 0.0
    load_ms: float = 0.0
    in_scope: int = 0
    correct: int = 0
    out_of_scope: int = 0
    rejected: int = 0
    entity_cases: int = 0
    entity_correct: int = 0
    ms_per_message: float = 0.0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[tuple[str, str, str, float]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.in_scope if self.in_scope else 0.0

    @property
    def rejection(self) -> float:
        return self.rejected / self.out_of_scope if self.out_of_scope else 0.0


def load_eval_set(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("intents"), dict):
        raise ValueError(f"{path}: an evaluation set is a mapping with intents: {{name: [texts]}}")
    return data


def find_nlp_data(bot: dict[str, Any], where: dict[str, Any] | None = None) -> dict[str, Any]:
    """The data of the bot's first local nlp node (or of the one `where` names)."""
    for flow in bot.get("flows") or [bot]:
        for node in flow.get("nodes") or []:
            if node.get("type") != "nlp" or not is_local(node.get("data")):
                continue
            if where is None or (
                str(flow.get("id")) == str(where.get("flow"))
                and str(node.get("id")) == str(where.get("node"))
            ):
                data: dict[str, Any] = node["data"]
                return data
    raise ValueError("the bot has no nlp node with engine 'local'")


def _now(data: dict[str, Any]) -> datetime:
    value = data.get("now")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)) if value else datetime.now(UTC)


def evaluate(
    node_data: dict[str, Any], data: dict[str, Any], options: MatcherOptions = DEFAULT_OPTIONS
) -> EvalReport:
    spec, issues = parse_spec(node_data)
    errors = [f"{issue.path}: {issue.message}" for issue in issues if issue.severity == "error"]
    if errors:
        raise ValueError("; ".join(errors))
    started = perf_counter()
    model = NluModel(spec, options)
    report = EvalReport(
        intents=len(spec.intents),
        examples=model.matcher.example_count,
        threshold=model.threshold,
        load_ms=(perf_counter() - started) * 1000,
    )
    now = _now(data)
    timed = 0.0
    for intent, texts in data["intents"].items():
        for text in texts:
            started = perf_counter()
            got, score, _ = model.classify(str(text))
            timed += perf_counter() - started
            report.in_scope += 1
            report.correct += got == intent
            if got != intent:
                report.confusion[(str(intent), got)] += 1
                report.misses.append((str(text), str(intent), got, score))
    for text in data.get("outOfScope") or []:
        started = perf_counter()
        got, score, _ = model.classify(str(text))
        timed += perf_counter() - started
        report.out_of_scope += 1
        report.rejected += got == spec.fallback
        if got != spec.fallback:
            report.misses.append((str(text), spec.fallback, got, score))
    for case in data.get("entities") or []:
        found = model.analyse(str(case["text"]), now)["entities"]
        got_pairs = {(e["entity"], e["value"]) for e in found}
        want = {(str(e["entity"]), str(e["value"])) for e in case.get("expect") or []}
        report.entity_cases += 1
        report.entity_correct += want <= got_pairs
    messages = report.in_scope + report.out_of_scope
    report.ms_per_message = timed * 1000 / messages if messages else 0.0
    return report


def print_report(report: EvalReport, out: TextIO) -> None:
    def line(text: str = "") -> None:
        print(text, file=out)

    line(f"intents {report.intents}, examples {report.examples}, threshold {report.threshold:.3f}")
    line(f"load time: {report.load_ms:.1f} ms (training and leave-one-out threshold)")
    line(f"accuracy: {report.accuracy:.1%} ({report.correct}/{report.in_scope} in-scope phrases)")
    line(
        f"out-of-scope rejection: {report.rejection:.1%} "
        f"({report.rejected}/{report.out_of_scope} fell to the fallback intent)"
    )
    if report.entity_cases:
        share = report.entity_correct / report.entity_cases
        line(f"entities: {share:.1%} ({report.entity_correct}/{report.entity_cases} cases)")
    line(f"latency: {report.ms_per_message:.3f} ms/message")
    if report.confusion:
        line("confusion (expected → got: count):")
        for (want, got), count in sorted(report.confusion.items(), key=lambda c: (-c[1], c[0])):
            line(f"  {want} → {got}: {count}")
    if report.misses:
        line("misses (text | expected | got | score):")
        for text, want, got, score in report.misses:
            line(f"  {text} | {want} | {got} | {score:.3f}")


def run_eval(bot_path: Path, data_path: Path, out: TextIO) -> int:
    """The command: 0 when it ran (the figures are the output), 2 when it could not."""
    from flowbot.format.export import export_source
    from flowbot.format.load import read_bot

    data = load_eval_set(data_path)
    bot = export_source(read_bot(bot_path).bot)
    report = evaluate(find_nlp_data(bot, data.get("node")), data)
    print_report(report, out)
    return 0
