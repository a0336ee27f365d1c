"""ProcessSandbox: CLOSER's handler contract, the limits, and what each mode isolates.

Most scenarios run in both modes ("bwrap": bubblewrap, "process": process
limits only); bwrap mode is skipped only where bubblewrap is not installed.
Where the two modes differ (files outside the scratch directory, raw
sockets, detached children) each has its own test saying what holds.
The time limit is 1 s here (5 s in production) to keep the suite fast.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from engine.support import Chat, program_of
from flowbot.engine.ports import Ports, ScriptRequest, ScriptResult
from flowbot.integrations import AddressGuard
from flowbot.integrations.sandbox import (
    ProcessSandbox,
    SandboxError,
    SandboxLimits,
    runner,
)
from integrations.test_egress import (
    STARSHIPS,
    SWAPI_CERT,
    Origin,
    origin_server,
    swapi_proxy,
    tls_origin_server,
)

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
STARSHIPS_EXPORT = SHARED / "closer-exports" / "starships-sandbox.flow.json"
BWRAP = "/usr/bin/bwrap"
HAS_NODE = shutil.which("node") is not None
LIMITS = SandboxLimits(time_limit=1.0)
AS_ROOT = os.geteuid() == 0

needs_node = pytest.mark.skipif(not HAS_NODE, reason="node is not installed")
needs_libraries = pytest.mark.skipif(
    not (runner.NODE_DIR / "node_modules" / "request").is_dir(),
    reason="the sandbox's npm libraries are not installed (make sandbox-deps)",
)

MakeSandbox = Callable[..., Awaitable[ProcessSandbox]]


@pytest.fixture(params=["bwrap", "process"])
def mode(request: pytest.FixtureRequest) -> str:
    if request.param == "bwrap" and not os.path.exists(BWRAP):
        pytest.skip("bubblewrap is not installed")
    mode: str = request.param
    return mode


@pytest_asyncio.fixture
async def make_sandbox(mode: str) -> AsyncIterator[MakeSandbox]:
    boxes: list[ProcessSandbox] = []

    async def make(**options: Any) -> ProcessSandbox:
        options.setdefault("limits", LIMITS)
        options.setdefault("self_test", False)  # test_the_self_test_at_start does it
        box = ProcessSandbox(mode=mode, **options)  # type: ignore[arg-type]
        await box.start()
        assert box.mode == mode
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        await box.close()


@pytest_asyncio.fixture
async def sandbox(make_sandbox: MakeSandbox) -> ProcessSandbox:
    return await make_sandbox()


async def run(
    box: ProcessSandbox, runtime: str, script: str, context: dict[str, Any] | None = None
) -> ScriptResult:
    return await box.run(ScriptRequest(runtime, script, context or CONTEXT))


CONTEXT: dict[str, Any] = {
    "botId": "starships",
    "conversationId": "c-1",
    "endUserId": "u-1",
    "platform": "test",
    "userKey": "user-key",
    "message": {"text": "hello"},
    "params": {"price": "100", "taxRate": "1.1"},
}


def living(marker: str) -> list[int]:
    """The processes whose command line holds `marker` (zombies have none)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def gone(marker: str, within: float = 2.0) -> bool:
    deadline = time.monotonic() + within
    while living(marker):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


# --- CLOSER's handler styles -------------------------------------------------------------


@needs_node
async def test_node_callback_handler_as_in_closers_docs(sandbox: ProcessSandbox) -> None:
    script = """
module.exports = function handler(context, callback) {
  const price = Number(context.params.price);
  const taxRate = Number(context.params.taxRate);
  callback(null, {
    custom: { price: price * taxRate, text: context.message.text },
    params: { price: price * taxRate }
  });
};
"""
    result = await run(sandbox, "nodejs", script)
    price = 100 * 1.1
    assert result.result == {
        "custom": {"price": price, "text": "hello"},
        "params": {"price": price},
    }
    assert result.params == {"price": price}


@needs_node
@pytest.mark.parametrize(
    "script",
    [
        "module.exports = function handler(context) {\n"
        "  return new Promise((resolve) => resolve({ params: { result: 'Hello CLOSER' } }));\n};",
        "module.exports = async function handler(context) {\n"
        "  await new Promise((r) => setTimeout(r, 10));\n"
        "  return { params: { result: 'Hello CLOSER' } };\n};",
        "exports.handler = async (context) => ({ params: { result: 'Hello CLOSER' } });",
        "module.exports = (context) => ({ params: { result: 'Hello CLOSER' } });",
        "module.exports = async (context, callback) => {\n"
        "  setTimeout(() => callback(null, { params: { result: 'Hello CLOSER' } }), 10);\n};",
    ],
    ids=["promise", "async", "exports.handler", "sync-return", "async-with-callback"],
)
async def test_node_promise_and_async_handlers(sandbox: ProcessSandbox, script: str) -> None:
    result = await run(sandbox, "nodejs", script)
    assert result.result == {"params": {"result": "Hello CLOSER"}}
    assert result.params == {"result": "Hello CLOSER"}


