"""WAL checkpoints on a background thread instead of inside a request's COMMIT.

SQLite's automatic checkpoint runs in whichever connection commits the 1000th page:
measured here, that made an average customer insert cost ~220 µs instead of ~15 µs,
with 30 ms stalls on the event loop.  Serving connections therefore turn the
automatic checkpoint off and this thread checkpoints every ``interval`` seconds with
its own connection.  PASSIVE never blocks writers; when the WAL has grown large, a
TRUNCATE attempt resets it (it gives up at once if readers are in the way).

Durability is unchanged for a process crash (commits are in the WAL).  With
``synchronous=NORMAL`` the WAL is fsynced at each checkpoint, so a power loss can
lose at most the commits of the last ``interval``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger("openarc.db")

TRUNCATE_ABOVE_BYTES = 64 * 1024 * 1024


class Checkpointer:
    def __init__(self, path: Path, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="openarc-checkpoint", daemon=True)

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout=1000")
            while not self._stop.wait(self.interval):
                self.checkpoint(conn)
            self.checkpoint(conn)
        finally:
            conn.close()

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            wal = self.path.with_name(self.path.name + "-wal")
            mode = "TRUNCATE" if wal.exists() and wal.stat().st_size > TRUNCATE_ABOVE_BYTES else "PASSIVE"
            conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        except sqlite3.Error as exc:  # busy or locked: the next round will do it
            log.debug("checkpoint skipped: %s", exc)
