"""The real ports every entry point gives the engine: guarded HTTP and sandboxed scripts.

`flowbot serve`, `flowbot chat` and `flowbot test` all open them the same
way, with the same address guard for `fetch` nodes and for scripts' requests
(`[fetch] allow` in flowbot.toml), so a bot behaves alike in each.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable

from flowbot.engine import Ports, ScriptRequest, ScriptResult
from flowbot.integrations.guard import AddressGuard
from flowbot.integrations.http import GuardedHttp
from flowbot.integrations.sandbox import ProcessSandbox

__all__ = ["LazySandbox", "world_ports"]


class LazySandbox:
    """The script runner, started on the first script: most bots never run one.

    Starting it probes the runtimes and bubblewrap (a few child processes),
    which every `flowbot chat`, `flowbot test` and server start would pay
    otherwise.
    """

    def __init__(self, sandbox: ProcessSandbox) -> None:
        self.sandbox = sandbox
        self._started = False

    async def run(self, request: ScriptRequest) -> ScriptResult:
        if not self._started:
            await self.sandbox.start()
            self._started = True
        return await self.sandbox.run(request)

    async def close(self) -> None:
        if self._started:
            await self.sandbox.close()


@contextlib.asynccontextmanager
async def world_ports(
    *, fetch_allow: Iterable[str] = (), scripts: bool = True
) -> AsyncIterator[Ports]:
    """Ports with HTTP (one shared client) and, unless `scripts` is False, the script runner."""
    guard = AddressGuard(fetch_allow)
    client = GuardedHttp.default_client()
    sandbox = LazySandbox(ProcessSandbox(guard)) if scripts else None
    try:
        yield Ports(http=GuardedHttp(client, guard), script=sandbox)
    finally:
        if sandbox is not None:
            await sandbox.close()
        await client.aclose()