@needs_node
async def test_node_result_without_params(sandbox: ProcessSandbox) -> None:
    result = await run(sandbox, "nodejs", "module.exports = (c, cb) => cb(null, { data: [1, 2] })")
    assert result == ScriptResult(result={"data": [1, 2]}, params=None)
    result = await run(sandbox, "nodejs", "module.exports = (c, cb) => cb()")
    assert result == ScriptResult(result=None, params=None)


@pytest.mark.parametrize(
    "script",
    [
        "def handler(context):\n"
        "    return {'params': {'greeting': 'hi ' + context['message']['text']}}\n",
        "import asyncio\n\n"
        "async def handler(context):\n"
        "    await asyncio.sleep(0.01)\n"
        "    return {'params': {'greeting': 'hi ' + context['message']['text']}}\n",
    ],
    ids=["sync", "async"],
)
async def test_python_handlers(sandbox: ProcessSandbox, script: str) -> None:
    result = await run(sandbox, "python", script)
    assert result.result == {"params": {"greeting": "hi hello"}}
    assert result.params == {"greeting": "hi hello"}


@needs_node
@needs_libraries
async def test_node_sees_closers_libraries(sandbox: ProcessSandbox) -> None:
    script = """
const _ = require('lodash');
const moment = require('moment-timezone');
const axios = require('axios');
const request = require('request');
module.exports = async () => ({
  chunks: _.chunk([1, 2, 3], 2),
  seoul: moment.tz('2020-01-01T00:00:00Z', 'Asia/Seoul').format('YYYY-MM-DD HH:mm Z'),
  versions: [axios.VERSION, typeof request, require('uuid').v4().length],
  tz: new Date(0).getTimezoneOffset()
});
"""
    result = await run(sandbox, "nodejs", script)
    assert result.result == {
        "chunks": [[1, 2], [3]],
        "seoul": "2020-01-01 09:00 +09:00",
        "versions": ["0.30.3", "function", 36],
        "tz": 0,
    }


# --- failures become readable errors -------------------------------------------------------


@needs_node
@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            "module.exports = (c, cb) => cb(new Error('Invalid status code:' + 404));",
            "Error: Invalid status code:404",
        ),
        ("module.exports = () => { throw new TypeError('no ships'); };", "TypeError: no ships"),
        (
            "module.exports = () => Promise.reject(new RangeError('too far'));",
            "RangeError: too far",
        ),
        (
            "module.exports = async () => { null.ships; };",
            "TypeError: Cannot read properties of null",
        ),
        (
            "module.exports = (c, cb) => setTimeout(() => { throw new Error('later'); }, 5);",
            "Error: later",
        ),
        ("module.exports = (c, cb) => cb('plain text');", "Error: plain text"),
        ("module.exports = 42;", "TypeError: the script must export a handler"),
        ("this is not javascript", "SyntaxError: Unexpected identifier"),
        ("module.exports = (c, cb) => {};", "the handler finished without calling back"),
        ("module.exports = async () => ({ big: 10n });", "TypeError: the result is not JSON"),
        ("module.exports = async () => { const a = {}; a.a = a; return a; };", "circular"),
        ("module.exports = async () => ({ params: 'not an object' });", "params must be an object"),
    ],
)
async def test_node_failures(sandbox: ProcessSandbox, script: str, message: str) -> None:
    with pytest.raises(SandboxError) as failure:
        await run(sandbox, "nodejs", script)
    assert message in str(failure.value)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("def handler(context):\n    raise ValueError('no ships')\n", "ValueError: no ships"),
        ("async def handler(context):\n    raise KeyError('x')\n", "KeyError: 'x'"),
        ("def handler(context):\n    return {1, 2}\n", "TypeError: the result is not JSON"),
        ("def handler(context):\n    return float('nan')\n", "the result is not JSON"),
        ("handler = 42\n", "TypeError: the script must define a handler"),
        ("def handler(context:\n", "SyntaxError"),
        ("import sys\ndef handler(context):\n    sys.exit(3)\n", "SystemExit: 3"),
        ("import requests\n", "ModuleNotFoundError"),  # no site-packages: stdlib only
    ],
)
async def test_python_failures(sandbox: ProcessSandbox, script: str, message: str) -> None:
    with pytest.raises(SandboxError) as failure:
        await run(sandbox, "python", script)
    assert message in str(failure.value)


async def test_unknown_runtime(sandbox: ProcessSandbox) -> None:
    with pytest.raises(SandboxError, match="unknown sandbox runtime 'ruby'"):
        await run(sandbox, "ruby", "puts 1")


