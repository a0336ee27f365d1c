"""`ProcessSandbox`: the `ScriptPort` that runs `sandbox` node scripts in child processes.

Every run is a fresh child process (node or python), never code in the
server's process and never a warm worker reused between runs: a script sees
nothing another run left behind. A trivial script takes about 45 ms (node)
or 30 ms (python) in bubblewrap mode, 10 ms more in process mode (measured
on 2 cores; startup is most of it). Per run:

- a wall clock (5 s), then everything the run started is killed (bwrap: its
  PID namespace; process mode: its reaper, below);
- resource limits set in the child before it runs anything: CPU seconds
  (RLIMIT_CPU: the time limit rounded up, plus 1), address space
  (RLIMIT_AS: 1 GiB for node, which reserves ~730 MB of address space just
  to start, with a 256 MB JavaScript heap; 256 MiB for python), file size
  (RLIMIT_FSIZE, 1 MiB), open files (RLIMIT_NOFILE, 256), no core dumps
  (RLIMIT_CORE 0) and tasks (RLIMIT_NPROC, 128: it counts the threads of
  the child's user, and is not enforced for root, see the user below);
- 50,000 bytes of code (refused before anything runs) and of result (its
  JSON, checked here in the parent; the bootstrap also refuses to send
  more); stdout and stderr are read to the end but only their first 64 KiB
  kept (logged at DEBUG), so a script printing megabytes costs a pipe, not
  memory;
- an empty scratch directory as working directory and HOME, and an
  environment built from nothing: PATH, HOME, TMPDIR, LANG, TZ=UTC,
  NODE_PATH, NODE_EXTRA_CA_CERTS (when configured) and the proxy variables.
  None of the server's variables (database URLs, tokens) reach a script;
- the user: when the server runs as root, the script runs as `nobody`, no
  capabilities, no supplementary groups. Concurrent runs share that user,
  hence its task budget (a node run uses about 10 of the 128).

Protocol: the parent writes {"script", "context"} as JSON on the child's
stdin; the bootstrap (node/bootstrap.js, bootstrap.py) loads the script as
a module, calls its handler as CLOSER does and writes one JSON line,
{"result": ...} or {"error": {"name", "message"}}, on a pipe of its own
(its fd number in argv), never mixed with what the script prints. An error
becomes `SandboxError("Name: message")`, which the node puts in
`sandbox.error`.

Network: a script reaches the network only through flowbot's egress proxy
(`flowbot.integrations.sandbox.egress`), which checks every destination
with the `AddressGuard`; HTTP_PROXY, HTTPS_PROXY, ALL_PROXY (and their
lower-case forms) point at it, NO_PROXY is empty. `request`,
`request-promise`, `axios` and python's urllib honour these variables; so
does `fetch` (the node bootstrap gives it undici's EnvHttpProxyAgent).
Node's bare `http.request` and `net.connect`, and python's `socket`, do not.

Two modes, chosen at `start()` and logged there (logger "flowbot.sandbox"):

bubblewrap mode, when /usr/bin/bwrap is installed and runs here (probed
once). The child runs in `bwrap --unshare-all --unshare-user
--disable-userns --die-with-parent --new-session` (without the user
namespace options where this bwrap or kernel refuses them). Isolated: the network
(a namespace with only its own loopback: no socket reaches anything, the
server's 127.0.0.1 and abstract unix sockets included; the egress proxy
listens on a unix socket bound into the sandbox, and the bootstrap relays
the sandbox's own 127.0.0.1:3128 to it); processes (its own PID namespace:
it sees and signals only its own, and killing bwrap ends them all, detached
ones included; no zombie outlives the run); IPC, hostname, user namespace
(no nested ones); the terminal (new session). Files: a read-only /usr (with
the host's /bin, /lib* links), /etc/ssl, /etc/ca-certificates, the npm
libraries and the bootstrap; its own /proc, a minimal /dev, and a 16 MiB
tmpfs at /tmp, its working directory. No /home, /root, /etc/passwd, /sys,
no server file, no other run's files. NOT isolated: the kernel (no seccomp
filter: every system call a user namespace allows is open), CPU and memory
beyond the limits above, and the task budget concurrent runs share.

process mode (no bwrap, or bwrap does not run here). The same child,
limits, scratch directory (on the host's disk: each file 1 MiB at most, but
not their number), environment and user. The bootstrap runs under a reaper
(reaper.py: a child subreaper that keeps flowbot's user) which, when the
run ends, kills its process group and every process reparented to it
(`setsid` or `detached: true` children included) and reaps them all.
NOTHING ELSE is isolated. The network is open by convention only, through
the proxy variables: a script that opens a raw socket (`net.connect`,
`http.request` without the proxy, python's `socket`) reaches anything the
server can, 127.0.0.1 services and the private network included, bypassing
the guard. It reads every file its user can: as `nobody`, the world-readable
ones (not a 0600 file of the server's); when the server does not run as
root, the script runs as the server's own user and can read its files, its
configuration and secrets included, signal its processes, and kill its
reaper (and then leave detached processes behind). It sees every process on
the host (/proc). Use process mode only for scripts you trust.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import pwd
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from flowbot.engine.ports import ScriptRequest, ScriptResult
from flowbot.integrations.guard import AddressGuard
from flowbot.integrations.sandbox.egress import EgressListener, EgressProxy

__all__ = ["NODE_DIR", "ProcessSandbox", "SandboxError", "SandboxLimits", "SandboxMode"]

log = logging.getLogger("flowbot.sandbox")

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / "node"  # package.json, package-lock.json, node_modules/, bootstrap.js
NODE_BOOTSTRAP = NODE_DIR / "bootstrap.js"
PYTHON_BOOTSTRAP = HERE / "bootstrap.py"
REAPER = HERE / "reaper.py"

SandboxMode = Literal["auto", "bwrap", "process"]
MiB = 1024 * 1024

# Where things are inside the bubblewrap sandbox.
_BOX_NODE_BOOTSTRAP = "/opt/flowbot/bootstrap.js"
_BOX_NODE_MODULES = "/opt/flowbot/node_modules"
_BOX_PYTHON_BOOTSTRAP = "/opt/flowbot/bootstrap.py"
_BOX_RUN = "/run/flowbot"
_BOX_WORK = "/tmp"
_FORWARD_PORT = 3128  # on the sandbox's own loopback: nothing else is there
_SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


class SandboxError(Exception):
    """A script run failed; the message is what `sandbox.error` shows."""


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Per-run limits. CLOSER's are 5,000 ms and 50,000 bytes of code and of result."""

    time_limit: float = 5.0  # wall clock seconds, then the process group is killed
    cpu_seconds: int | None = None  # RLIMIT_CPU; None: the time limit rounded up, plus 1
    code_bytes: int = 50_000
    result_bytes: int = 50_000  # of the result's JSON
    output_bytes: int = 64 * 1024  # kept of stdout, and of stderr; the rest is dropped
    node_memory: int = 1024 * MiB  # RLIMIT_AS: node needs ~730 MB of address space to start
    node_heap_mb: int = 256  # --max-old-space-size
    python_memory: int = 256 * MiB  # RLIMIT_AS
    file_bytes: int = 1 * MiB  # RLIMIT_FSIZE
    open_files: int = 256  # RLIMIT_NOFILE
    processes: int = 128  # RLIMIT_NPROC: tasks (threads) of the child's user
    scratch_bytes: int = 16 * MiB  # the tmpfs working directory (bubblewrap mode)

    @property
    def cpu(self) -> int:
        return self.cpu_seconds or math.ceil(self.time_limit) + 1


