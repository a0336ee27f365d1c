"""Entities of an nlp node: lists of values with synonyms, numbers, dates, regexes.

A `list` entity matches each value and synonym in the message, exactly
(spaces and case aside) or, for a term of at least `FUZZY_MIN` letters, with
up to one letter wrong per `FUZZY_PER` letters (아메리까노 → 아메리카노): an
approximate substring search over the decomposed letters. A `regex` entity
is a JS pattern compiled by `flowbot.format.js_regex` (size-checked at load)
and searched with a time limit. The message is cut to `MAX_TEXT` characters
before anything reads it.

Each entity found is `{entity, value, score, text, start, end}`: `value` a
string as CLOSER documents it (the list's canonical value, the number's
digits, the ISO date), `text` the part of the message it came from, verbatim.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

import regex

from flowbot.nlp.dates import find_dates
from flowbot.nlp.jamo import decompose
from flowbot.nlp.numbers import find_numbers

__all__ = ["MAX_TEXT", "EntitySpec", "ListValue", "extract_entities"]

MAX_TEXT: Final = 1000
FUZZY_MIN: Final = 6  # letters: shorter terms (아아) match exactly only
FUZZY_PER: Final = 5  # one wrong letter allowed per this many
SEARCH_TIME_LIMIT: Final = 0.050
EntityType = Literal["list", "number", "datetime", "regex"]


@dataclass(frozen=True, slots=True)
class ListValue:
    value: str
    terms: tuple[str, ...]  # the value and its synonyms


@dataclass(frozen=True, slots=True)
class EntitySpec:
    name: str
    type: EntityType
    values: tuple[ListValue, ...] = ()
    pattern: Any = None  # a compiled `regex` pattern for a regex entity
    letters: dict[str, str] = field(default_factory=dict)  # term → its letters, for lists


def letters_of(text: str) -> tuple[str, list[int]]:
    """The decomposed letters of `text` without spaces, and each letter's index in `text`."""
    out: list[str] = []
    where: list[int] = []
    for index, char in enumerate(unicodedata.normalize("NFC", text).lower()):
        if char.isspace():
            continue
        for letter in decompose(char, mark_final=False):
            out.append(letter)
            where.append(index)
    return "".join(out), where


def _approximate(term: str, text: str, errors: int) -> tuple[int, int, int] | None:
    """(errors, start, end) of the best match of `term` anywhere in `text` (Sellers' algorithm)."""
    size = len(term)
    previous = list(range(size + 1))
    starts = [0] * (size + 1)
    best: tuple[int, int, int] | None = None
    for position, char in enumerate(text, 1):
        current = [0] * (size + 1)
        current_starts = [position] * (size + 1)
        for i in range(1, size + 1):
            cost = previous[i - 1] + (term[i - 1] != char)
            start = starts[i - 1]
            if previous[i] + 1 < cost:
                cost, start = previous[i] + 1, starts[i]
            if current[i - 1] + 1 < cost:
                cost, start = current[i - 1] + 1, current_starts[i - 1]
            current[i], current_starts[i] = cost, start
        if current[size] <= errors and (best is None or current[size] < best[0]):
            best = (current[size], current_starts[size], position)
        previous, starts = current, current_starts
    return best


def _list_entities(spec: EntitySpec, text: str) -> list[dict[str, Any]]:
    letters, where = letters_of(text)
    found: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []
    candidates: list[tuple[int, int, int, int, str]] = []  # (-len, errors, start, end, value)
    for item in spec.values:
        for term in item.terms:
            term_letters = spec.letters[term]
            if not term_letters:
                continue
            exact = letters.find(term_letters)
            if exact >= 0:
                candidates.append(
                    (-len(term_letters), 0, exact, exact + len(term_letters), item.value)
                )
                continue
            if len(term_letters) < FUZZY_MIN:
                continue
            match = _approximate(term_letters, letters, len(term_letters) // FUZZY_PER)
            if match is not None:
                errors, start, end = match
                candidates.append((-len(term_letters), errors, start, end, item.value))
    # longer, then more exact terms first: 아이스 아메리카노 before 아메리카노
    for negative, errors, start, end, value in sorted(candidates, key=lambda c: (c[1], c[0], c[2])):
        if any(start < stop and begin < end for begin, stop in taken) or end <= start:
            continue
        taken.append((start, end))
        first, last = where[start], where[end - 1] + 1
        score = round(1.0 - errors / -negative, 4)
        found.append(_entity(spec.name, value, score, text, first, last))
    return sorted(found, key=lambda e: e["start"])


def _entity(name: str, value: str, score: float, text: str, start: int, end: int) -> dict[str, Any]:
    return {
        "entity": name,
        "value": value,
        "score": score,
        "text": text[start:end],
        "start": start,
        "end": end,
    }


def _number_text(value: int | float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def extract_entities(
    specs: tuple[EntitySpec, ...], text: str, now: datetime
) -> list[dict[str, Any]]:
    """Every entity of `specs` in `text`, in the order of the specs, then of the text."""
    text = text[:MAX_TEXT]
    dates = find_dates(text, now) if any(s.type in ("datetime", "number") for s in specs) else []
    date_spans = [(d.start, d.end) for d in dates]
    wants_dates = any(s.type == "datetime" for s in specs)
    found: list[dict[str, Any]] = []
    for spec in specs:
        if spec.type == "list":
            found.extend(_list_entities(spec, text))
        elif spec.type == "datetime":
            found.extend(_entity(spec.name, d.value, 1.0, text, d.start, d.end) for d in dates)
        elif spec.type == "number":
            for number in find_numbers(text):
                # 3 of 오후 3시 is the time, not a count, when the node reads times
                if wants_dates and any(s <= number.start < e for s, e in date_spans):
                    continue
                value = _number_text(number.value)
                found.append(_entity(spec.name, value, 1.0, text, number.start, number.end))
        elif spec.pattern is not None:
            found.extend(_regex_entities(spec, text))
    return found


def _regex_entities(spec: EntitySpec, text: str) -> list[dict[str, Any]]:
    try:
        match = spec.pattern.search(text, timeout=SEARCH_TIME_LIMIT)
    except TimeoutError:
        return []  # a pattern too slow for this text finds nothing, the turn goes on
    if match is None or match.end() == match.start():
        return []
    return [_entity(spec.name, match.group(), 1.0, text, match.start(), match.end())]


def compile_entity_pattern(translated: str) -> Any:
    """The search of a regex entity: the js_regex translation, ASCII classes as in JS."""
    return regex.compile(translated, regex.ASCII | regex.VERSION0)
