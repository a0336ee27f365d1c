"""Web-channel turns/s and p99 of 1 and 2 `flowbot serve` processes, printed (not a test).

In one run, each phase a fresh server on 127.0.0.1 driven by wrk (Debian's,
`make bench-deps`) with bench/scale.lua — one conversation per connection, its
turns cycling goto → text → card click as in bench/http.py:

1. 1 process on SQLite (the reference);
2. 1 process on PostgreSQL + Redis;
3. 2 processes on PostgreSQL + Redis, two ports (wrk's threads split over them);
4. 1 `--workers 2` server on PostgreSQL + Redis, one shared port.

Each phase: a short warm-up, then PHASE_SECONDS of closed-loop load from
CONNECTIONS connections (wrk -t N -c N: one Lua state per connection).
Printed: turns/s, p50/p99, CPU per turn of the flowbot processes (user +
system from /proc, workers included), of PostgreSQL + Redis and of the whole
machine (wrk included: cores / that is the most turns/s this machine can
give, whatever the number of processes), and the 2-process / 1-process
ratio. PostgreSQL and Redis are the machine's
(127.0.0.1:5432 database `test`, 127.0.0.1:6379): the phases use a schema and
a key prefix of their own, dropped and deleted at the end. wrk runs pinned
to the last core with `taskset` when there are more than 2 cores; on 2 cores
it floats (pinning it there only takes a core from the servers), and its CPU
is part of what the servers lack.

Run: .venv/bin/python bench/scale.py [--seconds 8] [--connections 32] [--postgres-only]
(WRK_CPU=1 pins wrk to CPU 1 on any machine; WRK_CPU= never pins.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_suffix(".lua")
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
PHASE_SECONDS = 8
WARMUP_SECONDS = 2
CONNECTIONS = 32
TARGET_RATIO = 1.5


# --- processes and their CPU -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """`pid` and its children's pids, recursively (uvicorn's workers)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += descendants(int(child))
    return found


def pids_named(*names: str) -> list[int]:
    """Every process whose command name is one of `names` (PostgreSQL's backends, Redis)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if stat.read_text().strip() in names:
                found.append(int(stat.parent.name))
    return found


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy so far (every process: wrk and others too)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds used between start() and stop() by the processes alive at both.

    A process that ends meanwhile (a PostgreSQL backend of a pool connection
    closed after a peak) takes its CPU time with it: it is left out rather
    than counted as negative, and `ended` says how many were.
    """

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)
        self.before: dict[int, float] = {}
        self.ended = 0

    def start(self) -> None:
        self.before = {pid: cpu_seconds(pid) for pid in self.pids}

    def stop(self) -> float:
        after = {pid: cpu_seconds(pid) for pid in self.pids}
        # (cpu_seconds is 0 for a process that is gone)
        kept = [pid for pid in self.pids if after[pid] > 0 and after[pid] >= self.before[pid]]
        self.ended = len(self.pids) - len(kept)
        return sum(after[pid] - self.before[pid] for pid in kept)


def wait_healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            exited = process.returncode
            raise RuntimeError(f"flowbot serve exited with {exited}:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"flowbot serve did not become healthy:\n{log.read_text()}")


@contextlib.contextmanager
def serving(
    folder: Path, name: str, arguments: Sequence[str], count: int = 1
) -> Iterator[tuple[list[int], list[int]]]:
    """`count` flowbot serve processes: (their ports, their pids and their workers')."""
    config = folder / "flowbot.toml"
    processes: list[tuple[subprocess.Popen[bytes], int, Path]] = []
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        for n in range(count):
            port, log = free_port(), folder / f"{name}-{n}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [sys.executable, "-m", "flowbot.cli", "serve", str(config),
                     "--port", str(port), *arguments],
                    cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT,
                )  # fmt: skip
            processes.append((process, port, log))
        for process, port, log in processes:
            wait_healthy(port, process, log)
        pids = [pid for process, _, _ in processes for pid in descendants(process.pid)]
        yield [port for _, port, _ in processes], pids
    finally:
        for process, _, _ in processes:
            if process.poll() is None:
                process.terminate()
        for process, _, _ in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


