"""`flowbot serve --workers N`: N server processes on one port.

The parent has bound the port (`flowbot.server.main.bind_port`); it forks N
children, each of which builds its own app and runs uvicorn on the inherited
listening sockets (the kernel hands each connection to one of the processes
accepting on them), and supervises them: a child that dies is started again,
after a pause that grows while it keeps dying; SIGINT and SIGTERM are passed
on, and each child finishes its requests and stops.

Why not uvicorn's own `--workers`: its supervisor binds the port itself and
imports the app from an import string in every worker, where flowbot binds
first (a busy port is one line and exit 2, the database untouched) and builds
the app from the parsed settings. Forking after the bots' files were read and
before any event loop, connection or thread exists keeps the children
independent: each opens its own database pool, Redis client and loop.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from types import FrameType

__all__ = ["run_workers"]

logger = logging.getLogger("flowbot.server")

# a child that ran this long before dying is restarted at once
HEALTHY_SECONDS = 10.0
MAX_PAUSE_SECONDS = 10.0


def run_workers(count: int, serve: Callable[[], int]) -> int:
    """Run `serve()` in `count` forked processes until stopped; the exit code.

    2 when a child ends with 2 (its bots or settings do not load: every other
    child would too); otherwise 0 once stopped by a signal.
    """
    children: dict[int, tuple[int, float]] = {}  # pid → (worker number, started at)
    pauses = [0.0] * count
    stopping = False

    def start(number: int) -> None:
        pid = os.fork()
        if pid == 0:  # the child: serve, and never return into the parent's code
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                code = serve()
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children[pid] = (number, time.monotonic())

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for number in range(count):
            start(number)
        print(f"flowbot serve: {count} workers (pids {', '.join(map(str, children))})", flush=True)
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            found = children.pop(pid, None)
            if found is None:
                continue
            number, started = found
            code = os.waitstatus_to_exitcode(status)
            if stopping:
                continue
            if code == 2:
                print("flowbot serve: a worker cannot serve these bots: stopping", file=sys.stderr)
                stop(signal.SIGTERM, None)
                _wait_all(children)
                return 2
            ran = time.monotonic() - started
            pauses[number] = (
                0.0 if ran >= HEALTHY_SECONDS else min(MAX_PAUSE_SECONDS, pauses[number] * 2 or 0.5)
            )
            print(
                f"flowbot serve: worker {number} (pid {pid}) ended with {code} after {ran:.1f} s: "
                f"starting it again in {pauses[number]:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(pauses[number])
            if not stopping:
                start(number)
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _wait_all(children: dict[int, tuple[int, float]]) -> None:
    while children:
        try:
            pid, _ = os.wait()
        except ChildProcessError:
            return
        children.pop(pid, None)
