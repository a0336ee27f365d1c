"""Running `sandbox` node scripts: child processes (in bubblewrap when it works), one per run.

`ProcessSandbox` is the `ScriptPort` the server wires in; `EgressProxy` is
the only way its scripts reach the network (every destination through the
`AddressGuard`). `runner` says what each mode isolates and what it does not.
"""

from __future__ import annotations

from flowbot.integrations.sandbox.egress import EgressListener, EgressProxy
from flowbot.integrations.sandbox.runner import (
    NODE_DIR,
    ProcessSandbox,
    SandboxError,
    SandboxLimits,
    SandboxMode,
)

__all__ = [
    "NODE_DIR",
    "EgressListener",
    "EgressProxy",
    "ProcessSandbox",
    "SandboxError",
    "SandboxLimits",
    "SandboxMode",
]
