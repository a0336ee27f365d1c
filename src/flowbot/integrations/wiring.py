"""The real ports every entry point gives the engine: guarded HTTP and sandboxed scripts.

`flowbot serve`, `flowbot chat` and `flowbot test` all open them the same
way, with the same address guard for `fetch` nodes and for scripts' requests
(`[fetch] allow` in flowbot.toml), so a bot behaves alike in each.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Literal

from flowbot.engine import Ports
from flowbot.integrations.guard import AddressGuard
from flowbot.integrations.http import GuardedHttp
from flowbot.integrations.sandbox import ProcessSandbox

__all__ = ["world_ports"]


@contextlib.asynccontextmanager
async def world_ports(
    *,
    fetch_allow: Iterable[str] = (),
    sandbox_mode: Literal["auto", "bwrap", "process", "off"] = "auto",
) -> AsyncIterator[Ports]:
    """Ports with HTTP (one shared client) and, unless `sandbox_mode` is "off", scripts.

    "bwrap" starts the script runner here, so a server that was told to isolate
    scripts and cannot refuses to start (SandboxError) instead of failing on a
    bot's first script. Otherwise the runner starts on its first script
    (ProcessSandbox.run): most bots never run one, and starting probes the
    runtimes and bubblewrap.
    """
    guard = AddressGuard(fetch_allow)
    client = GuardedHttp.default_client()
    sandbox = None if sandbox_mode == "off" else ProcessSandbox(guard, mode=sandbox_mode)
    try:
        if sandbox is not None and sandbox_mode == "bwrap":
            await sandbox.start()
        yield Ports(http=GuardedHttp(client, guard), script=sandbox)
    finally:
        if sandbox is not None:
            await sandbox.close()
        await client.aclose()
