"""The process-mode stand-in for bubblewrap's PID 1 (see runner.py); never imported.

    python3 -I -S reaper.py UID GID COMMAND [ARG...]

Runs COMMAND (the bootstrap) as its child, in a process group of its own,
as UID:GID (-1: unchanged). The reaper itself keeps flowbot's user, so a
script cannot kill it when flowbot runs as root. It is a child subreaper
(PR_SET_CHILD_SUBREAPER): whatever the script spawns and leaves behind,
even a child that called `setsid` (node's `detached: true`), is reparented
here, not to the system's init.

When COMMAND exits, or flowbot sends SIGTERM (the run is over or timed
out), it kills COMMAND's process group (while the group leader is still an
unreaped zombie, so the group id cannot have been reused) and every child
it has, round after round as orphans come to it, and reaps them all: a fork
bomb leaves no zombie counting against RLIMIT_NPROC. It kills by pid only
its own children, whose pids cannot be reused before it reaps them. Then it
exits with COMMAND's status (128 + signal when it was killed, as bwrap does).

The system's python3, maybe older than flowbot's: standard library only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


class _Stop(Exception):
    pass


def _prctl(option: int, value: int) -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(option, value, 0, 0, 0) == 0)
    except (ImportError, OSError, AttributeError):
        return False


def _stop(signum: int, frame: object) -> None:
    raise _Stop


def _children(me: int) -> list[int]:
    """Our children now (reparented orphans included), from /proc."""
    found: list[int] = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and int(fields[1]) == me:  # after "pid (comm)": state ppid
            found.append(int(name))
    return found


def _clean_up(me: int) -> None:
    """Kill and reap our children until there is none left.

    Polled, not a blocking wait: an orphan reparented to us after a scan (its
    parent was not our child) wakes no wait; the next round kills it.
    """
    while True:
        for pid in _children(me):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            while os.waitpid(-1, os.WNOHANG)[0] != 0:
                pass
        except ChildProcessError:
            return
        time.sleep(0.002)


def _code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


def _exec(uid: int, gid: int, command: list[str]) -> None:
    """In the child: its own process group, the sandbox's user, then the bootstrap."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        os.setpgid(0, 0)
        if gid >= 0:
            os.setgroups([])
            os.setgid(gid)
        if uid >= 0:
            os.setuid(uid)
        os.execv(command[0], command)
    finally:
        os._exit(127)


def main() -> None:
    uid, gid, command = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    signal.signal(signal.SIGTERM, _stop)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)  # flowbot gone: clean up all the same
    me = os.getpid()
    status = 128 + signal.SIGKILL
    child = 0
    try:
        if os.getppid() == 1:
            raise _Stop
        child = os.fork()
        if child == 0:
            _exec(uid, gid, command)
        with contextlib.suppress(OSError):
            os.setpgid(child, child)  # (the child does it too: whoever runs first)
        # the child has the result pipe and stdin: our copies would delay their EOF
        os.closerange(3, 1 << 16)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        # wait for it without reaping: its pid, the group's id, stays ours meanwhile
        os.waitid(os.P_PID, child, os.WEXITED | os.WNOWAIT)
    except (_Stop, ChildProcessError):
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if child > 0:
        with contextlib.suppress(OSError):
            os.killpg(child, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            _, wait_status = os.waitpid(child, 0)
            status = _code(wait_status)
    _clean_up(me)
    os._exit(status)


if __name__ == "__main__":
    main()