async def test_nodejs_not_installed(make_sandbox: MakeSandbox) -> None:
    box = await make_sandbox(node="/nonexistent/node")
    with pytest.raises(SandboxError, match=r"^the nodejs runtime is not installed on this server$"):
        await run(box, "nodejs", "module.exports = async () => 1")
    assert (await run(box, "python", "def handler(c):\n    return 1\n")).result == 1


# --- time ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("runtime", "script"),
    [
        pytest.param("nodejs", "module.exports = () => { while (true) {} };", marks=needs_node),
        pytest.param(
            "nodejs",
            "module.exports = (c, cb) => { setInterval(() => {}, 1000); };",
            marks=needs_node,
        ),
        pytest.param(
            "nodejs",
            "module.exports = () => new Promise(() => setTimeout(() => {}, 1e6));",
            marks=needs_node,
        ),
        ("python", "def handler(context):\n    while True:\n        pass\n"),
        ("python", "import time\ndef handler(context):\n    time.sleep(60)\n"),
    ],
    ids=[
        "node-loop",
        "node-never-calls-back",
        "node-never-resolves",
        "python-loop",
        "python-sleep",
    ],
)
async def test_time_limit(sandbox: ProcessSandbox, runtime: str, script: str) -> None:
    started = time.monotonic()
    with pytest.raises(SandboxError, match=r"^script timed out after 1 s$"):
        await run(sandbox, runtime, script)
    assert time.monotonic() - started < LIMITS.time_limit + 0.5


@needs_node
async def test_the_event_loop_stays_responsive_while_a_script_loops(
    sandbox: ProcessSandbox,
) -> None:
    hostile = asyncio.create_task(
        run(sandbox, "nodejs", "module.exports = () => { while (true) {} };")
    )
    await asyncio.sleep(0.2)  # the child is spinning by now
    lags = []
    for _ in range(5):
        started = time.monotonic()
        await asyncio.sleep(0.1)
        lags.append(time.monotonic() - started - 0.1)
    assert max(lags) < 0.05, lags
    friendly = await run(sandbox, "python", "def handler(c):\n    return 'meanwhile'\n")
    assert friendly.result == "meanwhile"  # another run is not held up either
    with pytest.raises(SandboxError, match="timed out"):
        await hostile


async def test_concurrent_runs_each_get_their_own_process(sandbox: ProcessSandbox) -> None:
    node = "module.exports = async (c) => [c.userKey, process.pid, require('fs').readdirSync('.')];"
    python = "import os\ndef handler(c):\n    open(c['userKey'], 'w')\n    return [c['userKey']]\n"
    runs = []
    for index in range(6):
        runtime, script = ("nodejs", node) if HAS_NODE and index % 2 else ("python", python)
        runs.append(run(sandbox, runtime, script, {**CONTEXT, "userKey": f"user-{index}"}))
    results = [result.result for result in await asyncio.gather(*runs)]
    assert [result[0] for result in results] == [f"user-{index}" for index in range(6)]
    for result in results:
        if len(result) == 3:  # node: a scratch directory of its own (no python run's file)
            assert [name for name in result[2] if name.startswith("user-")] == []


# --- sizes ---------------------------------------------------------------------------------


