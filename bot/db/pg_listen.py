"""PostgreSQL's LISTEN on a connection of its own, kept through a lost connection.

A NOTIFY reaches only the connections listening when it is sent. When the listening
connection is lost (PostgreSQL restarted, a network blip, an admin's pg_terminate_backend),
this connects again, listens again on every channel, and then calls the
`after_gap` hooks: what was sent in between was not heard, so their owners look again at
what is stored. It keeps trying, waiting longer each time, until the database closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

log = logging.getLogger("bot.ledger")

RETRY_DELAYS: tuple[float, ...] = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
"""Seconds before each try to listen again after a lost connection (the last one repeats)."""

STABLE_SECONDS = 60.0
"""A connection that lived this long was not flapping: the next loss starts the delays over
(one lost sooner goes on with them, so a flapping server is not hammered)."""

Heard = Callable[[str], None]
"""Called with each payload of a channel."""


class PgListener:
    """LISTEN on a connection of its own (not the pool's); connects again when it is lost."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[Any]],
        name: str,
        *,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        self._connect_to_server = connect
        self._name = name
        self._retry_delays = tuple(retry_delays)
        self._channels: dict[str, list[Heard]] = defaultdict(list)
        self._after_gap: list[Callable[[], None]] = []
        self._conn: Any = None
        self._relisten: asyncio.Task[None] | None = None
        self._attempts = 0
        self._connected_at = 0.0
        self._closed = False
        self.gaps = 0
        """How many times the connection was lost and listening started again."""

    @property
    def pid(self) -> int | None:
        """The server process of the listening connection (None while there is none)."""
        return None if self._conn is None else int(self._conn.get_server_pid())

    def after_gap(self, hook: Callable[[], None]) -> None:
        """Call `hook()` each time listening starts again after a lost connection."""
        self._after_gap.append(hook)

    async def listen(self, channel: str, heard: Heard) -> None:
        """Call `heard(payload)` for each NOTIFY on `channel`."""
        first_on_channel = channel not in self._channels
        self._channels[channel].append(heard)
        if self._conn is None and self._relisten is None:
            await self._connect()  # listens on every channel, this one included
        elif first_on_channel and self._conn is not None:
            await self._conn.add_listener(channel, self._deliver)

    async def close(self) -> None:
        """Stop listening and close the connection."""
        self._closed = True
        if self._relisten is not None:
            self._relisten.cancel()
            await asyncio.gather(self._relisten, return_exceptions=True)
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.remove_termination_listener(self._lost)
            await conn.close()

    async def _connect(self) -> None:
        conn = await self._connect_to_server()
        try:
            for channel in self._channels:
                await conn.add_listener(channel, self._deliver)
        except BaseException:
            conn.terminate()
            raise
        conn.add_termination_listener(self._lost)
        self._conn = conn
        self._connected_at = asyncio.get_running_loop().time()

    def _deliver(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        for heard in self._channels.get(channel, ()):
            heard(payload)

    def _lost(self, conn: Any) -> None:
        """asyncpg's word that the listening connection closed."""
        if self._closed or conn is not self._conn:
            return
        self._conn = None
        if asyncio.get_running_loop().time() - self._connected_at >= STABLE_SECONDS:
            self._attempts = 0
        log.warning("lost the LISTEN connection to %s; listening again", self._name)
        self._relisten = asyncio.get_running_loop().create_task(
            self._listen_again(), name="pg-listen-again"
        )

    async def _listen_again(self) -> None:
        while not self._closed:
            last = len(self._retry_delays) - 1
            await asyncio.sleep(self._retry_delays[min(self._attempts, last)])
            self._attempts += 1
            try:
                await self._connect()
            except Exception as exc:
                log.warning("cannot LISTEN on %s yet (%s); trying again", self._name, exc)
                continue
            break
        self._relisten = None
        if self._closed:
            return
        self.gaps += 1
        log.warning("listening on %s again; looking for what was sent meanwhile", self._name)
        for hook in list(self._after_gap):
            try:
                hook()
            except Exception:
                log.exception("an after-gap hook failed")


__all__ = ["RETRY_DELAYS", "STABLE_SECONDS", "PgListener"]