@dataclass(frozen=True, slots=True)
class _User:
    uid: int
    gid: int
    name: str


@dataclass(frozen=True, slots=True)
class _Runtime:
    name: str
    executable: str  # resolved path, the same inside the sandbox
    version: str


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _tail(data: bytes, limit: int = 300) -> str:
    text = data.decode("utf-8", "replace").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[-1][-limit:]


def _user_tasks(uid: int) -> int:
    """How many tasks (threads) `uid` runs now: RLIMIT_NPROC counts them all."""
    count = 0
    with contextlib.suppress(OSError), os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


def _prefix_outside_usr(executable: str) -> str | None:
    """The install prefix to bind for an interpreter that does not live under /usr."""
    path = Path(executable)
    if path.is_relative_to("/usr"):
        return None
    return str(path.parent.parent)


def _lib_binds() -> list[str]:
    """/bin, /sbin, /lib* as the host has them: links into /usr (merged /usr) or directories."""
    args: list[str] = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/", name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


class ProcessSandbox:
    """Runs each `sandbox` script in a fresh, limited child process (see the module doc)."""

    def __init__(
        self,
        guard: AddressGuard | None = None,
        *,
        mode: SandboxMode = "auto",
        limits: SandboxLimits | None = None,
        proxy: EgressProxy | None = None,
        node: str | None = None,
        python: str | None = None,
        bwrap: str = "/usr/bin/bwrap",
        node_dir: Path = NODE_DIR,
        user: str | int | None = "nobody",
        max_concurrency: int = 8,
        extra_ca_certs: Path | None = None,
        scratch_root: Path | None = None,
        self_test: bool = True,
    ) -> None:
        """
        guard: where scripts' requests may go (a default `AddressGuard`: public only).
        mode: "auto" (bubblewrap when it works, else process), "bwrap" (fail to start
            without it) or "process".
        proxy: the egress proxy (default: one on `guard`).
        node, python: the interpreters (default: `node` on PATH, the system's python3).
        node_dir: the folder of package.json and node_modules/ (NODE_PATH: the libraries).
        user: who the child runs as when the server runs as root (None: stay root).
        extra_ca_certs: a PEM file node trusts besides its own roots (NODE_EXTRA_CA_CERTS).
        scratch_root: where the per-run scratch directories go (default: the system's
            temporary directory); the child's user must be able to traverse it.
        self_test: run a trivial script per runtime at start, and log a warning if one
            fails (a misconfiguration shows at start, not on a bot's first turn).
        """
        self.limits = limits or SandboxLimits()
        self.proxy = proxy or EgressProxy(guard)
        self.requested_mode: SandboxMode = mode
        self.mode: Literal["bwrap", "process"] | None = None
        self._node_path = node
        self._python_path = python
        self._bwrap = bwrap
        self.node_dir = node_dir
        self._user_spec = user
        self._user: _User | None = None
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._extra_ca = extra_ca_certs
        self._extra_ca_pem: bytes | None = None
        self._scratch_root = scratch_root
        self._runtimes: dict[str, _Runtime] = {}
        self._missing: dict[str, str] = {}
        self._bwrap_extra: list[str] = []
        self._node_flags: list[str] = []
        self._running: set[asyncio.subprocess.Process] = set()
        self._start_lock = asyncio.Lock()
        self._started = False
        self._self_test = self_test

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Find the runtimes, probe bubblewrap, log the mode. Idempotent."""
        async with self._start_lock:
            if self._started:
                return
            self._user = self._resolve_user()
            if self._extra_ca is not None:  # read here: the child's user may not be able to
                self._extra_ca_pem = self._extra_ca.read_bytes()
            await self._find_runtimes()
            reason = await self._choose_mode()
            self._started = True
            self._log_start(reason)
            if self._self_test:
                await self._test_runtimes()

    async def close(self) -> None:
        """Kill the runs still going and close the proxy's listeners."""
        for process in list(self._running):
            if process.returncode is None:
                _kill_group(process)
        await self.proxy.close()
        self._started = False

    async def __aenter__(self) -> ProcessSandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _resolve_user(self) -> _User | None:
        spec = self._user_spec
        if spec is None or os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwuid(spec) if isinstance(spec, int) else pwd.getpwnam(spec)
        except KeyError:
            if spec == "nobody":
                return _User(65534, 65534, "nobody")
            raise ValueError(f"sandbox user {spec!r} does not exist") from None
        return _User(entry.pw_uid, entry.pw_gid, entry.pw_name)

    async def _find_runtimes(self) -> None:
        node = self._node_path or shutil.which("node")
        if node is None or not os.path.exists(node):
            self._missing["nodejs"] = "the nodejs runtime is not installed on this server"
        else:
            node = os.path.realpath(node)
            version = await _version([node, "--version"])
            if version is None:
                self._missing["nodejs"] = f"the nodejs runtime ({node}) does not start"
            else:
                self._runtimes["nodejs"] = _Runtime("nodejs", node, version)
                # WebAssembly (fetch's HTTP parser) reserves 10 GB of address space per
                # instance for its trap handler: without it, wasm lives within RLIMIT_AS
                flag = "--disable-wasm-trap-handler"
                if await _version([node, flag, "--version"]) is not None:
                    self._node_flags = [flag]
        python = self._python_path or shutil.which("python3", path=_SYSTEM_PATH) or sys.executable
        python = os.path.realpath(python)
        version = await _version([python, "-I", "-S", "-c", "import sys; print(sys.version[:6])"])
        if version is None:
            self._missing["python"] = f"the python runtime ({python}) does not start"
        else:
            self._runtimes["python"] = _Runtime("python", python, version.strip())

    async def _choose_mode(self) -> str:
        if self.requested_mode == "process":
            self.mode = "process"
            return "process mode was asked for"
        problem: str | None
        if not os.access(self._bwrap, os.X_OK):
            problem = f"bwrap not found at {self._bwrap}"
        else:
            problem = await self._probe_bwrap()
            if problem is None:
                self.mode = "bwrap"
                return ""
        if self.requested_mode == "bwrap":
            raise SandboxError(f"sandbox: bubblewrap mode was asked for, but {problem}")
        self.mode = "process"
        return problem

    async def _probe_bwrap(self) -> str | None:
        """None when bwrap runs a command here as the child's user; else why not."""
        true = shutil.which("true", path=_SYSTEM_PATH) or "/bin/true"
        problem = "bwrap does not run"
        for extra in (["--unshare-user", "--disable-userns"], []):
            with tempfile.TemporaryDirectory(prefix="flowbot-sandbox-probe-") as scratch:
                if self._user is not None:
                    os.chown(scratch, self._user.uid, self._user.gid)
                self._bwrap_extra = extra
                command = [*self._bwrap_command(Path(scratch), None), true]
                try:
                    process = await asyncio.create_subprocess_exec(
                        *command,
                        stdin=asyncio.subprocess.DEVNULL,
                        stdout=asyncio.subprocess.DEVNULL,
                        stderr=asyncio.subprocess.PIPE,
                        env={"PATH": _SYSTEM_PATH},
                        preexec_fn=self._preexec(None),
                        start_new_session=True,
                    )
                    _, err = await asyncio.wait_for(process.communicate(), 10)
                except (OSError, TimeoutError) as error:
                    return f"bwrap does not run: {error}"
                if process.returncode == 0:
                    return None
                problem = f"bwrap fails here: {_tail(err) or f'exit status {process.returncode}'}"
        return problem

    def _log_start(self, reason: str) -> None:
        runtimes = ", ".join(
            f"{r.name} ({r.executable} {r.version})" for r in self._runtimes.values()
        )
        missing = "; ".join(self._missing.values())
        user = f"as user {self._user.name}" if self._user else f"as uid {os.geteuid()}"
        libraries = self.node_dir / "node_modules"
        notes = [f"runtimes: {runtimes or 'none'}", user]
        if missing:
            notes.append(missing)
        if "nodejs" in self._runtimes and not libraries.is_dir():
            notes.append(f"npm libraries missing: run `npm ci` in {self.node_dir}")
        if self.mode == "bwrap":
            log.info(
                "sandbox: bubblewrap (no network but the egress proxy, read-only system); %s",
                "; ".join(notes),
            )
        else:
            log.warning(
                "sandbox: process limits only (%s): scripts are NOT isolated from the network "
                "(a raw socket reaches 127.0.0.1 and private addresses, bypassing the egress "
                "guard) nor from files their user can read; %s",
                reason,
                "; ".join(notes),
            )

    async def _test_runtimes(self) -> None:
        trivial = {
            "nodejs": "module.exports = (context, callback) => callback(null, context.ok);",
            "python": "def handler(context):\n    return context['ok']\n",
        }
        for name in list(self._runtimes):
            started = time.perf_counter()
            try:
                result = await self.run(ScriptRequest(name, trivial[name], {"ok": True}))
                if result.result is not True:
                    raise SandboxError(f"it answered {result.result!r}")
            except SandboxError as error:
                log.warning("sandbox: the %s runtime fails a trivial script here: %s", name, error)
            else:
                elapsed = 1000 * (time.perf_counter() - started)
                log.debug("sandbox: %s self-test passed in %.0f ms", name, elapsed)

    # -- one run ----------------------------------------------------------------------------

    async def run(self, request: ScriptRequest) -> ScriptResult:
        if not self._started:
            await self.start()
        runtime = self._runtime(request.runtime)
        size = len(request.script.encode("utf-8", "surrogatepass"))
        if size > self.limits.code_bytes:
            raise SandboxError(f"script is {size:,} bytes, over {self.limits.code_bytes:,}")
        try:
            payload = json.dumps(
                {"script": request.script, "context": dict(request.context)},
                ensure_ascii=False,
                default=str,
            ).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError) as error:
            raise SandboxError(f"the context is not JSON: {error}") from None
        async with self._semaphore:
            started = time.perf_counter()
            try:
                value = await self._run(runtime, payload)
            finally:
                elapsed = 1000 * (time.perf_counter() - started)
                log.debug("sandbox: %s run took %.1f ms", runtime.name, elapsed)
        return _script_result(value)

    def _runtime(self, name: str) -> _Runtime:
        key = {"node": "nodejs", "javascript": "nodejs", "python3": "python"}.get(name, name)
        if key in self._runtimes:
            return self._runtimes[key]
        if key in self._missing:
            raise SandboxError(self._missing[key])
        raise SandboxError(f"unknown sandbox runtime {name!r}: expected nodejs or python")

    async def _run(self, runtime: _Runtime, payload: bytes) -> Any:
        scratch = Path(tempfile.mkdtemp(prefix="flowbot-sandbox-", dir=self._scratch_root))
        listener: EgressListener | None = None
        process: asyncio.subprocess.Process | None = None
        readers: list[asyncio.Task[bytes]] = []
        result_read, result_write = os.pipe()
        try:
            if self._user is not None:
                os.chown(scratch, self._user.uid, self._user.gid)
            if self._extra_ca_pem is not None and runtime.name == "nodejs":
                (scratch / "extra-ca.pem").write_bytes(self._extra_ca_pem)
            if self.mode == "bwrap":
                listener = await self.proxy.listen_unix(scratch / "egress.sock")
                proxy_url = f"http://127.0.0.1:{_FORWARD_PORT}"
                command = [
                    *self._bwrap_command(scratch, runtime),
                    *self._child_command(runtime, result_write, inside=True),
                ]
                cwd = str(scratch)  # bwrap --chdir sets the sandbox's own
            else:
                listener = await self.proxy.listen_tcp()
                assert listener.url is not None
                proxy_url = listener.url
                command = self._child_command(runtime, result_write, inside=False)
                reaper = self._runtimes.get("python")
                if reaper is not None:  # it drops to the user for the bootstrap only
                    uid, gid = (self._user.uid, self._user.gid) if self._user else (-1, -1)
                    command = [
                        *(reaper.executable, "-I", "-S", "-B", str(REAPER), str(uid), str(gid)),
                        *command,
                    ]
                cwd = str(scratch)
            env = self._environment(runtime, scratch, proxy_url)
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=cwd,
                env=env,
                pass_fds=(result_write,),
                preexec_fn=self._preexec(runtime, switch_user=not self._reaped),
                start_new_session=True,
            )
            self._running.add(process)
            os.close(result_write)
            result_write = -1
            assert process.stdin and process.stdout and process.stderr
            cap = self.limits.output_bytes
            readers = [
                asyncio.create_task(_drain(process.stdout, cap)),
                asyncio.create_task(_drain(process.stderr, cap)),
            ]
            line, timed_out = await self._wait(process, payload, result_read)
            if line is None and not timed_out:  # it is ending: let it say how, then kill
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(process.wait()), 0.5)
            returncode = await self._end(process)
            stdout, stderr = await _finish(readers)
            if stdout or stderr:
                log.debug(
                    "sandbox: script output: stdout %r stderr %r", stdout[:2000], stderr[:2000]
                )
            if timed_out:
                raise SandboxError(f"script timed out after {_seconds(self.limits.time_limit)}")
            return self._outcome(line, returncode, stderr)
        finally:
            if process is not None:
                self._running.discard(process)
                if process.returncode is None:  # cancelled, or failed on the way
                    _kill_group(process)
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(process.wait(), 2)
            for task in readers:
                task.cancel()
            if result_write >= 0:
                os.close(result_write)
            with contextlib.suppress(OSError):
                os.close(result_read)
            if listener is not None:
                await self.proxy.release(listener)
            shutil.rmtree(scratch, ignore_errors=True)

    async def _wait(
        self, process: asyncio.subprocess.Process, payload: bytes, result_fd: int
    ) -> tuple[bytes | None, bool]:
        """(the result line, or None when there is none; whether the child timed out)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.time_limit
        reader = asyncio.StreamReader(limit=self.limits.result_bytes + 4096)
        pipe = os.fdopen(result_fd, "rb", 0, closefd=False)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), pipe
        )
        try:
            feed = asyncio.create_task(_feed(process, payload))
            line_task = asyncio.create_task(_read_line(reader))
            exit_task = asyncio.create_task(process.wait())
            try:
                done, _ = await asyncio.wait(
                    {line_task, exit_task},
                    timeout=max(0.0, deadline - loop.time()),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if line_task not in done and exit_task in done:
                    # exited: what it wrote is in the pipe (a grandchild may hold it open)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(line_task), 0.5)
                if line_task.done():
                    return line_task.result(), False
                return None, not exit_task.done()
            finally:
                for task in (feed, line_task, exit_task):
                    task.cancel()
        finally:
            transport.close()

    @property
    def _reaped(self) -> bool:
        """Whether runs go through reaper.py (process mode, given a python to run it)."""
        return self.mode == "process" and "python" in self._runtimes

    async def _end(self, process: asyncio.subprocess.Process) -> int:
        """Stop the run's processes, all of them; the child's exit status.

        bwrap mode: killing bwrap's process group ends its PID namespace. Process mode: the
        reaper (reaper.py) kills its group and every orphan reparented to it, and reaps them.
        """
        if self._reaped:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(process.wait()), 2)
            if process.returncode is None or process.returncode < 0:
                _kill_group(process)  # the reaper hangs, or the script killed it
        elif process.returncode is None or self.mode == "process":
            _kill_group(process)  # (a process-mode leader that exited may leave its group)
        return await process.wait()

    def _outcome(self, line: bytes | None, returncode: int, stderr: bytes) -> Any:
        limit = self.limits.result_bytes
        if line is None:
            raise SandboxError(self._crash(returncode, stderr))
        if line == b"oversize":
            raise SandboxError(f"result over {limit:,} bytes")
        try:
            envelope = json.loads(line)
        except ValueError:
            raise SandboxError("the script's result could not be read") from None
        if not isinstance(envelope, dict):
            raise SandboxError("the script's result could not be read")
        if "oversize" in envelope:
            raise SandboxError(f"result over {limit:,} bytes")
        if "error" in envelope:
            error = envelope["error"] if isinstance(envelope["error"], dict) else {}
            name = str(error.get("name") or "Error")
            message = str(error.get("message") or "")
            raise SandboxError(f"{name}: {message}" if message else name)
        value = envelope.get("result")
        size = len(
            json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(
                "utf-8", "surrogatepass"
            )
        )
        if size > limit:
            raise SandboxError(f"result over {limit:,} bytes")
        return value

    def _crash(self, returncode: int, stderr: bytes) -> str:
        text = stderr.decode("utf-8", "replace")
        number = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
        if "heap out of memory" in text or "Fatal process OOM" in text or "MemoryError" in text:
            return "script ran out of memory"
        if number == signal.SIGXCPU:
            return f"script used more than {self.limits.cpu} s of CPU time"
        if number == signal.SIGXFSZ:
            return f"script wrote a file over {self.limits.file_bytes:,} bytes"
        detail = _tail(stderr)
        if number:
            try:
                what = f"killed by {signal.Signals(number).name}"
            except ValueError:
                what = f"killed by signal {number}"
        else:
            what = f"exited with status {returncode}"
        return f"script ended without a result ({what})" + (f": {detail}" if detail else "")

    # -- the child ----------------------------------------------------------------------------

    def _child_command(self, runtime: _Runtime, result_fd: int, *, inside: bool) -> list[str]:
        limit = str(self.limits.result_bytes)
        egress = [f"{_BOX_RUN}/egress.sock", str(_FORWARD_PORT)] if inside else []
        if runtime.name == "nodejs":
            bootstrap = _BOX_NODE_BOOTSTRAP if inside else str(NODE_BOOTSTRAP)
            return [
                runtime.executable,
                f"--max-old-space-size={self.limits.node_heap_mb}",
                *self._node_flags,
                bootstrap,
                str(result_fd),
                limit,
                *egress,
            ]
        bootstrap = _BOX_PYTHON_BOOTSTRAP if inside else str(PYTHON_BOOTSTRAP)
        return [runtime.executable, "-I", "-S", "-B", bootstrap, str(result_fd), limit, *egress]

    def _environment(self, runtime: _Runtime, scratch: Path, proxy_url: str) -> dict[str, str]:
        inside = self.mode == "bwrap"
        home = _BOX_WORK if inside else str(scratch)
        env = {
            "PATH": _SYSTEM_PATH,
            "HOME": home,
            "TMPDIR": home,
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "NO_PROXY": "",
            "no_proxy": "",
        }
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            env[name] = env[name.lower()] = proxy_url
        if runtime.name == "nodejs":
            env["NODE_PATH"] = _BOX_NODE_MODULES if inside else str(self.node_dir / "node_modules")
            if self._extra_ca_pem is not None:
                where = _BOX_RUN if inside else str(scratch)
                env["NODE_EXTRA_CA_CERTS"] = f"{where}/extra-ca.pem"
        return env

    def _preexec(self, runtime: _Runtime | None, *, switch_user: bool = True) -> Callable[[], None]:
        limits = self.limits
        node = runtime is not None and runtime.name == "nodejs"
        memory = limits.node_memory if node else limits.python_memory
        user = self._user if switch_user else None
        tasks = limits.processes
        if self._user is None and os.geteuid() != 0:
            tasks += _user_tasks(os.geteuid())  # the limit counts the server's own threads too
        settings: Sequence[tuple[int, int]] = [
            (resource.RLIMIT_CORE, 0),
            (resource.RLIMIT_CPU, limits.cpu),
            (resource.RLIMIT_FSIZE, limits.file_bytes),
            (resource.RLIMIT_NOFILE, limits.open_files),
            (resource.RLIMIT_NPROC, tasks),
        ]
        if runtime is not None:
            settings = [*settings, (resource.RLIMIT_AS, memory)]

        def apply() -> None:  # in the child, between fork and exec: no locks, no logging
            for which, value in settings:
                hard = value + 1 if which == resource.RLIMIT_CPU else value
                resource.setrlimit(which, (value, hard))
            if user is not None:
                os.setgroups([])
                os.setgid(user.gid)
                os.setuid(user.uid)

        return apply

    def _bwrap_command(self, scratch: Path, runtime: _Runtime | None) -> list[str]:
        args = [
            self._bwrap,
            "--unshare-all",
            *self._bwrap_extra,
            "--die-with-parent",
            "--new-session",
            "--hostname",
            "sandbox",
            "--ro-bind",
            "/usr",
            "/usr",
            *_lib_binds(),
            "--ro-bind-try",
            "/etc/ld.so.cache",
            "/etc/ld.so.cache",
            "--ro-bind-try",
            "/etc/ssl",
            "/etc/ssl",
            "--ro-bind-try",
            "/etc/ca-certificates",
            "/etc/ca-certificates",
            "--ro-bind-try",
            "/etc/pki",
            "/etc/pki",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(self.limits.scratch_bytes),
            "--tmpfs",
            _BOX_WORK,
            "--ro-bind",
            str(scratch),
            _BOX_RUN,
        ]
        if self._user is None and os.geteuid() == 0:
            args += ["--cap-drop", "ALL"]
        if runtime is not None:
            prefix = _prefix_outside_usr(runtime.executable)
            if prefix is not None:
                args += ["--ro-bind", prefix, prefix]
            if runtime.name == "nodejs":
                args += ["--ro-bind", str(NODE_BOOTSTRAP), _BOX_NODE_BOOTSTRAP]
                args += ["--ro-bind-try", str(self.node_dir / "node_modules"), _BOX_NODE_MODULES]
            else:
                args += ["--ro-bind", str(PYTHON_BOOTSTRAP), _BOX_PYTHON_BOOTSTRAP]
        return [*args, "--chdir", _BOX_WORK, "--"]


def _script_result(value: Any) -> ScriptResult:
    params: Mapping[str, Any] | None = None
    if isinstance(value, dict) and value.get("params") is not None:
        if not isinstance(value["params"], dict):
            kind = type(value["params"]).__name__
            raise SandboxError(f"the result's params must be an object, not {kind}")
        params = value["params"]
    return ScriptResult(result=value, params=params)


def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def _version(command: list[str]) -> str | None:
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env={"PATH": _SYSTEM_PATH},
        )
        out, _ = await asyncio.wait_for(process.communicate(), 10)
    except (OSError, TimeoutError):
        return None
    if process.returncode != 0:
        return None
    return out.decode("utf-8", "replace").strip()


async def _feed(process: asyncio.subprocess.Process, payload: bytes) -> None:
    assert process.stdin is not None
    with contextlib.suppress(ConnectionError, OSError):
        process.stdin.write(payload)
        await process.stdin.drain()
        process.stdin.close()


async def _read_line(reader: asyncio.StreamReader) -> bytes | None:
    try:
        return (await reader.readuntil(b"\n")).rstrip(b"\n")
    except asyncio.LimitOverrunError:
        return b"oversize"
    except asyncio.IncompleteReadError:
        return None


async def _drain(stream: asyncio.StreamReader, cap: int) -> bytes:
    kept = bytearray()
    while chunk := await stream.read(65536):
        if len(kept) < cap:
            kept += chunk[: cap - len(kept)]
    return bytes(kept)


async def _finish(readers: list[asyncio.Task[bytes]]) -> tuple[bytes, bytes]:
    """What the readers kept; a grandchild holding a pipe open does not make us wait."""
    await asyncio.wait(readers, timeout=0.5)
    kept = []
    for task in readers:
        if task.done() and not task.cancelled() and task.exception() is None:
            kept.append(task.result())
        else:
            task.cancel()
            kept.append(b"")
    return kept[0], kept[1]
