"""Limits against floods: how often one address may open conversations.

Off by default (`[web] open_rate = "30/minute"` turns it on): behind a
reverse proxy every visitor may share one address unless the proxy's
`X-Forwarded-For` is trusted (uvicorn's `--forwarded-allow-ips`), and a
limit then would refuse everyone at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """At most `count` events per `per` seconds and key, over a sliding window.

    Remembers at most `keys` addresses (the least recently seen are forgotten
    first), so a flood of addresses cannot grow it without bound.
    """

    def __init__(
        self,
        count: int,
        per: float,
        *,
        keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.count = count
        self.per = per
        self._keys = keys
        self._clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def allow(self, key: str) -> float | None:
        """None when the event may happen now (and counts it), else seconds to wait."""
        now = self._clock()
        times = self._seen.get(key)
        if times is None:
            times = self._seen[key] = deque()
            while len(self._seen) > self._keys:
                self._seen.popitem(last=False)
        else:
            self._seen.move_to_end(key)
        while times and times[0] <= now - self.per:
            times.popleft()
        if len(times) >= self.count:
            return times[0] + self.per - now
        times.append(now)
        return None
