"""Rejection strikes: counted per member within a day, once per job; the limit pauses the member
until an admin lifts it, and only rejections after the lifting count again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.db import Conn, Database
from bot.safety.strikes import StrikeStore

GUILD, OTHER_GUILD = 1000, 1001
MEMBER, OTHER = 11, 12
ADMIN = 13


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.sqlite3")
    yield database
    await database.close()


async def test_the_third_rejection_in_a_day_pauses_the_member(db: Database, clock: Clock) -> None:
    strikes = StrikeStore(db, clock=clock)
    first = await strikes.record_rejection(GUILD, MEMBER, "job-1", limit=3)
    assert (first.count, first.paused, first.paused_now) == (1, False, False)
    clock.now += timedelta(hours=1)
    assert (await strikes.record_rejection(GUILD, MEMBER, "job-2", limit=3)).count == 2
    assert not await strikes.is_paused(GUILD, MEMBER)
    third = await strikes.record_rejection(GUILD, MEMBER, "job-3", limit=3)
    assert (third.count, third.paused, third.paused_now) == (3, True, True)
    assert await strikes.is_paused(GUILD, MEMBER)
    assert not await strikes.is_paused(OTHER_GUILD, MEMBER), "per server"
    assert not await strikes.is_paused(GUILD, OTHER)
    late = await strikes.record_rejection(GUILD, MEMBER, "job-4", limit=3)
    assert (late.paused, late.paused_now) == (True, False), "paused once, not again"
    assert await strikes.paused_members(GUILD) == [MEMBER]

    # Read back by a fresh store (a restart): the pause is in the database.
    assert await StrikeStore(db, clock=clock).is_paused(GUILD, MEMBER)


async def test_rejections_older_than_a_day_do_not_count(db: Database, clock: Clock) -> None:
    strikes = StrikeStore(db, clock=clock)
    await strikes.record_rejection(GUILD, MEMBER, "job-1", limit=2)
    clock.now += timedelta(hours=25)
    second = await strikes.record_rejection(GUILD, MEMBER, "job-2", limit=2)
    assert (second.count, second.paused) == (1, False)


async def test_a_job_counts_once_even_if_its_rejection_is_seen_again(
    db: Database, clock: Clock
) -> None:
    strikes = StrikeStore(db, clock=clock)
    await strikes.record_rejection(GUILD, MEMBER, "job-1", limit=2)
    again = await strikes.record_rejection(GUILD, MEMBER, "job-1", limit=2)
    assert (again.count, again.paused) == (1, False)


async def test_lifting_a_pause_starts_the_count_afresh(db: Database, clock: Clock) -> None:
    strikes = StrikeStore(db, clock=clock)
    for n in range(2):
        await strikes.record_rejection(GUILD, MEMBER, f"job-{n}", limit=2)
    assert await strikes.is_paused(GUILD, MEMBER)
    assert not await strikes.unpause(GUILD, OTHER, by=ADMIN), "nobody to lift"
    clock.now += timedelta(minutes=5)
    assert await strikes.unpause(GUILD, MEMBER, by=ADMIN)
    assert not await strikes.is_paused(GUILD, MEMBER)
    assert await strikes.paused_members(GUILD) == []
    clock.now += timedelta(minutes=5)
    after = await strikes.record_rejection(GUILD, MEMBER, "job-9", limit=2)
    assert (after.count, after.paused) == (1, False), "the two before the lifting are forgiven"
    assert not await strikes.unpause(GUILD, MEMBER, by=ADMIN)

    events = await db.read(_events)
    assert events == [
        ("rejected", None),
        ("rejected", None),
        ("paused", None),
        ("unpaused", ADMIN),
        ("rejected", None),
    ]


async def _events(conn: Conn) -> list[tuple[str, int | None]]:
    rows = await conn.fetchall("SELECT kind, actor_id FROM moderation_events ORDER BY id")
    return [(str(kind), actor) for kind, actor in rows]


async def test_the_pause_cache_is_bounded_and_ages(db: Database, clock: Clock) -> None:
    """The store remembers whether a member is paused only for the newest members it was asked
    about, and only for a while: every member of every server asking once must not grow the
    bot for ever, and a pause written by another process is seen within the cache's life."""
    strikes = StrikeStore(db, clock=clock, max_cached=100, cache_seconds=60)
    for user in range(1, 1001):
        assert not await strikes.is_paused(GUILD, user)
    assert strikes.cached <= 100

    other = StrikeStore(db, clock=clock)  # another process sharing the database
    await other.record_rejection(GUILD, 1000, "job-1", limit=1)
    assert not await strikes.is_paused(GUILD, 1000), "cached a moment ago"
    clock.now += timedelta(seconds=61)
    assert await strikes.is_paused(GUILD, 1000), "read again once the entry aged"
