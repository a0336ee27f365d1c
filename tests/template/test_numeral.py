"""Numeral.js behaviour pinned without node (values checked against numeral 2.0.6)."""

from __future__ import annotations

import pytest

from flowbot.template.jsnumbers import (
    js_number_to_string,
    js_round,
    js_to_fixed,
    js_to_number,
)
from flowbot.template.numeral import format_number


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (10000, None, "10,000"),
        (1.005, "0.00", "1.01"),  # numeral's decimal-string rounding, not binary toFixed
        (0.615, "0.00", "0.62"),
        (-0.5, "0", "0"),  # Math.round(-0.5) is -0
        (999.95, "0.0a", "1000.0"),  # below 1000 before rounding: no unit
        (999950, "0.0a", "1.0m"),
        (-1234.5, "($0,0.00)", "($1,234.50)"),
        (1234.5, "+0,0", "+1,235"),
        (-1234.5, "0,0-", "1,234-"),  # halves round towards +Infinity
        (0.974878234, "0.000%", "97.488%"),
        (1, "0o", "1st"),
        (112, "0o", "112th"),
        (3467479682787, "0.000 ab", "3467.480 b"),
        (1024, "0 ib", "1 KiB"),
        (3000, "0b", "3KB"),
        (77, "0.0e+0", "7.7e+1"),
        (3661, "00:00:00", "1:01:01"),
        ("1,234.56", "0,0.0", "1,234.6"),
        ("(1.5k)", "0,0", "-1,500"),
        ("12%", "0.00", "0.12"),
        ("abc", "0,0", "0"),
        (None, "0.00", "0.00"),
        (1e21, "0,0", "NaN"),  # "1e+21e+0" is not a number
    ],
)
def test_numeral_format(value: object, fmt: str | None, expected: str) -> None:
    assert format_number(value, fmt) == expected


def test_js_number_to_string() -> None:
    assert js_number_to_string(123.0) == "123"
    assert js_number_to_string(1e21) == "1e+21"
    assert js_number_to_string(1.5e-7) == "1.5e-7"
    assert js_number_to_string(0.000001) == "0.000001"
    assert js_number_to_string(-0.0) == "0"
    assert js_number_to_string(123456789012345680000.0) == "123456789012345680000"


def test_js_primitives() -> None:
    assert js_to_number(" 12.5 ") == 12.5
    assert js_to_number("") == 0
    assert js_to_number("0x1f") == 31
    assert js_to_number("1_000") != js_to_number("1_000")  # NaN
    assert js_round(-2.5) == -2
    assert js_round(2.5) == 3
    assert js_to_fixed(1.005, 2) == "1.00"  # the binary value is below 1.005
    assert js_to_fixed(-0.0, 2) == "0.00"
