"""The data of an `nlp` node: which engine, and for the local one its intents and entities.

`{"engine": "local", "intents": [{"name", "examples": [...], "answer"?}],
"entities"?: [...], "threshold"?, "margin"?, "fallbackIntent"?: "none",
"timezone"?: "Asia/Seoul"}`. Any other engine (CLOSER's Dialogflow and
Watson agents, or no `engine` key, as CLOSER exports keep their agent's
settings in keys it does not publish) is a cloud service flowbot does not
call: the node loads, exports unchanged, is warned about and fails at run
time. `parse_spec` checks local data and returns each problem with its JSON
path relative to the node (`data.intents[1].examples`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flowbot.nlp.entities import EntitySpec, ListValue, compile_entity_pattern, letters_of

__all__ = ["Issue", "NlpSpec", "cloud_engine_message", "is_local", "parse_spec"]

LOCAL: Final = "local"
ENTITY_TYPES: Final = ("list", "number", "datetime", "regex")
KNOWN_KEYS: Final = frozenset(
    {"engine", "intents", "entities", "threshold", "margin", "fallbackIntent", "timezone"}
)
MAX_EXAMPLE: Final = 1000  # characters of one example


@dataclass(frozen=True, slots=True)
class Issue:
    severity: Literal["error", "warning"]
    path: str
    message: str


@dataclass(slots=True)
class NlpSpec:
    intents: list[tuple[str, list[str]]] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    entities: tuple[EntitySpec, ...] = ()
    threshold: float | None = None
    margin: float = 0.0
    fallback: str = "none"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Seoul"))


def is_local(data: Any) -> bool:
    return isinstance(data, dict) and data.get("engine") == LOCAL


def cloud_engine_message(data: Any) -> str:
    """What a cloud `nlp` node fails with, naming its engine when the data names one."""
    engine = data.get("engine") if isinstance(data, dict) else None
    if isinstance(engine, str) and engine:
        return f"the nlp node with engine {engine!r} does not run in flowbot (use engine 'local')"
    return "the nlp node does not run in flowbot"


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _fraction(data: dict[str, Any], key: str, issues: list[Issue]) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        issues.append(Issue("error", f"data.{key}", f"{key} must be a number from 0 to 1"))
        return None
    return float(value)


def parse_spec(data: dict[str, Any]) -> tuple[NlpSpec, list[Issue]]:
    """The local engine's spec and every problem of its data."""
    spec = NlpSpec()
    issues: list[Issue] = []
    for key in data:
        if key not in KNOWN_KEYS:
            known = ", ".join(sorted(KNOWN_KEYS))
            issues.append(Issue("warning", f"data.{key}", f"unknown key (known: {known})"))
    fallback = data.get("fallbackIntent", "none")
    if not isinstance(fallback, str) or not fallback:
        issues.append(Issue("error", "data.fallbackIntent", "fallbackIntent must be a text"))
    else:
        spec.fallback = fallback
    spec.threshold = _fraction(data, "threshold", issues)
    spec.margin = _fraction(data, "margin", issues) or 0.0
    zone = data.get("timezone", "Asia/Seoul")
    try:
        spec.timezone = ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        issues.append(Issue("error", "data.timezone", f"unknown time zone {zone!r}"))
    _intents(data.get("intents"), spec, issues)
    entities = data.get("entities")
    if entities is not None:
        spec.entities = tuple(_entities(entities, issues))
    return spec, issues