async def test_code_over_50000_bytes_is_refused_before_running(
    sandbox: ProcessSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("a process was started")

    monkeypatch.setattr(asyncio, "create_subprocess_exec", no_process)
    script = "module.exports = async () => 1;" + " " * 50_000
    with pytest.raises(SandboxError, match=r"^script is 50,031 bytes, over 50,000$"):
        await run(sandbox, "nodejs", script)
    with pytest.raises(SandboxError, match="over 50,000"):
        await run(sandbox, "python", "# " + "한" * 17_000)  # bytes, not characters


@pytest.mark.parametrize(
    ("runtime", "script"),
    [
        pytest.param("nodejs", "module.exports = async () => 'x'.repeat(60000);", marks=needs_node),
        pytest.param(
            "nodejs",
            "module.exports = async () => ({ custom: '한'.repeat(17000) });",
            marks=needs_node,
        ),
        ("python", "def handler(context):\n    return {'custom': 'x' * 60000}\n"),
        ("python", "def handler(context):\n    return 'x' * 10_000_000\n"),
    ],
)
async def test_result_over_50000_bytes_is_refused(
    sandbox: ProcessSandbox, runtime: str, script: str
) -> None:
    with pytest.raises(SandboxError, match=r"^result over 50,000 bytes$"):
        await run(sandbox, runtime, script)


@needs_node
async def test_a_result_of_exactly_50000_bytes_passes(sandbox: ProcessSandbox) -> None:
    result = await run(sandbox, "nodejs", "module.exports = async () => 'x'.repeat(49998);")
    assert len(json.dumps(result.result)) == 50_000


@pytest.mark.parametrize(
    ("runtime", "script"),
    [
        pytest.param(
            "nodejs",
            "module.exports = (c, cb) => {\n"
            "  process.stdout.write('x'.repeat(10 * 1024 * 1024));\n"
            "  console.error('e'.repeat(1024 * 1024));\n"
            "  cb(null, { printed: true });\n};",
            marks=needs_node,
        ),
        (
            "python",
            "import sys\n"
            "def handler(context):\n"
            "    print('x' * 10 * 1024 * 1024)\n"
            "    sys.stderr.write('e' * 1024 * 1024)\n"
            "    return {'printed': True}\n",
        ),
    ],
)
async def test_printing_10_mb_costs_a_pipe_not_memory(
    sandbox: ProcessSandbox, runtime: str, script: str
) -> None:
    result = await run(sandbox, runtime, script)
    assert result.result == {"printed": True}


# --- memory, files, processes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("runtime", "script", "message"),
    [
        pytest.param(
            "nodejs",
            "module.exports = () => {\n"
            "  const a = [];\n"
            "  while (true) a.push(new Array(1e6).fill(1.5));\n};",
            "script ran out of memory",
            marks=needs_node,
        ),
        pytest.param(
            "nodejs",
            "module.exports = () => { const a = []; while (true) a.push(Buffer.alloc(1e8, 1)); };",
            "RangeError: Array buffer allocation failed",
            marks=needs_node,
        ),
        (
            "python",
            "def handler(context):\n"
            "    a = []\n"
            "    while True:\n"
            "        a.append(bytearray(10**7))\n",
            "MemoryError: out of memory",
        ),
    ],
    ids=["node-heap", "node-buffers", "python"],
)
async def test_unbounded_allocation_is_an_error(
    make_sandbox: MakeSandbox, runtime: str, script: str, message: str
) -> None:
    box = await make_sandbox(limits=SandboxLimits(time_limit=4.0))
    started = time.monotonic()
    with pytest.raises(SandboxError) as failure:
        await run(box, runtime, script)
    assert str(failure.value).startswith(message)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("runtime", "script", "message"),
    [
        pytest.param(
            "nodejs",
            "const fs = require('fs');\n"
            "module.exports = async () => {\n"
            "  fs.writeFileSync('big', Buffer.alloc(2 * 1024 * 1024));\n};",
            "Error: EFBIG: file too large",
            marks=needs_node,
        ),
        (
            "python",
            "def handler(context):\n    open('big', 'wb').write(bytes(2 * 1024 * 1024))\n",
            "OSError: [Errno 27] File too large",
        ),
    ],
)
async def test_files_over_1_mib_cannot_be_written(
    sandbox: ProcessSandbox, runtime: str, script: str, message: str
) -> None:
    with pytest.raises(SandboxError) as failure:
        await run(sandbox, runtime, script)
    assert str(failure.value).startswith(message)


@pytest.mark.parametrize("runtime", [pytest.param("nodejs", marks=needs_node), "python"])
async def test_the_scratch_directory_is_empty_writable_and_removed(
    make_sandbox: MakeSandbox, mode: str, runtime: str
) -> None:
    root = Path(tempfile.mkdtemp(prefix="flowbot-scratch-root-"))
    root.chmod(0o755)  # the child's user (nobody, when we are root) must traverse it
    box = await make_sandbox(scratch_root=root)
    if runtime == "nodejs":
        script = """
const fs = require('fs');
module.exports = async () => {
  const before = fs.readdirSync('.').filter((name) => name !== 'egress.sock');
  fs.writeFileSync('note.txt', 'hi');
  return { cwd: process.cwd(), home: process.env.HOME, before, after: fs.readdirSync('.') };
};
"""
    else:
        script = """
import os
def handler(context):
    before = [name for name in os.listdir('.') if name != 'egress.sock']
    open('note.txt', 'w').write('hi')
    return {'cwd': os.getcwd(), 'home': os.environ['HOME'], 'before': before,
            'after': sorted(os.listdir('.'))}
"""
    result = (await run(box, runtime, script)).result
    assert result["before"] == []
    assert "note.txt" in result["after"]
    assert result["cwd"] == result["home"]
    if mode == "bwrap":
        assert result["cwd"] == "/tmp"  # a tmpfs of the sandbox's own
    else:
        assert result["cwd"].startswith(str(root))
    assert list(root.iterdir()) == []  # removed after the run
    root.rmdir()


