"""Moment.js behaviour pinned without node (values checked against moment 2.22.2)."""

from __future__ import annotations

import pytest

from flowbot.template.moment import INVALID_DATE, format_date

NOW = 1_544_161_634_667.0  # 2018-12-07T05:47:14.667Z (a Friday)


def at(fmt: str | None, value: object = "2018-12-07T05:47:14.667Z", tz: str | None = None) -> str:
    return format_date(value, fmt, tz, now=lambda: NOW)


@pytest.mark.parametrize(
    ("fmt", "tz", "expected"),
    [
        (None, None, "2018-12-07T05:47:14Z"),
        (None, "Asia/Seoul", "2018-12-07T14:47:14+09:00"),
        ("YYYY년 MM월 DD일 HH시 mm분", "Asia/Seoul", "2018년 12월 07일 14시 47분"),
        ("dddd, MMMM Do YYYY, h:mm:ss a", "UTC", "Friday, December 7th 2018, 5:47:14 am"),
        ("LLLL", "America/New_York", "Friday, December 7, 2018 12:47 AM"),
        ("l LTS", "Asia/Tokyo", "12/7/2018 2:47:14 PM"),
        ("Q Qo DDD DDDo d do E e", "UTC", "4 4th 341 341st 5 5th 5 5"),
        ("w wo W Wo gggg GGGG", "UTC", "49 49th 49 49th 2018 2018"),
        ("S SS SSS SSSS X x", "UTC", "6 66 667 6670 1544161634 1544161634667"),
        ("Z ZZ z", "Asia/Kolkata", "+05:30 +0530 IST"),
        ("[Today is] dddd", "UTC", "Today is Friday"),
        ("\\Y YYYY", "UTC", "Y 2018"),
        ("\\YYYYY", "UTC", "YYYYY"),  # the backslash escapes the whole token
        ("k kk hmm Hmmss", "UTC", "5 05 547 54714"),
    ],
)
def test_format_tokens(fmt: str | None, tz: str | None, expected: str) -> None:
    assert at(fmt, tz=tz) == expected


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        (1544161634667, "UTC", "2018-12-07T05:47:14Z"),
        ("2018-12-07 14:47:14", "Asia/Seoul", "2018-12-07T14:47:14+09:00"),
        ("20181207T144714+0900", "UTC", "2018-12-07T05:47:14Z"),
        ("2018-W49-5", "UTC", "2018-12-07T00:00:00Z"),
        ("2018-341", "UTC", "2018-12-07T00:00:00Z"),
        ("2018-12-07T24:00:00", "UTC", "2018-12-08T00:00:00Z"),
        ("/Date(1544161634667)/", "UTC", "2018-12-07T05:47:14Z"),
        ([2018, 11, 7, 14, 47], "Asia/Seoul", "2018-12-07T14:47:00+09:00"),
        ("2018-03-11 02:30:00", "America/New_York", "2018-03-11T03:30:00-04:00"),  # gap
        ("2018-11-04 01:30:00", "America/New_York", "2018-11-04T01:30:00-04:00"),  # overlap
        ("1987-05-10 02:30", "Asia/Seoul", "1987-05-10T01:30:00+09:00"),  # moment's quirk
        (None, "Asia/Seoul", "2018-12-07T14:47:14+09:00"),  # absent value: now
    ],
)
def test_inputs(value: object, tz: str, expected: str) -> None:
    assert at(None, value, tz) == expected


@pytest.mark.parametrize(
    "value",
    ["2018-13-01", "2018-02-30", "2018-12-07T25:00", "hello", "", "2018/12/07", True, {"a": 1}],
)
def test_invalid_inputs(value: object) -> None:
    assert at("YYYY", value) == INVALID_DATE


def test_unknown_zone_formats_in_utc() -> None:
    assert at("HH:mm z zz", tz="Mars/Olympus") == "05:47 UTC Coordinated Universal Time"
    assert at("HH:mm z", tz="asia/seoul") == "14:47 KST"  # names match case-insensitively


def test_line_terminators_outside_brackets_are_dropped_like_moment() -> None:
    assert at("YYYY\nMM[\n]DD") == "201812\n07"
