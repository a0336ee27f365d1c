"""Numbers in Korean text: digits (3, 1,000, 2.5), Sino-Korean (삼십, 백이십, 3만)
and native Korean words (하나, 두 잔, 세 개, 열두, 스물, 스무 잔).

Single syllables are ambiguous (이 is "this", 사 "buy", 한 "one" or "did"),
so a number word alone counts only when it cannot be read otherwise: a
Sino-Korean number needs a unit (십, 백, 천, 만, 억) or a counter after it
(삼 잔); a native adnominal form (한, 두, 세, 네, 스무) needs a counter after
it (두 잔, 커피두잔); 하나, 둘, 셋, 넷, 다섯… stand on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["COUNTERS", "FoundNumber", "find_numbers"]

# counters and units after a number (longest first when matched)
COUNTERS: Final = tuple(
    sorted(
        [
            "개",
            "잔",
            "명",
            "분",
            "시",
            "번",
            "병",
            "장",
            "권",
            "벌",
            "켤레",
            "대",
            "마리",
            "살",
            "원",
            "인분",
            "그릇",
            "접시",
            "판",
            "박스",
            "세트",
            "팩",
            "봉지",
            "주",
            "달",
            "일",
            "년",
            "층",
            "호",
            "회",
            "차례",
            "가지",
            "송이",
            "줄",
            "컵",
            "샷",
            "통",
            "조각",
            "알",
            "캔",
            "개월",
            "시간",
            "주일",
        ],
        key=len,
        reverse=True,
    )
)
_NATIVE_TENS: Final = {
    **{"열": 10, "스물": 20, "스무": 20, "서른": 30, "마흔": 40, "쉰": 50},
    **{"예순": 60, "일흔": 70, "여든": 80, "아흔": 90},
}
# standalone forms, and adnominal ones (before a counter only)
_NATIVE_UNITS: Final = {
    "하나": 1,
    "둘": 2,
    "셋": 3,
    "넷": 4,
    "다섯": 5,
    "여섯": 6,
    "일곱": 7,
    "여덟": 8,
    "아홉": 9,
}
_NATIVE_ADNOMINAL: Final = {"한": 1, "두": 2, "세": 3, "석": 3, "네": 4, "넉": 4}
_SINO_DIGITS: Final = {
    **{"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8},
    **{"구": 9, "영": 0, "공": 0},
}
_SINO_SMALL: Final = {"십": 10, "백": 100, "천": 1000}
_SINO_LARGE: Final = {"만": 10_000, "억": 100_000_000}
_DIGITS: Final = re.compile(r"[0-9][0-9,]*(?:\.[0-9]+)?")
_HANGUL: Final = re.compile(r"[\uac00-\ud7a3]")


@dataclass(frozen=True, slots=True)
class FoundNumber:
    value: int | float
    start: int
    end: int  # after the number itself (the counter is not part of it)


def _counter_at(text: str, at: int) -> bool:
    """Whether a counter follows at `at`, allowing one space before it."""
    if at < len(text) and text[at] == " ":
        at += 1
    return any(text.startswith(counter, at) for counter in COUNTERS)


def _native(text: str, at: int) -> tuple[int, int, bool] | None:
    """(value, end, needs_counter) of a native number starting at `at`."""
    value, end = 0, at
    for word, tens in _NATIVE_TENS.items():
        if text.startswith(word, at):
            value, end = tens, at + len(word)
            break
    for words, needs in ((_NATIVE_UNITS, False), (_NATIVE_ADNOMINAL, True)):
        for word, unit in words.items():
            if text.startswith(word, end):
                return value + unit, end + len(word), needs
    if value:
        # 열, 스물 alone; 스무 only before a counter
        return value, end, text[at:end] == "스무"
    return None


def _sino(text: str, at: int) -> tuple[int, int, bool] | None:
    """(value, end, needs_counter) of a Sino-Korean number (or digits with units: 3만)."""
    total, section, digit, end, has_unit = 0, 0, None, at, False
    match = _DIGITS.match(text, at)
    if match is not None and "." not in match.group():
        digit, end = int(match.group().replace(",", "")), match.end()
    while end < len(text):
        char = text[end]
        if char in _SINO_DIGITS and digit is None:
            digit = _SINO_DIGITS[char]
        elif char in _SINO_SMALL:
            section += (1 if digit is None else digit) * _SINO_SMALL[char]
            digit, has_unit = None, True
        elif char in _SINO_LARGE:
            total += (section + (digit or 0) or 1) * _SINO_LARGE[char]
            section, digit, has_unit = 0, None, True
        else:
            break
        end += 1
    if end == at or (not has_unit and match is not None and end == match.end()):
        return None
    return total + section + (digit or 0), end, not has_unit


def _word_start(text: str, at: int) -> bool:
    return at == 0 or not _HANGUL.match(text[at - 1])


def find_numbers(text: str) -> list[FoundNumber]:
    """Every number in `text`, left to right, without overlaps."""
    found: list[FoundNumber] = []
    at = 0
    while at < len(text):
        parsed = _parse_at(text, at)
        if parsed is None:
            at += 1
            continue
        found.append(parsed)
        at = parsed.end
    return found


def _parse_at(text: str, at: int) -> FoundNumber | None:
    digits = _DIGITS.match(text, at)
    if digits is not None and (at == 0 or not text[at - 1].isdigit()):
        sino = _sino(text, at)
        if sino is not None:
            return FoundNumber(sino[0], at, sino[1])
        raw = digits.group().rstrip(",").replace(",", "")
        value = float(raw) if "." in raw else int(raw)
        return FoundNumber(value, at, at + len(digits.group().rstrip(",")))
    if not _HANGUL.match(text[at]):
        return None
    starts_word = _word_start(text, at)
    for parse in (_native, _sino):
        result = parse(text, at)
        if result is None:
            continue
        value, end, needs_counter = result
        counter = _counter_at(text, end)
        # inside a word (커피두잔) only before a counter; else alone or before one
        ends_word = end == len(text) or not _HANGUL.match(text[end])
        if counter or (starts_word and not needs_counter and (ends_word or _particle(text, end))):
            return FoundNumber(value, at, end)
    return None


_PARTICLES: Final = (
    "이요",
    "요",
    "랑",
    "이랑",
    "하고",
    "만",
    "도",
    "씩",
    "은",
    "는",
    "을",
    "를",
    "이",
)


def _particle(text: str, at: int) -> bool:
    """A particle ends the word after the number (하나요, 둘이랑, 셋만)."""
    for particle in _PARTICLES:
        end = at + len(particle)
        if text.startswith(particle, at) and (end == len(text) or not _HANGUL.match(text[end])):
            return True
    return False
