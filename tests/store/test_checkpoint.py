"""WAL checkpoints on their own thread (flowbot.store.checkpoint)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from flowbot.store import SQLStore
from flowbot.store.base import TranscriptEntry, utc_now
from flowbot.store.checkpoint import BACKSTOP_PAGES, WalCheckpointer
from flowbot.store.runners import LoopRunner


def wal_database(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA wal_autocheckpoint=0")  # only the checkpointer copies back
    connection.execute("CREATE TABLE t (n INTEGER)")
    return connection


def rows_in_main_file(path: Path) -> int:
    """Rows of t in the database file itself, ignoring the WAL (immutable read)."""
    reader = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(reader.execute("SELECT count(*) FROM t").fetchone()[0])
    except sqlite3.OperationalError:  # the table itself is still only in the WAL
        return 0
    finally:
        reader.close()


def wait_until(condition: object, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_a_poke_after_writes_copies_the_wal_back_soon(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    writer = wal_database(path)
    checkpointer = WalCheckpointer(str(path), interval=0.01)
    try:
        for n in range(200):
            writer.execute("INSERT INTO t VALUES (?)", (n,))
        time.sleep(0.05)
        assert checkpointer.checkpoints == 0  # nothing until told
        assert rows_in_main_file(path) == 0
        checkpointer.poke()
        assert wait_until(lambda: checkpointer.checkpoints >= 1)
        assert rows_in_main_file(path) == 200  # copied back by the thread
    finally:
        checkpointer.close()
        writer.close()


def test_close_returns_at_once_whether_idle_or_just_poked(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    wal_database(path).close()
    for poke_first in (False, True):
        checkpointer = WalCheckpointer(str(path), interval=0.05)
        if poke_first:
            checkpointer.poke()
        closer = threading.Thread(target=checkpointer.close)
        started = time.monotonic()
        closer.start()
        closer.join(5)
        assert not closer.is_alive(), "close() hung"
        assert time.monotonic() - started < 2


async def test_the_sqlite_store_checkpoints_off_the_loop(tmp_path: Path) -> None:
    store = SQLStore(f"sqlite:///{tmp_path / 'flowbot.db'}")
    await store.start()
    try:
        runner = store.runner
        assert isinstance(runner, LoopRunner) and runner.checkpointer is not None
        before = runner.checkpointer.checkpoints
        conversation = await store.create_conversation("bot", "web", "user", "token")
        entry = TranscriptEntry("in", {"type": "text", "text": "hi"}, utc_now())
        await store.save_turn(conversation.id, {"v": 1}, [entry], 0)
        assert wait_until(lambda: runner.checkpointer.checkpoints > before)  # type: ignore[union-attr]
        # the loop's own connection only checkpoints as a backstop
        dbapi = runner._connect().connection.driver_connection
        assert dbapi.execute("PRAGMA wal_autocheckpoint").fetchone() == (BACKSTOP_PAGES,)
    finally:
        await store.close()