# --- wrk --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    turns_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    failures: int
    flowbot_us: float  # CPU per turn, flowbot processes
    backing_us: float  # CPU per turn, PostgreSQL + Redis (0 for SQLite)
    machine_us: float  # CPU per turn, the whole machine (wrk included)

    def line(self) -> str:
        backing = f", PostgreSQL+Redis {self.backing_us:5.0f} µs" if self.backing_us else ""
        failed = f"   {self.failures} FAILED" if self.failures else ""
        return (
            f"  {self.name:<34} {self.turns_per_second:7.0f} turns/s   p50 {self.p50_ms:6.2f} ms"
            f"   p99 {self.p99_ms:6.2f} ms   CPU/turn: flowbot {self.flowbot_us:5.0f} µs"
            f"{backing}, machine {self.machine_us:5.0f} µs   ({self.requests} turns){failed}"
        )


def wrk_command(ports: Sequence[int], seconds: float, connections: int) -> list[str]:
    command = [
        "wrk", "-t", str(connections), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{ports[0]}",
    ]  # fmt: skip
    pin = wrk_cpu()
    if pin is not None:
        command = ["taskset", "-c", pin, *command]
    return command


def wrk_cpu() -> str | None:
    """The core wrk is pinned to: WRK_CPU, else the last one when there are more than 2."""
    cpus = os.cpu_count() or 1
    if shutil.which("taskset") is None:
        return None
    if "WRK_CPU" in os.environ:
        return os.environ["WRK_CPU"] or None
    return str(cpus - 1) if cpus > 2 else None


