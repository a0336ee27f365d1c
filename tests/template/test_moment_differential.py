"""DATE against the real moment 2.22.2 + moment-timezone 0.5.23: byte-identical output.

tests/js/format_moment.js runs once per module as a long-lived node process
(JSON lines in and out); hypothesis composes instants, input strings, format
strings and zones.

Time-zone data: moment-timezone 0.5.23 ships the 2018 tz database while
zoneinfo uses a newer one. The zones below had no rule changes between 1970
and 2037 in any tz release since 2018, so both sides agree on every offset and
abbreviation of the generated dates; zones whose rules changed since 2018
(e.g. America/Sao_Paulo, Asia/Pyongyang, Europe/Volgograd, Africa/Casablanca)
are deliberately absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowbot.template.moment import format_date
from flowbot.template.moment_calendar import civil_from_days

from .js_oracle import NodeOracle, open_oracle

pytestmark = pytest.mark.node

STABLE_ZONES = [
    "UTC",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Paris",
    "Australia/Sydney",
]
FIXED_NOW = 1_544_161_634_667  # 2018-12-07T05:47:14.667Z
MIN_MS = 0  # 1970-01-01
MAX_MS = 2_145_916_799_999  # 2037-12-31T23:59:59.999Z

_ABSENT = object()


@pytest.fixture(scope="module")
def moment_js() -> Iterator[NodeOracle]:
    oracle = open_oracle("format_moment.js", "moment-timezone")
    yield oracle
    oracle.close()


def both(oracle: NodeOracle, value: Any, fmt: str | None, tz: str | None) -> tuple[str, str]:
    request: dict[str, Any] = {"format": fmt, "tz": tz, "now": FIXED_NOW}
    if value is not _ABSENT:
        request["value"] = value
    js = oracle.ask(request)
    py = format_date(None if value is _ABSENT else value, fmt, tz, now=lambda: FIXED_NOW)
    return py, js


# --- strategies ------------------------------------------------------------------

instants = st.integers(MIN_MS, MAX_MS)
zones = st.sampled_from(STABLE_ZONES)


def _fields(ms: int) -> tuple[int, int, int, int, int, int, int]:
    days, rest = divmod(ms, 86_400_000)
    year, month, day = civil_from_days(days)
    return year, month, day, rest // 3_600_000, rest // 60_000 % 60, rest // 1000 % 60, rest % 1000


@st.composite
def iso_strings(draw: st.DrawFn) -> str:
    """ISO 8601 spellings moment accepts, with and without offsets."""
    year, month, day, hour, minute, second, ms = _fields(draw(instants))
    basic = draw(st.booleans())
    date = f"{year:04d}{month:02d}{day:02d}" if basic else f"{year:04d}-{month:02d}-{day:02d}"
    shape = draw(st.sampled_from(["date", "hm", "hms", "frac", "h"]))
    if shape == "date":
        return date
    sep = "" if basic else ":"
    time = f"{hour:02d}"
    if shape != "h":
        time += f"{sep}{minute:02d}"
    if shape in ("hms", "frac"):
        time += f"{sep}{second:02d}"
    if shape == "frac":
        digits = draw(st.integers(1, 6))
        fraction = f"{ms:03d}{draw(st.integers(0, 999)):03d}"[:digits]
        time += draw(st.sampled_from([".", ","])) + fraction
    zone = draw(st.sampled_from(["", "", "Z", "+09:00", "-05:00", "+0530", "-08", "+00:00", " Z"]))
    return date + draw(st.sampled_from(["T", " "])) + time + zone


@st.composite
def broken_iso_strings(draw: st.DrawFn) -> str:
    """ISO-shaped strings with an out-of-range field: moment calls them invalid."""
    year = draw(st.integers(1970, 2037))
    month = draw(st.integers(0, 13))
    day = draw(st.integers(0, 32))
    hour = draw(st.sampled_from([0, 12, 23, 24, 25]))
    minute = draw(st.sampled_from([0, 30, 59, 60]))
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00"


other_strings = st.sampled_from(
    [
        "2018-12",
        "2018-341",
        "2018-W49-5",
        "2018W495",
        "2018-W49",
        "/Date(1544161634667)/",
        "  2018-12-07",
        "2018-12-07T24:00:00",
        "2016-02-29",
        "2018-02-29",
        "2018-12-07T05:47:14.1234567Z",
        "",
    ]
)
values = st.one_of(
    instants,
    instants.map(float),
    iso_strings(),
    broken_iso_strings(),
    other_strings,
    st.just(_ABSENT),
)

TOKENS = [
    "M",
    "Mo",
    "MM",
    "MMM",
    "MMMM",
    "Q",
    "Qo",
    "D",
    "Do",
    "DD",
    "DDD",
    "DDDo",
    "DDDD",
    "d",
    "do",
    "dd",
    "ddd",
    "dddd",
    "e",
    "E",
    "w",
    "wo",
    "ww",
    "W",
    "Wo",
    "WW",
    "YY",
    "YYYY",
    "YYYYY",
    "YYYYYY",
    "Y",
    "gg",
    "gggg",
    "ggggg",
    "GG",
    "GGGG",
    "GGGGG",
    "A",
    "a",
    "H",
    "HH",
    "h",
    "hh",
    "k",
    "kk",
    "m",
    "mm",
    "s",
    "ss",
    "S",
    "SS",
    "SSS",
    "SSSS",
    "SSSSSS",
    "SSSSSSSSS",
    "Z",
    "ZZ",
    "X",
    "x",
    "z",
    "zz",
    "hmm",
    "hmmss",
    "Hmm",
    "Hmmss",
    "LT",
    "LTS",
    "L",
    "LL",
    "LLL",
    "LLLL",
    "l",
    "ll",
    "lll",
    "llll",
]
LITERALS = [" ", "-", "/", ":", ", ", "년 ", "월", "일", "[at]", "[Today is] ", "\\Y", "T", "w|"]
format_pieces = st.one_of(st.sampled_from(TOKENS), st.sampled_from(LITERALS))
formats = st.one_of(
    st.lists(format_pieces, min_size=1, max_size=8).map("".join),
    st.none(),
)


# --- tests -----------------------------------------------------------------------


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=values, fmt=formats, tz=st.one_of(zones, st.none(), st.just("Not/AZone")))
@example(value="2018-12-07T05:47:14.667Z", fmt="YYYY년 MM월 DD일 HH시 mm분", tz="Asia/Seoul")
@example(value="2018-03-11 02:30:00", fmt="LLLL Z z", tz="America/New_York")  # spring gap
@example(value="2018-11-04 01:30:00", fmt="LLLL Z z", tz="America/New_York")  # fall overlap
@example(value="2018-03-25 02:30", fmt="LLLL Z z", tz="Europe/Paris")
@example(value="2018-10-07 02:30", fmt="LLLL Z z", tz="Australia/Sydney")
@example(value="1987-05-10 02:30", fmt="LLLL Z z", tz="Asia/Seoul")  # Korean DST in 1987
@example(value="2018-12-31", fmt="gggg-ww GGGG-WW", tz="UTC")
@example(value=_ABSENT, fmt=None, tz="Europe/London")
def test_date_matches_moment_js(
    moment_js: NodeOracle, value: Any, fmt: str | None, tz: str | None
) -> None:
    py, js = both(moment_js, value, fmt, tz)
    assert py == js


@settings(max_examples=600, deadline=None)
@given(
    local=instants.map(_fields),
    tz=zones,
    fmt=st.sampled_from(["YYYY-MM-DDTHH:mm:ss.SSSZ z", "x"]),
)
def test_wall_time_in_zone_matches_moment_js(
    moment_js: NodeOracle, local: tuple[int, ...], tz: str, fmt: str
) -> None:
    # Wall-clock strings without an offset are read in the zone (moment.tz(string, zone)).
    year, month, day, hour, minute, second, _ = local
    value = f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
    py, js = both(moment_js, value, fmt, tz)
    assert py == js


@st.composite
def near_dst_wall_times(draw: st.DrawFn) -> str:
    """Small hours of days in DST-switching months, where gaps and overlaps live."""
    year = draw(st.integers(1970, 2037))
    month = draw(st.sampled_from([3, 4, 5, 9, 10, 11]))
    day = draw(st.integers(1, 30))
    hour = draw(st.integers(0, 3))
    minute = draw(st.sampled_from([0, 1, 29, 30, 59]))
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}"


@settings(max_examples=1500, deadline=None)
@given(value=near_dst_wall_times(), tz=zones)
def test_wall_time_near_dst_switches_matches_moment_js(
    moment_js: NodeOracle, value: str, tz: str
) -> None:
    py, js = both(moment_js, value, "YYYY-MM-DD HH:mm:ss Z z x", tz)
    assert py == js
