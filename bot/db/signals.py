"""Telling every process of the bot that something changed in the shared database.

On PostgreSQL, several processes share one database: `send` is a NOTIFY, sent once the
writer's transaction committed, and every process that listens on the channel hears it at
once (PostgreSQL's LISTEN/NOTIFY: no relay of our own). With SQLite one process serves every
job, so the listeners of this process are the only ones, and they are called directly.
A listener runs as its own task: a slow or failing one delays nobody.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

from bot.db.postgres import PostgresDatabase
from bot.db.store import Store

log = logging.getLogger(__name__)

Listener = Callable[[str], Awaitable[None]]
"""Called with each payload sent on the channel it listens to."""


class Signals:
    """Signals within this process (SQLite: the only process)."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = defaultdict(list)
        self._running: set[asyncio.Task[None]] = set()

    async def listen(self, channel: str, listener: Listener) -> None:
        """Call `listener` with every payload sent on `channel` from now on."""
        self._listeners[channel].append(listener)

    async def send(self, channel: str, payload: str) -> None:
        """Tell every listener of `channel`; call it after the change committed."""
        self._deliver(channel, payload)

    def _deliver(self, channel: str, payload: str) -> None:
        for listener in self._listeners.get(channel, ()):
            task = asyncio.get_running_loop().create_task(self._call(listener, payload))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    @staticmethod
    async def _call(listener: Listener, payload: str) -> None:
        try:
            await listener(payload)
        except Exception:
            log.exception("a signal's listener failed")

    async def close(self) -> None:
        """Stop the listeners still running."""
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)


class PostgresSignals(Signals):
    """Signals between every process on one PostgreSQL database (NOTIFY / LISTEN)."""

    def __init__(self, db: PostgresDatabase) -> None:
        super().__init__()
        self._db = db

    async def listen(self, channel: str, listener: Listener) -> None:
        """Hear `channel` from every process (this one included)."""
        if channel not in self._listeners:
            await self._db.listen(channel, lambda payload: self._deliver(channel, payload))
        self._listeners[channel].append(listener)

    async def send(self, channel: str, payload: str) -> None:
        """NOTIFY every process listening on `channel`."""
        await self._db.run(
            lambda conn: conn.fetchone("SELECT pg_notify(?, ?)", (channel, payload)),
            one_statement=True,
        )


def signals_for(db: Store) -> Signals:
    """The signals of the bot's database: between processes on PostgreSQL, else in-process."""
    return PostgresSignals(db) if isinstance(db, PostgresDatabase) else Signals()


__all__ = ["Listener", "PostgresSignals", "Signals", "signals_for"]
