"""Background WAL checkpoints, so no writer waits for an fsync.

In WAL mode with `synchronous=NORMAL` a commit only appends to the WAL; the fsyncs happen when
the WAL is copied back into the database file (a checkpoint). Left to SQLite, the commit that
crosses the auto-checkpoint threshold pays for it (tens of ms on a VM disk). This thread runs
`wal_checkpoint(PASSIVE)` on its own connection instead: after a burst of writes, or a second
after the last one, bounding both the WAL's size and what a power cut could take back. The
main connection keeps a high auto-checkpoint threshold as a backstop.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger("bot.ledger")

WRITES_PER_CHECKPOINT = 200
"""Wake the checkpointer after this many committed write transactions."""

IDLE_SECONDS = 1.0
"""Checkpoint this long after the last write even without a burst."""

BACKSTOP_PAGES = 20_000
"""The main connection's own auto-checkpoint threshold, should this thread fall behind."""


class Checkpointer:
    """A daemon thread with its own connection that checkpoints the WAL when poked."""

    def __init__(self, path: Path, busy_timeout: float) -> None:
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=busy_timeout
        )
        self._wake = threading.Event()
        self._stop = False
        self._pending = 0
        self._thread = threading.Thread(target=self._loop, name="ledger-checkpoint", daemon=True)
        self._thread.start()

    def wrote(self, transactions: int = 1) -> None:
        """Count committed write transactions; wake the thread after a burst."""
        self._pending += transactions
        if self._pending >= WRITES_PER_CHECKPOINT:
            self._wake.set()

    def _loop(self) -> None:
        while not self._stop:
            woken = self._wake.wait(IDLE_SECONDS)
            self._wake.clear()
            if self._stop or (not woken and self._pending == 0):
                continue
            self._pending = 0
            try:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error as exc:  # the backstop still bounds the WAL
                log.warning("background checkpoint failed: %s", exc)

    def stop(self) -> None:
        """Stop the thread and close its connection (blocks for at most one checkpoint)."""
        self._stop = True
        self._wake.set()
        self._thread.join()
        self._conn.close()