def _intents(intents: Any, spec: NlpSpec, issues: list[Issue]) -> None:
    if not isinstance(intents, list) or not intents:
        issues.append(Issue("error", "data.intents", "the local engine needs a list of intents"))
        return
    seen: set[str] = set()
    for i, intent in enumerate(intents):
        path = f"data.intents[{i}]"
        if not isinstance(intent, dict):
            issues.append(Issue("error", path, "an intent is an object {name, examples, answer?}"))
            continue
        name = intent.get("name")
        if not isinstance(name, str) or not name.strip():
            issues.append(Issue("error", f"{path}.name", "an intent needs a name"))
            continue
        if name in seen or name == spec.fallback:
            why = "the fallback intent" if name == spec.fallback else "another intent"
            issues.append(Issue("error", f"{path}.name", f"intent {name!r} is also {why}"))
            continue
        seen.add(name)
        examples = intent.get("examples")
        if not _strings(examples) or not examples:
            issues.append(Issue("error", f"{path}.examples", "examples must be a list of texts"))
            continue
        bad = [j for j, text in enumerate(examples) if not text.strip() or len(text) > MAX_EXAMPLE]
        for j in bad:
            issues.append(
                Issue(
                    "error", f"{path}.examples[{j}]", f"an example is 1 to {MAX_EXAMPLE} characters"
                )
            )
        if bad:
            continue
        if len(examples) < 2:
            issues.append(
                Issue("warning", f"{path}.examples", "one example only: give each intent several")
            )
        answer = intent.get("answer")
        if answer is not None and not isinstance(answer, str):
            issues.append(Issue("error", f"{path}.answer", "an answer is a text"))
        elif answer is not None:
            spec.answers[name] = answer
        spec.intents.append((name, list(examples)))


def _entities(entities: Any, issues: list[Issue]) -> list[EntitySpec]:
    if not isinstance(entities, list):
        issues.append(Issue("error", "data.entities", "entities must be a list"))
        return []
    found: list[EntitySpec] = []
    for i, entity in enumerate(entities):
        path = f"data.entities[{i}]"
        if not isinstance(entity, dict):
            issues.append(Issue("error", path, "an entity is an object {name, type, …}"))
            continue
        name, kind = entity.get("name"), entity.get("type")
        if not isinstance(name, str) or not name.strip():
            issues.append(Issue("error", f"{path}.name", "an entity needs a name"))
        elif kind not in ENTITY_TYPES:
            known = ", ".join(ENTITY_TYPES)
            issues.append(Issue("error", f"{path}.type", f"type {kind!r} is not one of {known}"))
        elif kind == "list":
            found.extend(_list_entity(name, entity.get("values"), f"{path}.values", issues))
        elif kind == "regex":
            found.extend(_regex_entity(name, entity.get("pattern"), f"{path}.pattern", issues))
        else:
            found.append(EntitySpec(name, kind))
    return found


def _list_entity(name: str, values: Any, path: str, issues: list[Issue]) -> list[EntitySpec]:
    if not isinstance(values, list) or not values:
        issues.append(Issue("error", path, "a list entity needs values"))
        return []
    parsed: list[ListValue] = []
    for j, item in enumerate(values):
        if isinstance(item, str):
            item = {"value": item}
        value, synonyms = (
            (item.get("value"), item.get("synonyms", []))
            if isinstance(item, dict)
            else (None, None)
        )
        if not isinstance(value, str) or not value.strip():
            issues.append(Issue("error", f"{path}[{j}].value", "a value is a text"))
            continue
        if not isinstance(synonyms, list) or not _strings(synonyms):
            issues.append(
                Issue("error", f"{path}[{j}].synonyms", "synonyms must be a list of texts")
            )
            continue
        parsed.append(ListValue(value, (value, *synonyms)))
    letters = {term: letters_of(term)[0] for item in parsed for term in item.terms}
    return [EntitySpec(name, "list", tuple(parsed), letters=letters)]


def _regex_entity(name: str, pattern: Any, path: str, issues: list[Issue]) -> list[EntitySpec]:
    from flowbot.format.js_regex import JsRegexError, compile_js_regex, translate_js_regex

    if not isinstance(pattern, str) or not pattern:
        issues.append(Issue("error", path, "a regex entity needs a pattern"))
        return []
    try:
        compile_js_regex(pattern)  # the size limit and the syntax, as for edge conditions
    except JsRegexError as exc:
        issues.append(Issue("error", path, f"invalid regex {pattern!r}: {exc}"))
        return []
    return [EntitySpec(name, "regex", pattern=compile_entity_pattern(translate_js_regex(pattern)))]
