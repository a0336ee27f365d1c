"""Pause the cyclic garbage collector while a bot is built.

Loading a big bot allocates hundreds of thousands of long-lived objects
(models, compiled templates, closures) and no garbage cycles; every few
hundred allocations CPython would scan the young objects, and the growing
heap triggers full collections over all of them. Measured on a generated
bot of 1,000 flows × 10 nodes (bench/templates.py), the collector took more
than half of the load time. Reference counting still frees everything else.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector for the block; nested uses are fine."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
