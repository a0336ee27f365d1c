"""The clock and the random source one turn's templates see (DATE and RAND).

A turn should be a pure function of its inputs: `flowbot test` pins the time
and the random seed, and the engine's `Ports` carry them into the turn. The
helpers table is built once per bot load, so the turn's values reach DATE
and RAND through a context variable the engine sets for the turn
(`use_environment`), rather than through every render call. When nothing
is set, DATE reads the system clock and RAND a module-level generator.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass

__all__ = [
    "RenderEnvironment",
    "current_clock",
    "current_rng",
    "reset_environment",
    "shared_rng",
    "use_environment",
]

# milliseconds since the Unix epoch, like JS Date.now()
Clock = Callable[[], float]

_SHARED_RNG = random.Random()


def system_clock() -> float:
    return time.time() * 1000


@dataclass(frozen=True, slots=True)
class RenderEnvironment:
    clock: Clock = system_clock
    rng: random.Random = _SHARED_RNG


_DEFAULT = RenderEnvironment()
_CURRENT: ContextVar[RenderEnvironment] = ContextVar("flowbot_render_environment", default=_DEFAULT)


def current_clock() -> float:
    return _CURRENT.get().clock()


def current_rng() -> random.Random:
    return _CURRENT.get().rng


def shared_rng() -> random.Random:
    """The generator RAND draws from when no turn gave one (seeded by `seed_random`)."""
    return _SHARED_RNG


def use_environment(environment: RenderEnvironment) -> Token[RenderEnvironment]:
    """Make `environment` the current one (this task and what it awaits); keep the token."""
    return _CURRENT.set(environment)


def reset_environment(token: Token[RenderEnvironment]) -> None:
    _CURRENT.reset(token)