@needs_node
@pytest.mark.skipif(not os.path.exists(BWRAP), reason="bubblewrap is not installed")
async def test_bwrap_the_scratch_tmpfs_holds_16_mib() -> None:
    """bwrap only: in process mode the scratch directory is on the host's disk, each file
    1 MiB at most, but not their number (documented in runner)."""
    box = ProcessSandbox(mode="bwrap", limits=LIMITS, self_test=False)
    await box.start()
    script = """
const fs = require('fs');
module.exports = async () => {
  let files = 0;
  try {
    for (;;) { fs.writeFileSync('f' + files, Buffer.alloc(1023 * 1024)); files++; }
  } catch (error) {
    return [files, error.code];
  }
};
"""
    try:
        assert (await run(box, "nodejs", script)).result == [16, "ENOSPC"]
    finally:
        await box.close()


@needs_node
async def test_spawning_many_processes_is_contained(sandbox: ProcessSandbox, mode: str) -> None:
    marker = f"{os.getpid() % 1000}.{time.monotonic_ns() % 10**6}"
    script = f"""
const {{ spawn }} = require('child_process');
module.exports = (context, callback) => {{
  let started = 0, refused = 0;
  for (let i = 0; i < 400; i++) {{
    try {{
      const child = spawn('sleep', ['{marker}']);
      child.on('error', () => {{ refused++; }});
      started++;
    }} catch (error) {{
      refused++;
    }}
  }}
  setTimeout(() => callback(null, {{ started, refused }}), 300);
}};
"""
    result = (await run(sandbox, "nodejs", script)).result
    if AS_ROOT or mode == "bwrap":
        assert result["refused"] > 0  # RLIMIT_NPROC: 128 tasks for the sandbox's user
        assert result["started"] - result["refused"] <= LIMITS.processes
    assert await gone(marker)  # the whole process group went with the run


async def test_a_python_fork_bomb_is_contained(sandbox: ProcessSandbox) -> None:
    script = """
import os
def handler(context):
    while True:
        os.fork()
"""
    started = time.monotonic()
    with pytest.raises(SandboxError):
        await run(sandbox, "python", script)
    assert time.monotonic() - started < LIMITS.time_limit + 1
    bootstrap = str(runner.PYTHON_BOOTSTRAP) if sandbox.mode == "process" else "/opt/flowbot"
    assert await gone(bootstrap)


@needs_node
async def test_a_detached_child_dies_with_the_run(sandbox: ProcessSandbox) -> None:
    """`setsid` leaves the process group; bwrap: the PID namespace ends with the run;
    process mode: the child is reparented to the run's reaper, which kills it."""
    marker = f"{os.getpid() % 1000}.{time.monotonic_ns() % 10**6 + 1}"
    script = f"""
const {{ spawn }} = require('child_process');
module.exports = async () => {{
  spawn('sh', ['-c', 'sleep {marker} & sleep {marker}'], {{ detached: true, stdio: 'ignore' }})
    .unref();
  await new Promise((resolve) => setTimeout(resolve, 200));
  return 'spawned';
}};
"""
    assert (await run(sandbox, "nodejs", script)).result == "spawned"
    assert await gone(marker)


async def test_a_python_child_that_calls_setsid_dies_with_a_timed_out_run(
    sandbox: ProcessSandbox,
) -> None:
    marker = f"{os.getpid() % 1000}.{time.monotonic_ns() % 10**6 + 2}"
    script = f"""
import os, time
def handler(context):
    if os.fork() == 0:
        os.setsid()
        os.execv('/bin/sleep', ['sleep', '{marker}'])
    while True:
        pass
"""
    with pytest.raises(SandboxError, match="timed out"):
        await run(sandbox, "python", script)
    assert await gone(marker)


@needs_node
async def test_the_script_cannot_kill_what_cleans_up_after_it(
    sandbox: ProcessSandbox, mode: str
) -> None:
    if not AS_ROOT:
        pytest.skip("flowbot is not root: the reaper and the script share a user")
    script = """
module.exports = async () => {
  try { process.kill(process.ppid, 'SIGKILL'); return 'killed'; } catch (e) { return e.code; }
};
"""
    killed = (await run(sandbox, "nodejs", script)).result
    if mode == "bwrap":  # its parent is the PID 1 of its own namespace: it ends only itself
        assert killed == "killed"
    else:  # its parent is the reaper, which stays root
        assert killed == "EPERM"
    probe = "import os\ndef handler(c):\n    return [os.getuid(), os.getgid(), os.getgroups()]\n"
    uid = (await run(sandbox, "python", probe)).result
    assert uid == [65534, 65534, []]


# --- the environment and the files ---------------------------------------------------------