def run_wrk(ports: Sequence[int], seconds: float, connections: int, tag: str) -> dict[str, int]:
    env = {**os.environ, "SCALE_PORTS": ",".join(map(str, ports)), "SCALE_TAG": tag}
    done = subprocess.run(
        wrk_command(ports, seconds, connections),
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("SCALE "):
            parsed: dict[str, int] = json.loads(line[6:])
            return parsed
    raise RuntimeError(f"wrk printed no result ({done.returncode}):\n{done.stdout}{done.stderr}")


def measure(
    name: str,
    ports: Sequence[int],
    flowbot_pids: Sequence[int],
    backing: bool,
    seconds: float,
    connections: int,
) -> Result:
    tag = uuid.uuid4().hex[:8]
    run_wrk(ports, WARMUP_SECONDS, connections, f"warm-{tag}")
    # after the warm-up: PostgreSQL's backends of the servers' pools exist now
    backing_pids = pids_named("postgres", "redis-server") if backing else []
    flowbot, services = CpuMeter(flowbot_pids), CpuMeter(backing_pids)
    flowbot.start()
    services.start()
    machine = machine_busy_seconds()
    stats = run_wrk(ports, seconds, connections, f"run-{tag}")
    flowbot_cpu, backing_cpu = flowbot.stop(), services.stop()
    machine = machine_busy_seconds() - machine
    requests = max(1, stats["requests"])
    failures = stats["non_200"] + sum(
        stats[key] for key in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    if failures:
        print(f"    {name}: {failures} failures, e.g. {stats['example_failure']}", flush=True)
    return Result(
        name=name,
        turns_per_second=stats["requests"] / (stats["duration_us"] / 1e6),
        p50_ms=stats["p50_us"] / 1000,
        p99_ms=stats["p99_us"] / 1000,
        requests=stats["requests"],
        failures=failures,
        flowbot_us=flowbot_cpu / requests * 1e6,
        backing_us=backing_cpu / requests * 1e6,
        machine_us=machine / requests * 1e6,
    )


# --- PostgreSQL and Redis ----------------------------------------------------------------


def services_reachable() -> str | None:
    """None when PostgreSQL and Redis answer, else why not."""
    for port, service in ((5432, "PostgreSQL"), (6379, "Redis")):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError as error:
            return f"{service} not reachable on 127.0.0.1:{port} ({error})"
    return None


def serve_has(flag: str) -> bool:
    """Whether this flowbot's `serve` takes `flag` (the multi-process flags are new)."""
    done = subprocess.run(
        [sys.executable, "-m", "flowbot.cli", "serve", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    return flag in done.stdout


async def drop_schema(schema: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await admin.close()


async def delete_prefix(prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


# --- the run --------------------------------------------------------------------------------


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="flowbot-scale-"))
    try:
        return run(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=PHASE_SECONDS)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument(
        "--postgres-only",
        action="store_true",
        help="also 1 and 2 processes on PostgreSQL without Redis (advisory locks, LISTEN/NOTIFY)",
    )
    options = parser.parse_args()
    seconds, connections = options.seconds, options.connections
    if shutil.which("wrk") is None:
        print("bench/scale.py: wrk is not installed (make bench-deps); skipped")
        return 0
    (folder / "flowbot.toml").write_text(
        f'access_log = false\n[bots.pokemon]\npath = "{REPO / "examples" / "pokemon.yaml"}"\n'
    )
    cpus = os.cpu_count() or 1
    pin = wrk_cpu()
    pinned = "wrk floats (not pinned)" if pin is None else f"wrk pinned to CPU {pin} (taskset)"
    print(
        f"web channel, wrk -t{connections} -c{connections} (one conversation per connection), "
        f"keep-alive HTTP/1.1 on 127.0.0.1, {seconds:.0f} s per phase after a "
        f"{WARMUP_SECONDS} s warm-up; {cpus} cores, {pinned}; turns cycle goto → text → card click"
    )
    results: list[Result] = []
    with serving(folder, "sqlite", ["--db", f"sqlite:///{folder / 'scale.db'}"]) as (ports, pids):
        results.append(measure("1 process, SQLite", ports, pids, False, seconds, connections))
        print(results[-1].line(), flush=True)

    missing = services_reachable()
    if missing:
        print(f"  PostgreSQL + Redis phases skipped: {missing}")
        return 0
    schema = f"flowbot_scale_{uuid.uuid4().hex[:10]}"
    prefix = f"flowbot-scale-{uuid.uuid4().hex[:10]}:"
    database = f"{POSTGRES_URL}?schema={schema}"
    redis = serve_has("--redis")
    workers = serve_has("--workers")
    arguments = ["--db", database]
    backing_name = "PostgreSQL + Redis"
    if redis:
        arguments += ["--redis", REDIS_URL, "--redis-prefix", prefix]
    else:
        backing_name = "PostgreSQL (no --redis yet)"
        print("  note: this flowbot serve has no --redis: the phases below run on PostgreSQL only")
    try:
        with serving(folder, "pg1", arguments) as (ports, pids):
            one = measure(f"1 process, {backing_name}", ports, pids, True, seconds, connections)
            results.append(one)
            print(one.line(), flush=True)
        with serving(folder, "pg2", arguments, count=2) as (ports, pids):
            two = measure(f"2 processes, {backing_name}", ports, pids, True, seconds, connections)
            results.append(two)
            print(two.line(), flush=True)
        if options.postgres_only:
            plain = ["--db", database]
            for count in (1, 2):
                name = f"{count} process{'es' if count > 1 else ''}, PostgreSQL only"
                with serving(folder, f"plain{count}", plain, count=count) as (ports, pids):
                    results.append(measure(name, ports, pids, True, seconds, connections))
                    print(results[-1].line(), flush=True)
        shared = None
        if workers:
            with serving(folder, "w2", [*arguments, "--workers", "2"]) as (ports, pids):
                shared = measure("--workers 2, one port", ports, pids, True, seconds, connections)
                results.append(shared)
                print(shared.line(), flush=True)
        else:
            print("  --workers 2: skipped (this flowbot serve has no --workers yet)")
    finally:
        asyncio.run(drop_schema(schema))
        asyncio.run(delete_prefix(prefix))
    for result, label in ((two, "2 processes (two ports)"), (shared, "--workers 2")):
        if result is None:
            continue
        ratio = result.turns_per_second / one.turns_per_second
        verdict = "ok" if ratio >= TARGET_RATIO else "BELOW TARGET"
        print(f"  {label} / 1 process: {ratio:.2f}× turns/s (target ≥ {TARGET_RATIO}×: {verdict})")
    cpus = os.cpu_count() or 1
    print(
        f"  the machine's bound, {cpus} cores / machine CPU per turn: "
        + ", ".join(f"{r.name}: {cpus / (r.machine_us / 1e6):.0f} turns/s" for r in results)
    )
    reference = results[0].turns_per_second
    print(f"  1 process {backing_name} / SQLite: {one.turns_per_second / reference:.0%} turns/s")
    return 1 if any(result.failures for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
