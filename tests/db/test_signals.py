"""Signals between the bot's processes: in-process on SQLite, LISTEN/NOTIFY on PostgreSQL,
and a PostgreSQL process that lost its LISTEN connection listens again and catches up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import asyncpg
import pytest

from bot.db import Store
from bot.db.pg_listen import PgListener
from bot.db.postgres import PostgresDatabase
from bot.db.signals import signals_for
from tests.engines import Target, pg_url, shared_admin_url

CHANNEL = "avb_test_signals"


async def _until(check: Callable[[], bool], what: str, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def _recorder(heard: list[str]) -> Callable[[str], object]:
    async def listener(payload: str) -> None:
        heard.append(payload)

    return listener


async def test_every_listener_of_a_channel_hears_each_signal(target: Target) -> None:
    db = await target.open()
    signals = signals_for(db)
    first: list[str] = []
    second: list[str] = []

    async def failing(_payload: str) -> None:
        raise RuntimeError("a listener that fails delays nobody")

    try:
        await signals.listen(CHANNEL, failing)
        await signals.listen(CHANNEL, _recorder(first))  # type: ignore[arg-type]
        await signals.listen(CHANNEL, _recorder(second))  # type: ignore[arg-type]
        await signals.listen("avb_other_channel", _recorder([]))  # type: ignore[arg-type]
        await signals.send(CHANNEL, "job-1")
        await signals.send(CHANNEL, "job-2")
        await _until(lambda: len(first) == len(second) == 2, "both listeners to hear both")
        assert first == second == ["job-1", "job-2"]
    finally:
        await signals.close()
        await db.close()


async def _terminate(db: Store, pid: int) -> None:
    await db.read(lambda conn: conn.fetchone("SELECT pg_terminate_backend(?)", (pid,)))


async def test_a_process_whose_listen_connection_is_lost_listens_again_and_catches_up() -> None:
    url = pg_url(shared_admin_url())
    owner, other = await PostgresDatabase.open(url), await PostgresDatabase.open(url)
    owner_signals, other_signals = signals_for(owner), signals_for(other)
    heard: list[str] = []
    gaps: list[int] = []

    async def catch_up() -> None:
        gaps.append(owner.listener.gaps)

    try:
        await owner_signals.listen(CHANNEL, _recorder(heard), after_gap=catch_up)  # type: ignore[arg-type]
        await other_signals.send(CHANNEL, "before")
        await _until(lambda: heard == ["before"], "the first signal, from the other process")
        lost = owner.listener.pid
        assert lost is not None
        await _terminate(other, lost)  # PostgreSQL restarted, a network blip, an admin...
        await _until(lambda: gaps == [1], "listening again after the lost connection")
        assert owner.listener.pid not in (None, lost)
        await other_signals.send(CHANNEL, "after")
        await _until(lambda: heard == ["before", "after"], "the signal sent after the gap")
    finally:
        await owner_signals.close()
        await other_signals.close()
        await owner.close()
        await other.close()


async def test_what_is_sent_while_nobody_listens_is_only_found_by_catching_up() -> None:
    """Why `after_gap` exists: a NOTIFY sent during the gap never arrives."""
    url = pg_url(shared_admin_url())
    other = await PostgresDatabase.open(url)
    listener = PgListener(lambda: asyncpg.connect(url), "test", retry_delays=(0.5,))
    heard: list[str] = []
    caught_up = asyncio.Event()
    try:
        await listener.listen(CHANNEL, heard.append)
        listener.after_gap(caught_up.set)
        pid = listener.pid
        assert pid is not None
        await _terminate(other, pid)
        await other.run(
            lambda conn: conn.fetchone("SELECT pg_notify(?, ?)", (CHANNEL, "missed")),
            one_statement=True,
        )
        await asyncio.wait_for(caught_up.wait(), timeout=5)
        await other.run(
            lambda conn: conn.fetchone("SELECT pg_notify(?, ?)", (CHANNEL, "heard")),
            one_statement=True,
        )
        await _until(lambda: heard == ["heard"], "the signal after the gap")
        assert listener.gaps == 1
    finally:
        await listener.close()
        await other.close()


async def test_a_connection_lost_again_soon_waits_longer_before_listening_again() -> None:
    """A flapping server is not hammered: the delays go on unless listening lasted a while."""
    url = pg_url(shared_admin_url())
    other = await PostgresDatabase.open(url)
    listener = PgListener(lambda: asyncpg.connect(url), "test", retry_delays=(0.0, 0.4))
    await listener.listen(CHANNEL, lambda _payload: None)
    try:
        for gap, least in ((1, 0.0), (2, 0.4), (3, 0.4)):
            pid = listener.pid
            assert pid is not None
            cut_at = time.monotonic()
            await _terminate(other, pid)
            await _until(lambda gap=gap: listener.gaps == gap, f"listening again ({gap})")  # type: ignore[misc]
            assert time.monotonic() - cut_at >= least
    finally:
        await listener.close()
        await other.close()


async def test_closing_while_listening_again_stops_trying() -> None:
    url = pg_url(shared_admin_url())
    other = await PostgresDatabase.open(url)
    listener = PgListener(lambda: asyncpg.connect(url), "test", retry_delays=(30.0,))
    try:
        await listener.listen(CHANNEL, lambda _payload: None)
        pid = listener.pid
        assert pid is not None
        await _terminate(other, pid)
        await _until(lambda: listener.pid is None, "the lost connection to be noticed")
        started = time.monotonic()
        await listener.close()  # does not wait out the 30 s retry
        assert time.monotonic() - started < 1.0
        assert listener.gaps == 0
    finally:
        await other.close()


pytestmark = [
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("error::asyncpg.exceptions.InterfaceWarning"),  # listeners left
]