@pytest.mark.parametrize(
    ("runtime", "script"),
    [
        pytest.param("nodejs", "module.exports = async () => process.env;", marks=needs_node),
        ("python", "import os\ndef handler(context):\n    return dict(os.environ)\n"),
    ],
)
async def test_none_of_the_servers_variables_reach_a_script(
    sandbox: ProcessSandbox, monkeypatch: pytest.MonkeyPatch, runtime: str, script: str
) -> None:
    monkeypatch.setenv("FLOWBOT_SECRET_MARKER", "s3cr3t-database-password")
    env = (await run(sandbox, runtime, script)).result
    assert "FLOWBOT_SECRET_MARKER" not in env
    assert "s3cr3t-database-password" not in json.dumps(env)
    allowed = {"PATH", "HOME", "TMPDIR", "LANG", "TZ", "NODE_PATH", "PWD", "NO_PROXY", "no_proxy"}
    allowed |= {f"{name}_PROXY" for name in ("HTTP", "HTTPS", "ALL")}
    allowed |= {f"{name}_proxy" for name in ("http", "https", "all")}
    assert set(env) <= allowed
    assert env["TZ"] == "UTC"
    assert env["HTTPS_PROXY"].startswith("http://127.0.0.1:")
    assert env["NO_PROXY"] == ""


@needs_node
async def test_files_outside_the_scratch_directory(sandbox: ProcessSandbox, mode: str) -> None:
    """bwrap: none are there. process mode: the files the child's user may read (as nobody:
    world-readable ones; a 0600 file of the server's is not readable)."""
    private_dir = Path(tempfile.mkdtemp(prefix="flowbot-secret-"))
    public_dir = Path(tempfile.mkdtemp(prefix="flowbot-public-"))
    try:
        private = private_dir / "secret.txt"
        private.write_text("the server's secret")
        private.chmod(0o600)
        public_dir.chmod(0o755)
        public = public_dir / "notes.txt"
        public.write_text("world-readable")
        public.chmod(0o644)
        script = f"""
const fs = require('fs');
const read = (path) => {{
  try {{ return fs.readFileSync(path, 'utf8'); }} catch (error) {{ return error.code; }}
}};
module.exports = async () => ({{
  private: read({json.dumps(str(private))}),
  public: read({json.dumps(str(public))}),
  repo: fs.existsSync({json.dumps(str(REPO / "pyproject.toml"))}),
  passwd: fs.existsSync('/etc/passwd'),
  root: fs.readdirSync('/').sort(),
}});
"""
        seen = (await run(sandbox, "nodejs", script)).result
    finally:
        shutil.rmtree(private_dir)
        shutil.rmtree(public_dir)
    if mode == "bwrap":
        assert seen["private"] == "ENOENT"
        assert seen["public"] == "ENOENT"
        assert seen["repo"] is False and seen["passwd"] is False
        assert (
            "home" not in seen["root"] and "root" not in seen["root"] and "work" not in seen["root"]
        )
    else:
        assert seen["public"] == "world-readable"  # what process mode does NOT hold
        if AS_ROOT:  # the child runs as nobody
            assert seen["private"] == "EACCES"
        else:  # the child runs as the server's user: its files are the script's
            assert seen["private"] == "the server's secret"


