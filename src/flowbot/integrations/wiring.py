"""The real ports every entry point gives the engine: guarded HTTP and sandboxed scripts.

`flowbot serve`, `flowbot chat` and `flowbot test` all open them the same
way, with the same address guard for `fetch` nodes and for scripts' requests
(`[fetch] allow` in flowbot.toml), so a bot behaves alike in each.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable

from flowbot.engine import Ports
from flowbot.integrations.guard import AddressGuard
from flowbot.integrations.http import GuardedHttp
from flowbot.integrations.sandbox import ProcessSandbox

__all__ = ["world_ports"]


@contextlib.asynccontextmanager
async def world_ports(
    *, fetch_allow: Iterable[str] = (), scripts: bool = True
) -> AsyncIterator[Ports]:
    """Ports with HTTP (one shared client) and, unless `scripts` is False, the script runner."""
    guard = AddressGuard(fetch_allow)
    client = GuardedHttp.default_client()
    # started on its first script (ProcessSandbox.run): most bots never run one, and
    # starting probes the runtimes and bubblewrap
    sandbox = ProcessSandbox(guard) if scripts else None
    try:
        yield Ports(http=GuardedHttp(client, guard), script=sandbox)
    finally:
        if sandbox is not None:
            await sandbox.close()
        await client.aclose()
