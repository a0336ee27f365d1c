"""world_ports: what `[sandbox] mode` gives the engine."""

from __future__ import annotations

import os

import pytest

from flowbot.integrations.sandbox import ProcessSandbox
from flowbot.integrations.wiring import world_ports


async def test_auto_starts_the_runner_on_its_first_script() -> None:
    async with world_ports() as ports:
        assert isinstance(ports.script, ProcessSandbox)
        assert ports.script.mode is None  # not probed yet: most bots never run a script
        assert ports.http is not None


async def test_off_means_no_script_runner() -> None:
    async with world_ports(sandbox_mode="off") as ports:
        assert ports.script is None
        assert ports.http is not None


async def test_process_is_passed_on() -> None:
    async with world_ports(sandbox_mode="process") as ports:
        assert isinstance(ports.script, ProcessSandbox)
        assert ports.script.requested_mode == "process"


@pytest.mark.skipif(not os.path.exists("/usr/bin/bwrap"), reason="bubblewrap is not installed")
async def test_bwrap_is_probed_before_serving() -> None:
    """So a server told to isolate scripts fails at start, not on a bot's first script."""
    async with world_ports(sandbox_mode="bwrap") as ports:
        assert isinstance(ports.script, ProcessSandbox)
        assert ports.script.mode == "bwrap"
