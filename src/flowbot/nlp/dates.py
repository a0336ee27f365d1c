"""Dates and times in Korean text, relative to the turn's clock.

Understood: 오늘, 내일, 낼, 모레, 글피, 어제, 그제/그저께; N일 후/뒤; 이번 주 / 다음 주 /
다음주 / 담주 + 요일, or a 요일 alone (the next one, today excluded); N월 N일
(this year, or next year once the day has passed); N일 alone (this month, or
next). A time: 오전/오후/아침/점심/저녁/밤/새벽 + N시 (N분 | 반), or N시 alone; an
hour from 1 to 6 without a part of the day is taken as the afternoon (a shop's
customers rarely mean 3 a.m.). N시간 후 / N분 후 are relative to now.

The value is an ISO 8601 date (2024-05-18) or, with a time, a datetime with
its offset in the bot's time zone (2024-05-18T15:00:00+09:00).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from flowbot.nlp.numbers import find_numbers

__all__ = ["FoundDate", "find_dates"]

_DAY_WORDS: Final = {
    "그저께": -2,
    "그제": -2,
    "어제": -1,
    "오늘": 0,
    "내일": 1,
    "낼": 1,
    "모레": 2,
    "글피": 3,
}
_WEEKDAYS: Final = "월화수목금토일"
_PATTERNS: Final = re.compile(
    "|".join(
        (
            r"(?P<word>그저께|그제|어제|오늘|내일|낼|모레|글피)",
            r"(?P<after>[0-9]{1,3}|[가-힣]{1,3}?)\s?(?P<unit>일|시간|분)\s?(?:후|뒤)",
            r"(?P<week>이번\s?주|다음\s?주|담주|다다음\s?주)?\s?(?P<weekday>[월화수목금토일])요일",
            r"(?P<month>[0-9]{1,2})\s?월\s?(?P<day>[0-9]{1,2})\s?일",
            r"(?P<mday>[0-9]{1,2})\s?일(?![가-힣])",
            r"(?P<part>오전|오후|아침|점심|저녁|밤|새벽)?\s?(?P<hour>[0-9]{1,2}|[가-힣]{1,3}?)\s?시"
            r"(?:\s?(?P<half>반)|\s?(?P<minute>[0-9]{1,2})\s?분)?",
        )
    )
)
_AFTERNOON: Final = frozenset({"오후", "저녁", "밤"})


@dataclass(frozen=True, slots=True)
class FoundDate:
    value: str
    start: int
    end: int


def _number(text: str | None) -> int | None:
    if not text:
        return None
    if text.isdigit():
        return int(text)
    found = find_numbers(text + "개")  # a counter lets a bare word (세, 열두) read as a number
    if len(found) == 1 and found[0].start == 0 and found[0].end == len(text):
        value = found[0].value
        return int(value) if isinstance(value, int) else None
    return None


def _hour(part: str | None, hour: int) -> int | None:
    if hour > 24:
        return None
    if part in _AFTERNOON or (part is None and 1 <= hour <= 6):
        return hour + 12 if hour < 12 else hour
    if part in ("오전", "새벽", "아침") and hour == 12:
        return 0
    return hour % 24


def _weekday(today: date, week: str | None, weekday: str) -> date:
    target = _WEEKDAYS.index(weekday)
    monday = today - timedelta(days=today.weekday())
    if week is None:
        ahead = (target - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    weeks = 0 if week.startswith("이번") else 2 if week.startswith("다다음") else 1
    return monday + timedelta(weeks=weeks, days=target)


def _month_day(today: date, month: int, day: int) -> date | None:
    try:
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def _day_of_month(today: date, day: int) -> date | None:
    try:
        candidate = date(today.year, today.month, day)
        if candidate >= today:
            return candidate
        year, month = divmod(today.month, 12)
        return date(today.year + year, month + 1, day)
    except ValueError:
        return None


def find_dates(text: str, now: datetime) -> list[FoundDate]:
    """Every date or datetime mentioned, a day and the time after it merged into one."""
    today = now.date()
    day: date | None = None
    day_span: tuple[int, int] | None = None
    found: list[FoundDate] = []
    for match in _PATTERNS.finditer(text):
        groups = match.groupdict()
        if groups["hour"] is not None:
            hour = _number(groups["hour"])
            hour = None if hour is None else _hour(groups["part"], hour)
            minute = 30 if groups["half"] else int(groups["minute"] or 0)
            if hour is None or minute > 59:
                continue
            base = day or today
            start = day_span[0] if day_span is not None else match.start()
            stamp = datetime.combine(base, time(hour % 24, minute), tzinfo=now.tzinfo)
            if day_span is not None:
                found.pop()
            found.append(FoundDate(stamp.isoformat(), start, match.end()))
            day, day_span = None, None
            continue
        if groups["after"] is not None:
            amount = _number(groups["after"])
            if amount is None:
                continue
            unit = groups["unit"]
            if unit == "일":
                day = today + timedelta(days=amount)
                found.append(FoundDate(day.isoformat(), match.start(), match.end()))
                day_span = (match.start(), match.end())
            else:
                delta = timedelta(hours=amount) if unit == "시간" else timedelta(minutes=amount)
                stamp = (now + delta).replace(second=0, microsecond=0)
                found.append(FoundDate(stamp.isoformat(), match.start(), match.end()))
            continue
        resolved = _resolve_day(groups, today)
        if resolved is None:
            continue
        day, day_span = resolved, (match.start(), match.end())
        found.append(FoundDate(day.isoformat(), match.start(), match.end()))
    return found


def _resolve_day(groups: dict[str, str | None], today: date) -> date | None:
    if groups["word"] is not None:
        return today + timedelta(days=_DAY_WORDS[groups["word"]])
    if groups["weekday"] is not None:
        week = groups["week"]
        return _weekday(today, week.replace(" ", "") if week else None, groups["weekday"])
    if groups["month"] is not None and groups["day"] is not None:
        return _month_day(today, int(groups["month"]), int(groups["day"]))
    if groups["mday"] is not None:
        return _day_of_month(today, int(groups["mday"]))
    return None