@pytest.mark.parametrize("runtime", [pytest.param("nodejs", marks=needs_node), "python"])
async def test_a_raw_socket_to_a_local_service(
    sandbox: ProcessSandbox, mode: str, runtime: str
) -> None:
    """bwrap: refused (its own network namespace). process mode: it connects (documented)."""
    connections = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer.get_extra_info("peername"))
        writer.write(b"internal service\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    if runtime == "nodejs":
        script = f"""
const net = require('net');
module.exports = (context, callback) => {{
  const socket = net.connect({port}, '127.0.0.1', () => {{}});
  socket.on('data', (data) => callback(null, data.toString()));
  socket.on('error', callback);
}};
"""
    else:
        script = f"""
import socket
def handler(context):
    with socket.create_connection(('127.0.0.1', {port}), timeout=1) as sock:
        return sock.recv(100).decode()
"""
    try:
        if mode == "bwrap":
            with pytest.raises(SandboxError, match=r"(ECONNREFUSED|Connection refused)"):
                await run(sandbox, runtime, script)
            assert connections == []
        else:
            assert (await run(sandbox, runtime, script)).result == "internal service\n"
            assert len(connections) == 1
    finally:
        server.close()
        await server.wait_closed()


# --- HTTP through the egress proxy ---------------------------------------------------------


@pytest_asyncio.fixture
async def origin() -> AsyncIterator[Origin]:
    async with origin_server() as site:
        yield site


def http_scripts(url: str) -> dict[str, tuple[str, str]]:
    return {
        "request": (
            "nodejs",
            f"""
const request = require('request');
module.exports = (context, callback) => {{
  request({{ url: '{url}', json: true }}, (error, res) => {{
    if (error) return callback(error);
    callback(null, {{ status: res.statusCode, body: res.body }});
  }});
}};
""",
        ),
        "axios": (
            "nodejs",
            f"""
const axios = require('axios');
module.exports = async () => {{
  const res = await axios.get('{url}', {{ validateStatus: () => true }});
  return {{ status: res.status, body: res.data }};
}};
""",
        ),
        "fetch": (
            "nodejs",
            f"""
module.exports = async () => {{
  const res = await fetch('{url}');
  const text = await res.text();
  let body;
  try {{ body = JSON.parse(text); }} catch (_) {{ body = text; }}
  return {{ status: res.status, body }};
}};
""",
        ),
        "urllib": (
            "python",
            f"""
import json, urllib.error, urllib.request
def handler(context):
    try:
        with urllib.request.urlopen('{url}', timeout=3) as res:
            return {{'status': res.status, 'body': json.load(res)}}
    except urllib.error.HTTPError as error:
        return {{'status': error.code, 'body': error.read().decode()}}
""",
        ),
    }


CLIENTS = [
    pytest.param("request", marks=[needs_node, needs_libraries]),
    pytest.param("axios", marks=[needs_node, needs_libraries]),
    pytest.param("fetch", marks=[needs_node, needs_libraries]),
    "urllib",
]


@pytest.mark.parametrize("client", CLIENTS)
async def test_http_through_the_proxy_to_an_allowed_origin(
    make_sandbox: MakeSandbox, origin: Origin, client: str
) -> None:
    box = await make_sandbox(
        guard=AddressGuard(allow=[f"127.0.0.1:{origin.port}"]), limits=SandboxLimits(time_limit=3)
    )
    runtime, script = http_scripts(f"{origin.url}/api/starships/?format=json")[client]
    result = (await run(box, runtime, script)).result
    assert result["status"] == 200
    assert [ship["name"] for ship in result["body"]["results"]] == [s["name"] for s in STARSHIPS]
    [seen] = origin.requests
    assert seen["path"] == "/api/starships/" and seen["query"] == "format=json"
    assert "proxy-connection" not in seen["headers"]  # type: ignore[operator]


@pytest.mark.parametrize("client", CLIENTS)
async def test_http_to_a_private_address_is_refused_by_the_proxy(
    make_sandbox: MakeSandbox, origin: Origin, client: str
) -> None:
    box = await make_sandbox(limits=SandboxLimits(time_limit=3))  # the default guard
    runtime, script = http_scripts(f"{origin.url}/api/starships/")[client]
    if client == "fetch":  # undici tunnels plain HTTP too: the CONNECT is refused
        with pytest.raises(SandboxError, match=r"^TypeError: fetch failed"):
            await run(box, runtime, script)
    else:
        result = (await run(box, runtime, script)).result
        assert result["status"] == 403
        assert "127.0.0.1 is in 127.0.0.0/8, which is not public" in result["body"]
    assert origin.requests == []


@needs_node
@needs_libraries
async def test_https_to_a_private_address_is_refused_at_connect(make_sandbox: MakeSandbox) -> None:
    box = await make_sandbox(limits=SandboxLimits(time_limit=3))
    runtime, script = http_scripts("https://10.0.0.7/api/starships/")["request"]
    with pytest.raises(
        SandboxError, match=r"^Error: tunneling socket could not be established, statusCode=403$"
    ):
        await run(box, runtime, script)


# --- the starships export, against a local fake of https://swapi.dev -----------------------


def starships_script() -> str:
    if not STARSHIPS_EXPORT.exists():
        pytest.skip(f"{STARSHIPS_EXPORT} is not here (../shared is absent)")
    flow = json.loads(STARSHIPS_EXPORT.read_text(encoding="utf-8"))
    [node] = [node for node in flow["nodes"] if node["type"] == "sandbox"]
    assert node["data"]["runtime"] == "nodejs"
    script: str = node["data"]["script"]
    assert "https://swapi.dev/api/starships" in script  # run as exported, URL untouched
    return script


@needs_node
@needs_libraries
async def test_the_starships_export_against_a_fake_swapi(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    """The export's script, unchanged: `request` → HTTPS_PROXY → CONNECT swapi.dev:443 → the
    guard (a test resolver: swapi.dev is 127.0.0.1, allowed) → the local TLS fake, whose
    certificate node trusts through NODE_EXTRA_CA_CERTS."""
    script = starships_script()
    async with tls_origin_server(tmp_path) as fake:
        (tmp_path / "ca.pem").write_text(SWAPI_CERT)
        box = await make_sandbox(
            proxy=swapi_proxy(fake.port, tmp_path),
            extra_ca_certs=tmp_path / "ca.pem",
            limits=SandboxLimits(time_limit=3),
        )
        result = await run(box, "nodejs", script)
    assert result.params is None
    assert [ship["name"] for ship in result.result["data"]["results"]] == [
        "CR90 corvette",
        "Star Destroyer",
        "Millennium Falcon",
    ]
    assert fake.requests[0]["path"] == "/api/starships"
    assert fake.requests[0]["headers"]["host"] == "swapi.dev"  # type: ignore[index]


@needs_node
@needs_libraries
@pytest.mark.parametrize("status", [200, 404])
async def test_the_starships_export_through_the_engine(
    make_sandbox: MakeSandbox, tmp_path: Path, status: int
) -> None:
    """The whole export (entry → sandbox → cards, or the error text) with ProcessSandbox as
    the engine's script port: a failure is in `sandbox.error`, as in CLOSER."""
    starships_script()  # skips without ../shared
    flow = json.loads(STARSHIPS_EXPORT.read_text(encoding="utf-8"))
    async with tls_origin_server(tmp_path, status) as fake:
        (tmp_path / "ca.pem").write_text(SWAPI_CERT)
        box = await make_sandbox(
            proxy=swapi_proxy(fake.port, tmp_path),
            extra_ca_certs=tmp_path / "ca.pem",
            limits=SandboxLimits(time_limit=3),
        )
        chat = Chat(program_of({"flows": [flow]}), Ports(script=box))
        result = await chat.open()
    assert result.error is None
    [reply] = result.replies
    if status == 200:
        assert [card["title"] for card in reply["cards"]] == [s["name"] for s in STARSHIPS]
        assert reply["cards"][2]["description"].startswith("YT-1300")
    else:
        assert reply["text"].endswith("\n\nError: Invalid status code:404")


@needs_node
@needs_libraries
async def test_axios_https_goes_through_the_proxys_tls(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    """axios sends `GET https://...` to the proxy, which verifies swapi.dev's certificate."""
    async with tls_origin_server(tmp_path) as fake:
        box = await make_sandbox(
            proxy=swapi_proxy(fake.port, tmp_path), limits=SandboxLimits(time_limit=3)
        )
        runtime, script = http_scripts("https://swapi.dev/api/starships")["axios"]
        result = (await run(box, runtime, script)).result
    assert result["status"] == 200
    assert result["body"]["results"] == STARSHIPS


# --- start: the mode and its log line ------------------------------------------------------


async def test_the_mode_is_logged_at_start(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="flowbot.sandbox")
    async with ProcessSandbox(mode=mode) as box:  # type: ignore[arg-type]
        assert box.mode == mode
    [record] = [r for r in caplog.records if r.name == "flowbot.sandbox"]
    if mode == "bwrap":
        assert record.getMessage().startswith(
            "sandbox: bubblewrap (no network but the egress proxy, read-only system)"
        )
    else:
        assert record.levelname == "WARNING"
        assert record.getMessage().startswith("sandbox: process limits only (")
        assert "NOT isolated from the network" in record.getMessage()


async def test_the_self_test_at_start(
    make_sandbox: MakeSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="flowbot.sandbox")
    await make_sandbox(self_test=True)
    passed = [r.getMessage() for r in caplog.records if "self-test passed" in r.getMessage()]
    assert len(passed) == (2 if HAS_NODE else 1)
    caplog.clear()
    await make_sandbox(self_test=True, node=shutil.which("true"))  # a "node" that does nothing
    [warning] = [r for r in caplog.records if r.levelname == "WARNING" and "trivial" in r.msg]
    assert warning.getMessage() == (
        "sandbox: the nodejs runtime fails a trivial script here: "
        "script ended without a result (exited with status 0)"
    )


async def test_auto_mode_falls_back_to_process_mode_without_bwrap(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="flowbot.sandbox")
    async with ProcessSandbox(bwrap="/nonexistent/bwrap", limits=LIMITS) as box:
        assert box.mode == "process"
        assert (await run(box, "python", "def handler(c):\n    return 'ok'\n")).result == "ok"
    assert any(
        "sandbox: process limits only (bwrap not found at /nonexistent/bwrap)" in r.getMessage()
        for r in caplog.records
    )


async def test_bwrap_mode_refuses_to_start_without_bwrap() -> None:
    box = ProcessSandbox(mode="bwrap", bwrap="/nonexistent/bwrap")
    with pytest.raises(SandboxError, match="bubblewrap mode was asked for"):
        await box.start()


def test_under_uvloop(mode: str) -> None:
    """The server runs on uvloop (uvicorn's default): subprocess, pipes and fds work there."""
    uvloop = pytest.importorskip("uvloop")

    async def main() -> Any:
        async with ProcessSandbox(mode=mode, limits=LIMITS) as box:  # type: ignore[arg-type]
            return (await run(box, "python", "def handler(c):\n    return c['userKey']\n")).result

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner_:
        assert runner_.run(main()) == "user-key"


def test_user_tasks_counts_this_process_threads() -> None:
    assert runner._user_tasks(os.geteuid()) >= 1
