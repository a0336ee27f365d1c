"""Entities: Korean numbers, dates at a fixed clock, regexes, lists with typos."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from flowbot.nlp.dates import find_dates
from flowbot.nlp.entities import extract_entities
from flowbot.nlp.numbers import find_numbers
from flowbot.nlp.spec import parse_spec

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2024, 5, 17, 9, 30, tzinfo=SEOUL)  # a Friday

SPEC, ISSUES = parse_spec(
    {
        "engine": "local",
        "intents": [{"name": "주문", "examples": ["주문", "주문할게요"]}],
        "entities": [
            {
                "name": "menu",
                "type": "list",
                "values": [
                    {"value": "아메리카노", "synonyms": ["아아", "americano"]},
                    {"value": "카페라떼", "synonyms": ["라떼"]},
                    "치즈케이크",
                ],
            },
            {"name": "count", "type": "number"},
            {"name": "when", "type": "datetime"},
            {"name": "phone", "type": "regex", "pattern": "01[016789]-?\\d{3,4}-?\\d{4}"},
        ],
    }
)


def values(text: str, entity: str | None = None) -> list[Any]:
    found = extract_entities(SPEC.entities, text, NOW)
    return [e["value"] for e in found if entity is None or e["entity"] == entity]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("하나 주세요", [1]),
        ("두 잔", [2]),
        ("커피두잔", [2]),
        ("세 개요", [3]),
        ("열두 개", [12]),
        ("스물", [20]),
        ("스무 잔", [20]),
        ("백", [100]),
        ("삼십 개", [30]),
        ("3만원", [30000]),
        ("1,000원 2.5", [1000, 2.5]),
        ("이거 주세요", []),
        ("한국 사람", []),
        ("백화점 오늘", []),
    ],
)
def test_numbers(text: str, expected: list[Any]) -> None:
    assert [n.value for n in find_numbers(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("오늘", ["2024-05-17"]),
        ("내일", ["2024-05-18"]),
        ("모레 갈게요", ["2024-05-19"]),
        ("내일 오후 3시", ["2024-05-18T15:00:00+09:00"]),
        ("저녁 7시 반", ["2024-05-17T19:30:00+09:00"]),
        ("12월 25일", ["2024-12-25"]),
        ("3월 1일", ["2025-03-01"]),  # passed this year: next year's
        ("다음주 월요일", ["2024-05-20"]),
        ("금요일", ["2024-05-24"]),  # today is Friday: the next one
        ("2시간 후", ["2024-05-17T11:30:00+09:00"]),
        ("세 시", ["2024-05-17T15:00:00+09:00"]),
        ("오전 10시 30분", ["2024-05-17T10:30:00+09:00"]),
        ("아메리카노 두 잔", []),
    ],
)
def test_dates_relative_to_the_clock(text: str, expected: list[str]) -> None:
    assert [d.value for d in find_dates(text, NOW)] == expected


def test_spec_is_clean() -> None:
    assert ISSUES == []


def test_list_values_with_synonyms_and_typos() -> None:
    assert values("아아 한잔", "menu") == ["아메리카노"]
    assert values("아메리까노 두 잔", "menu") == ["아메리카노"]
    assert values("치즈케익 하나랑 라떼", "menu") == ["치즈케이크", "카페라떼"]
    assert values("Americano", "menu") == ["아메리카노"]
    assert values("녹차 주세요", "menu") == []
    (typo,) = [
        e for e in extract_entities(SPEC.entities, "아메리까노", NOW) if e["entity"] == "menu"
    ]
    assert 0.7 < typo["score"] < 1 and typo["text"] == "아메리까노"


def test_a_time_is_not_also_a_count() -> None:
    found = extract_entities(SPEC.entities, "내일 오후 3시에 라떼 두 잔", NOW)
    assert [(e["entity"], e["value"]) for e in found] == [
        ("menu", "카페라떼"),
        ("count", "2"),
        ("when", "2024-05-18T15:00:00+09:00"),
    ]


def test_regex_entities_keep_the_matched_text() -> None:
    assert values("제 번호는 010-1234-5678 이에요", "phone") == ["010-1234-5678"]
    assert values("번호 없음", "phone") == []


def test_entity_fields() -> None:
    (entity,) = [e for e in extract_entities(SPEC.entities, "라떼요", NOW) if e["entity"] == "menu"]
    assert entity == {
        "entity": "menu",
        "value": "카페라떼",
        "score": 1.0,
        "text": "라떼",
        "start": 0,
        "end": 2,
    }


def test_long_input_is_cut_before_it_is_read() -> None:
    text = "아" * 5000 + " 010-1234-5678"
    assert values(text, "phone") == []
