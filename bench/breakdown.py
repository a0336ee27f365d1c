"""Where a web turn's server CPU goes: flowbot with parts of its save taken away.

Runs bench/http.py's closed loop (64 conversations, Pokémon turns) against
several servers in turn, each a fresh process on 127.0.0.1, ROUNDS times in
alternation (this machine's speed drifts by ±20 % within minutes), and prints
each one's median server CPU time per request (user + system, all threads):

- bare       the bench's bare Starlette endpoint (stock uvicorn)
- flowbot    `flowbot serve` as shipped: SQLite, state + transcript rows per turn
- one-row    the turn's transcript rows inserted as one row (same bytes)
- inbox      the rows inserted into a table without the (conversation_id, seq)
             index, as an append-only inbox merged later would
- no-rows    the same, but the turn's transcript rows are not inserted
- no-writes  the same, but save_turn writes nothing (the loop runner still commits)
- memory     the in-memory store

The variants other than `flowbot` patch flowbot.store.operations in the
server process before it starts: measurement only, nothing a server does.
The budget line is what a 50 % throughput ratio allows per request.
Run: .venv/bin/python bench/breakdown.py
"""

from __future__ import annotations

import asyncio
import os
import runpy
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ROUNDS = 3
SECONDS = 4.0
# bench/http.py's helpers, loaded by path: `import http` would be the standard library's.
HTTP: dict[str, Any] = runpy.run_path(str(REPO / "bench" / "http.py"))

SERVE = """
import sys
from pathlib import Path
import flowbot.store.operations as operations
variant, config, port, db = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if variant == "no-rows":
    save = operations.save_turn_sqlite
    def without_rows(connection, conversation_id, state_json, lines, version, now):
        return save(connection, conversation_id, state_json, [], version, now)
    operations.save_turn_sqlite = without_rows
elif variant == "one-row":
    save = operations.save_turn_sqlite
    def one_row(connection, conversation_id, state_json, lines, version, now):
        if lines:
            lines = [("in", "[" + ",".join(m for _, m, _ in lines) + "]", lines[0][2])]
        return save(connection, conversation_id, state_json, lines, version, now)
    operations.save_turn_sqlite = one_row
elif variant == "inbox":
    import sqlite3
    operations._SQLITE_INSERT_TRANSCRIPT = operations._SQLITE_INSERT_TRANSCRIPT.replace(
        "INTO transcript ", "INTO transcript_inbox "
    )
    inbox = sqlite3.connect(db.removeprefix("sqlite:///"))
    inbox.execute(
        "CREATE TABLE transcript_inbox (conversation_id VARCHAR(64) NOT NULL,"
        " seq INTEGER NOT NULL, direction VARCHAR(3) NOT NULL, message TEXT NOT NULL,"
        " at DATETIME NOT NULL)"
    )
    inbox.close()
elif variant == "no-writes":
    def nothing(connection, conversation_id, state_json, lines, version, now):
        return version + 1
    operations.save_turn_sqlite = nothing
from flowbot.server.main import run_server
sys.exit(run_server([config], host="127.0.0.1", port=port, db=db))
"""

SERVE_BARE = "import runpy, sys; runpy.run_path(sys.argv[1])['serve_bare'](int(sys.argv[2]))"


def start(variant: str, folder: Path, port: int) -> subprocess.Popen[bytes]:
    if variant == "bare":
        command = [sys.executable, "-c", SERVE_BARE, str(REPO / "bench" / "http.py"), str(port)]
    else:
        config = folder / "flowbot.toml"
        config.write_text(
            f'access_log = false\n[bots.pokemon]\npath = "{REPO / "examples" / "pokemon.yaml"}"\n'
        )
        database = folder / f"{variant}-{port}.db"
        db = "memory://" if variant == "memory" else f"sqlite:///{database}"
        command = [sys.executable, "-c", SERVE, variant, str(config), str(port), db]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(variant: str, folder: Path) -> float:
    port = HTTP["free_port"]()
    server = start(variant, folder, port)
    try:
        HTTP["wait_healthy"](port, server)
        HTTP["closed_loop"].__globals__["PHASE_SECONDS"] = SECONDS
        _, _, cpu = asyncio.run(HTTP["closed_loop"](port, variant, server.pid))
    finally:
        server.terminate()
        server.wait(15)
    if cpu is None:
        raise RuntimeError("no /proc here: the CPU time of the server cannot be read")
    return float(cpu)


def main() -> int:
    variants = ("bare", "flowbot", "one-row", "inbox", "no-rows", "no-writes", "memory")
    samples: dict[str, list[float]] = {variant: [] for variant in variants}
    with tempfile.TemporaryDirectory(prefix="flowbot-breakdown-") as name:
        for _ in range(ROUNDS):
            for variant in variants:
                samples[variant].append(measure(variant, Path(name)))
    print(
        f"server CPU per web request, median of {ROUNDS} alternated runs of {SECONDS:.0f} s, "
        f"{HTTP['CLIENTS']} conversations, {os.cpu_count()} cores shared with the load generator"
    )
    bare = statistics.median(samples["bare"])
    for variant in variants:
        median = statistics.median(samples[variant])
        runs = ", ".join(f"{value * 1e6:.0f}" for value in samples[variant])
        ratio = "" if variant == "bare" else f"   bare/this {bare / median:4.0%}"
        print(f"  {variant:<10} {median * 1e6:6.0f} µs/request ({runs}){ratio}")
    print(f"  budget for a 50 % ratio: {2 * bare * 1e6:.0f} µs/request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
