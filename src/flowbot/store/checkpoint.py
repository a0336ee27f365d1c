"""WAL checkpoints of the SQLite store, on a thread of their own.

In WAL mode every commit appends pages to the -wal file, and a *checkpoint*
copies them back into the database file (and, with synchronous=NORMAL, syncs
it). SQLite runs one inside the COMMIT that crosses ``wal_autocheckpoint``
pages: on flowbot's event loop, where it stalled every turn waiting for that
commit — about 40 % of a saved turn's time in bench/http.py's load.

Here a daemon thread, with its own connection, runs PASSIVE checkpoints
shortly after writes happen. PASSIVE never blocks writers or readers, and the
sqlite3 module releases the GIL while SQLite works, so the loop keeps serving.
The loop's connection keeps a larger ``wal_autocheckpoint`` as a backstop:
under non-stop writes the WAL is never fully checkpointed between two commits
and so never restarts from its beginning; when it grows past the backstop, the
loop's next commit checkpoints the few frames the thread has not copied yet
and the file starts over.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

__all__ = ["BACKSTOP_PAGES", "WalCheckpointer"]

logger = logging.getLogger("flowbot.store")

# The loop connection's wal_autocheckpoint (pages of 4 KB): ~16 MB of WAL.
BACKSTOP_PAGES = 4000


class WalCheckpointer:
    def __init__(self, path: str, *, interval: float = 0.05, busy_timeout_ms: int = 10_000) -> None:
        self.path = path
        self.interval = interval
        self.busy_timeout_ms = busy_timeout_ms
        self.checkpoints = 0
        self._wanted = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name="flowbot-wal-checkpoint", daemon=True
        )
        self._thread.start()

    def poke(self) -> None:
        """Writes were committed: checkpoint soon (cheap; called after every flush)."""
        if not self._wanted.is_set():
            self._wanted.set()

    def close(self) -> None:
        self._stopping = True
        self._wanted.set()
        self._thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            connection.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")
            while True:
                self._wanted.wait()
                if not self._stopping:
                    # Let writes gather: one checkpoint per interval at most.
                    time.sleep(self.interval)
                self._wanted.clear()
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error as error:
                    # Not fatal: the loop's own backstop checkpoint still runs.
                    logger.warning("background WAL checkpoint of %s failed: %s", self.path, error)
                if self._stopping:
                    return
        finally:
            connection.close()
