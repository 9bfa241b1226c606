"""Telling every process of the bot that something changed in the shared database.

On PostgreSQL, several processes share one database: `send` is a NOTIFY, sent once the
writer's transaction committed, and every process that listens on the channel hears it at
once (PostgreSQL's LISTEN/NOTIFY: no relay of our own). With SQLite one process serves every
job, so the listeners of this process are the only ones, and they are called directly.
A listener runs as its own task: a slow or failing one delays nobody. If a process stops
hearing for a while (its LISTEN connection was lost and is back), its `after_gap` hooks run:
what was sent in between was not heard, so they look at what is stored instead.
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

CatchUp = Callable[[], Awaitable[None]]
"""Called after a gap in hearing a channel, to look for what was missed."""


class Signals:
    """Signals within this process (SQLite: the only process)."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = defaultdict(list)
        self._running: set[asyncio.Task[None]] = set()

    async def listen(
        self, channel: str, listener: Listener, *, after_gap: CatchUp | None = None
    ) -> None:
        """Call `listener` with every payload sent on `channel` from now on (and `after_gap`
        after a while this process could not hear: never within one process)."""
        self._listeners[channel].append(listener)

    async def send(self, channel: str, payload: str) -> None:
        """Tell every listener of `channel`; call it after the change committed."""
        self._deliver(channel, payload)

    def _deliver(self, channel: str, payload: str) -> None:
        for listener in self._listeners.get(channel, ()):
            self._start(listener(payload))

    def _start(self, call: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(self._call(call))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    @staticmethod
    async def _call(call: Awaitable[None]) -> None:
        try:
            await call
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

    async def listen(
        self, channel: str, listener: Listener, *, after_gap: CatchUp | None = None
    ) -> None:
        """Hear `channel` from every process (this one included); `after_gap` runs each time
        this process hears again after its LISTEN connection was lost."""
        if channel not in self._listeners:
            await self._db.listen(channel, lambda payload: self._deliver(channel, payload))
        self._listeners[channel].append(listener)
        if after_gap is not None:
            self._db.after_listen_gap(lambda: self._start(after_gap()))

    async def send(self, channel: str, payload: str) -> None:
        """NOTIFY every process listening on `channel`."""
        await self._db.run(
            lambda conn: conn.fetchone("SELECT pg_notify(?, ?)", (channel, payload)),
            one_statement=True,
        )


def signals_for(db: Store) -> Signals:
    """The signals of the bot's database: between processes on PostgreSQL, else in-process."""
    return PostgresSignals(db) if isinstance(db, PostgresDatabase) else Signals()


__all__ = ["CatchUp", "Listener", "PostgresSignals", "Signals", "signals_for"]
