"""FORMAT against the real Numeral.js 2.0.6: byte-identical output required.

tests/js/format_numeral.js runs once per module as a long-lived node process
(JSON lines in and out); hypothesis composes values and numeral format strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowbot.template.numeral import format_number

from .js_oracle import NodeOracle, open_oracle

pytestmark = pytest.mark.node

_ABSENT = object()


@pytest.fixture(scope="module")
def numeral_js() -> Iterator[NodeOracle]:
    oracle = open_oracle("format_numeral.js", "numeral")
    yield oracle
    oracle.close()


def js_format(oracle: NodeOracle, value: Any, fmt: str | None) -> str:
    request: dict[str, Any] = {"format": fmt}
    if value is not _ABSENT:
        request["value"] = value
    result = oracle.ask(request)
    assert isinstance(result, str)
    return result


def py_format(value: Any, fmt: str | None) -> str:
    return format_number(None if value is _ABSENT else value, fmt)


# --- strategies ------------------------------------------------------------------

finite_floats = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e16, max_value=1e16)
decimal_like = st.decimals(
    min_value=-10_000_000, max_value=10_000_000, places=6, allow_nan=False, allow_infinity=False
).map(float)
# Halves and near-halves are where numeral's rounding correction matters.
halves = st.builds(
    lambda whole, digits, sign: sign * (whole + 5 / 10**digits),
    st.integers(0, 100_000),
    st.integers(1, 6),
    st.sampled_from([1, -1]),
)
small = st.floats(min_value=1e-12, max_value=1e-3).flatmap(lambda x: st.sampled_from([x, -x]))
numbers = st.one_of(
    st.integers(-(10**16), 10**16),
    finite_floats,
    decimal_like,
    halves,
    small,
    st.sampled_from([0, 0.5, 1.5, 2.5, -0.5, 1.005, 0.615, 1e21, 123456789.987654, 999.95, 999950]),
)
numeric_strings = st.one_of(
    decimal_like.map(repr),
    st.sampled_from(
        [
            "01234.5",
            "1,234.56",
            "-1,234",
            "(1,234)",
            "$1.2k",
            "-$1.5m",
            "12%",
            "1.5 BPS",
            "1:30:00",
            "10:05",
            "3e+2",
            "5e-3",
            "5KB",
            "1.5MiB",
            "2b",
            "abc",
            "",
            "1.2.3",
            "--5",
            "1st",
            "  42  ",
        ]
    ),
)
values = st.one_of(numbers, numeric_strings, st.sampled_from([None, _ABSENT, True, False]))

integer_parts = st.sampled_from(["0", "0,0", "00000", "0,000", "00,0", "", "#"])
decimal_parts = st.sampled_from(
    [
        "",
        ".",
        ".0",
        ".00",
        ".000",
        ".00000",
        "[.]00",
        ".[00]",
        ".0[0]",
        "[.][0000]",
        ".[0]",
        ".0000[00]",
    ]
)
suffixes = st.sampled_from(
    [
        "",
        "a",
        " a",
        "ak",
        "am",
        "ab",
        "at",
        " ak",
        "%",
        " %",
        "o",
        " o",
        "b",
        " b",
        "ib",
        " ib",
        "e+0",
        "e-0",
        "BPS",
        " BPS",
    ]
)
signs = st.sampled_from(["plain", "+", "+after", "-", "-after", "()"])
currency = st.sampled_from(["", "$", "$ ", "after$", "after $"])


@st.composite
def numeral_formats(draw: st.DrawFn) -> str:
    body = draw(integer_parts) + draw(decimal_parts) + draw(suffixes)
    money = draw(currency)
    body = body + money[len("after") :] if money.startswith("after") else money + body
    sign = draw(signs)
    if sign == "()":
        return "(" + body + ")"
    if sign.endswith("after"):
        return body + sign[0]
    return body if sign == "plain" else sign + body


# Arbitrary strings over numeral's alphabet reach the odd corners of its string handling.
format_soup = st.text(alphabet="0,.[]()+-a kmbt%o$:iBPSe", max_size=12)

formats = st.one_of(
    numeral_formats(),
    format_soup,
    st.sampled_from(["00:00:00", "0,0[.][0000]", "", "0.0a", "0[.]0", "$0,0.00", "0o", "0.00e+0"]),
    st.none(),
)


# --- tests -----------------------------------------------------------------------


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=values, fmt=formats)
@example(value=1.005, fmt="0.00")
@example(value=0.615, fmt="0.00")
@example(value=-0.5, fmt="0")
@example(value=999.95, fmt="0.0a")
@example(value=1e21, fmt="0,0.00")
@example(value=1e-7, fmt="0.000000000")
@example(value=1230974, fmt="0.0a")
@example(value=-1234.5, fmt="($0,0.00)")
@example(value=1e28, fmt="0b")
def test_format_matches_numeral_js(numeral_js: NodeOracle, value: Any, fmt: str | None) -> None:
    assert py_format(value, fmt) == js_format(numeral_js, value, fmt)


@settings(max_examples=500, deadline=None)
@given(seconds=st.one_of(st.integers(-100_000, 10_000_000), finite_floats))
def test_time_format_matches_numeral_js(numeral_js: NodeOracle, seconds: float) -> None:
    assert py_format(seconds, "00:00:00") == js_format(numeral_js, seconds, "00:00:00")
