"""Masked spans: what MASK(text) marks as shown to the user but starred in stored logs.

MASK wraps its text in two private-use characters; the engine then makes two
versions of each reply from one rendering: `reveal` (markers removed, for the
user) and `star` (each masked character replaced by `*`, for transcripts and
event webhooks).

The markers may also arrive from outside (a user can type any character), so
both functions accept any text and never raise: a closing marker with no open
span is dropped, and an opening marker that is never closed masks the rest of
the text (a cut such as TRUNCATE(MASK(x), 5) must not leak what follows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

__all__ = [
    "MASK_CLOSE",
    "MASK_OPEN",
    "contains_mask",
    "has_mask",
    "mask",
    "mentions_mask",
    "reveal",
    "reveal_value",
    "star",
    "star_value",
]

MASK_OPEN: Final = "\ue000"
MASK_CLOSE: Final = "\ue001"

_DROP_MARKERS: Final = str.maketrans({MASK_OPEN: None, MASK_CLOSE: None})


def mask(text: str) -> str:
    """`text` as a masked span (empty text needs no span)."""
    return f"{MASK_OPEN}{text}{MASK_CLOSE}" if text else ""


def has_mask(s: str) -> bool:
    """True when `s` holds any marker, balanced or not."""
    return MASK_OPEN in s or MASK_CLOSE in s


def contains_mask(value: Any) -> bool:
    """True when a string in `value` (JSON-like, keys included) holds a marker."""
    if isinstance(value, str):
        return MASK_OPEN in value or MASK_CLOSE in value
    if isinstance(value, dict):
        return any(contains_mask(key) or contains_mask(item) for key, item in value.items())
    if isinstance(value, list):
        return any(contains_mask(item) for item in value)
    return False


def reveal(s: str) -> str:
    """`s` without markers: the masked text stays, in clear."""
    if MASK_OPEN not in s and MASK_CLOSE not in s:
        return s
    return s.translate(_DROP_MARKERS)


def star(s: str) -> str:
    """`s` with every masked character replaced by `*` and the markers removed.

    Spans may nest (MASK(MASK(x))); `len(star(s)) == len(reveal(s))` always.
    """
    if MASK_OPEN not in s and MASK_CLOSE not in s:
        return s
    out: list[str] = []
    depth = 0
    for char in s:
        if char == MASK_OPEN:
            depth += 1
        elif char == MASK_CLOSE:
            if depth:
                depth -= 1
        else:
            out.append("*" if depth else char)
    return "".join(out)


def reveal_value(value: Any) -> Any:
    """`value` (JSON-like) with `reveal` applied to every string, keys included."""
    return _map_strings(value, reveal)


def star_value(value: Any) -> Any:
    """`value` (JSON-like) with `star` applied to every string, keys included."""
    return _map_strings(value, star)


def mentions_mask(value: Any) -> bool:
    """True when a string in `value` (template sources) may call MASK.

    A plain substring test: a false positive only costs the engine a walk
    over the replies, a false negative would leak into stored logs.
    """
    if isinstance(value, str):
        return "MASK" in value
    if isinstance(value, dict):
        return any(mentions_mask(key) or mentions_mask(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(mentions_mask(item) for item in value)
    return False


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {
            (change(key) if isinstance(key, str) else key): _map_strings(item, change)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_map_strings(item, change) for item in value]
    return value
