"""Time-zone offset resolution for the DATE helper, as moment-timezone 0.5.23 does it.

Zones come from zoneinfo (IANA names, matched case-insensitively). Offsets
are minutes east of UTC: `zone_state` gives the offset and abbreviation at an
instant, `offset_of_wall_time` the offset moment-timezone picks for a
wall-clock time (gaps and overlaps included).
"""

from __future__ import annotations

import functools
import itertools
import zoneinfo
from datetime import UTC, datetime, timedelta

from flowbot.template.moment_calendar import MS_PER_DAY, days_from_civil

__all__ = ["lookup_zone", "offset_of_wall_time", "zone_state"]


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


@functools.cache
def lookup_zone(name: str) -> zoneinfo.ZoneInfo | None:
    canonical = _zone_names().get(name.lower())
    if canonical is None:
        return None
    return zoneinfo.ZoneInfo(canonical)


_MIN_LOOKUP_MS = days_from_civil(2, 1, 1) * MS_PER_DAY
_MAX_LOOKUP_MS = days_from_civil(9998, 12, 31) * MS_PER_DAY
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def zone_state(zone: zoneinfo.ZoneInfo, ms: int) -> tuple[float, str]:
    """UTC offset in minutes and abbreviation of `zone` at instant `ms`."""
    clamped = min(max(ms, _MIN_LOOKUP_MS), _MAX_LOOKUP_MS)
    local = (_EPOCH + timedelta(milliseconds=clamped)).astimezone(zone)
    offset = local.utcoffset()
    seconds = offset.total_seconds() if offset is not None else 0.0
    return seconds / 60, local.tzname() or ""


def _offset_minutes(zone: zoneinfo.ZoneInfo, ms: int) -> float:
    return zone_state(zone, ms)[0]


_HOUR_MS = 3_600_000
_WINDOW_MS = 36 * _HOUR_MS  # wider than any UTC offset, so every nearby transition is seen
_PREVIOUS_PERIOD_SEARCH_DAYS = 100 * 366


def _transition_in(zone: zoneinfo.ZoneInfo, start: int, end: int) -> int:
    """First instant in (start, end] whose offset differs from the offset at `start`."""
    before = _offset_minutes(zone, start)
    while end - start > 1:
        middle = (start + end) // 2
        if _offset_minutes(zone, middle) == before:
            start = middle
        else:
            end = middle
    return end


@functools.lru_cache(maxsize=256)
def _offset_before_period(zone: zoneinfo.ZoneInfo, period_end: int) -> float | None:
    """Offset of the period before the one ending at `period_end` (None: it is the first)."""
    offset = _offset_minutes(zone, period_end - 1)
    probe = period_end - 1
    for _ in range(_PREVIOUS_PERIOD_SEARCH_DAYS):
        probe -= 24 * _HOUR_MS
        if probe < _MIN_LOOKUP_MS:
            return None
        earlier = _offset_minutes(zone, probe)
        if earlier != offset:
            return earlier
    return None


def offset_of_wall_time(zone: zoneinfo.ZoneInfo, local_ms: int) -> float:
    """Offset (minutes east) moment-timezone's ``zone.parse`` picks for wall-clock `local_ms`.

    moment-timezone walks its periods and takes the first whose end, written in
    local time, lies after the wall-clock time. A period that began by setting
    clocks back has its end written with the previous period's offset
    (``moveInvalidForward``), so a time in the usual spring-forward gap moves
    forward, while a gap after a period that began otherwise (Seoul's first
    DST day in 1987) resolves backwards; an ambiguous time takes the earlier
    instant. zoneinfo's fold=0 differs in that second case, hence this search.
    """
    samples = [local_ms - _WINDOW_MS, local_ms, local_ms + _WINDOW_MS]
    offsets = [_offset_minutes(zone, t) for t in samples]
    if offsets[0] == offsets[1] == offsets[2]:
        return offsets[0]
    transitions: list[int] = []
    for (start, end), (a, b) in zip(
        itertools.pairwise(samples), itertools.pairwise(offsets), strict=True
    ):
        if a != b:
            transitions.append(_transition_in(zone, start, end))
    previous: float | None = None
    for index, until in enumerate(transitions):
        east = _offset_minutes(zone, until - 1)
        if index == 0:
            previous = _offset_before_period(zone, until)
        # moment-timezone stores minutes west; "west > previous west" is "east < previous east".
        end_offset = previous if previous is not None and east < previous else east
        if local_ms < until + round(end_offset * 60_000):
            return east
        previous = east
    return offsets[2]
