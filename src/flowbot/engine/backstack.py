"""The back stack of screens (SPEC §4.5), as pure functions on tuples.

A *screen* is a run that ends at a keyboard node; its position is the node
that run started at. The run loop pushes it at the end of such a run unless a
`drop` consumed the push; `screen_on_top` says whether the top entry is the
screen the user is looking at right now.
"""

from __future__ import annotations

from typing import Final

from flowbot.engine.state import Position

__all__ = ["BACK_STACK_LIMIT", "drop", "pop", "push"]

# Older screens fall off the bottom: keeps the stored state small.
BACK_STACK_LIMIT: Final = 50

Stack = tuple[Position, ...]


def push(stack: Stack, position: Position, limit: int = BACK_STACK_LIMIT) -> Stack:
    stack = (*stack, position)
    return stack[-limit:] if len(stack) > limit else stack


def pop(stack: Stack, screen_on_top: bool, count: int) -> tuple[Position | None, Stack]:
    """Go back `count` screens: (position to re-run, stack without it and above).

    The current screen (when on top) does not count as a step back. Past the
    bottom the position is None: the caller restarts at the start flow.
    """
    base = stack[:-1] if screen_on_top and stack else stack
    if count > len(base):
        return None, ()
    return base[-count], base[:-count]


def drop(stack: Stack, count: int, push_consumed: bool) -> tuple[Stack, int]:
    """Forget `count` screens, this run's own (not yet made) push first.

    Returns the new stack and how many entries were removed from it.
    """
    remaining = count if push_consumed else count - 1
    removed = max(0, min(remaining, len(stack)))
    return stack[: len(stack) - removed], removed
