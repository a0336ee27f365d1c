"""The engine's ports to the world: HTTP with an address guard, script runners.

The engine never does I/O itself (`flowbot.engine.ports`); these are the
real implementations every entry point (`serve`, `chat`, `test`) wires in.
"""

from __future__ import annotations

from flowbot.integrations.guard import AddressGuard, AddressRefused, refusal_reason
from flowbot.integrations.http import FetchError, FetchRefused, GuardedHttp, PerNameTransport
from flowbot.integrations.sandbox import EgressProxy, ProcessSandbox, SandboxError, SandboxLimits

__all__ = [
    "AddressGuard",
    "AddressRefused",
    "EgressProxy",
    "FetchError",
    "FetchRefused",
    "GuardedHttp",
    "PerNameTransport",
    "ProcessSandbox",
    "SandboxError",
    "SandboxLimits",
    "refusal_reason",
]
