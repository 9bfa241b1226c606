"""Job leases: which process follows a job, taken in one conditional UPDATE, on both engines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.db import Store
from bot.jobs.record import JobState
from bot.jobs.store import SOLO_OWNER, JobStore
from tests.engines import Target, target
from tests.jobs.test_store import T0, job
from tests.ledger.helpers import GUILD, Clock

__all__ = ["target"]

OTHER_GUILD = GUILD + 1


@pytest.fixture
async def db(target: Target) -> AsyncIterator[Store]:
    database = await target.open()
    yield database
    await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(minutes=1))


def store_of(db: Store, clock: Clock, owner: str, mine: int | None = None) -> JobStore:
    """A process's store: `mine` is the one guild of its shards (None: every guild)."""
    shard = None if mine is None else (lambda guild_id: guild_id == mine)
    return JobStore(db, clock=clock, owner=owner, lease_seconds=60, mine=shard)


async def test_a_new_job_is_leased_to_its_creator(db: Store, clock: Clock) -> None:
    await store_of(db, clock, "a").create(job())

    lease = await JobStore(db).lease("job-1")

    assert lease is not None
    assert (lease.owner, lease.until) == ("a", clock.now + timedelta(seconds=60))
    assert JobStore(db).owner == SOLO_OWNER


async def test_a_live_lease_keeps_others_out_until_it_expires(db: Store, clock: Clock) -> None:
    a, b = store_of(db, clock, "a"), store_of(db, clock, "b")
    await a.create(job())

    assert await b.take_lease("job-1") is False
    assert await a.take_lease("job-1") is True  # its own: renewed
    clock.advance(seconds=59)
    assert await b.take_lease("job-1") is False
    clock.advance(seconds=2)
    assert await b.take_lease("job-1") is True
    assert await a.take_lease("job-1") is False  # b follows it now
    assert (await a.lease("job-1")) is not None
    assert (await a.lease("job-1")).owner == "b"  # type: ignore[union-attr]


async def test_renewing_pushes_back_only_the_unfinished_jobs_of_the_owner(
    db: Store, clock: Clock
) -> None:
    a, b = store_of(db, clock, "a"), store_of(db, clock, "b")
    await a.create(job("running"))
    await a.create(job("done"))
    await a.advance("done", JobState.DELIVERED)
    await b.create(job("theirs"))
    clock.advance(seconds=50)

    assert await a.renew_leases() == 1

    clock.advance(seconds=50)  # 100 s after creation: only the renewed lease still holds
    assert await b.take_lease("running") is False
    assert await a.take_lease("theirs") is True


async def test_start_up_claims_its_shards_and_expired_leases_and_nothing_live(
    db: Store, clock: Clock
) -> None:
    dead, alive = store_of(db, clock, "dead"), store_of(db, clock, "alive")
    await dead.create(job("orphan"))
    clock.advance(seconds=30)
    await alive.create(job("followed"))
    unleased = JobStore(db, clock=clock, owner="old", lease_seconds=0)
    await unleased.create(job("mine-never-leased"))
    await unleased.create(job("theirs-never-leased", guild_id=OTHER_GUILD))
    await db.run(
        lambda c: c.execute("UPDATE jobs SET owner = NULL, lease_until = NULL WHERE owner = 'old'")
    )
    clock.advance(seconds=31)  # "orphan"'s lease has expired, "followed"'s has not

    claimed = await store_of(db, clock, "new", mine=GUILD).claim_unfinished()

    assert sorted(j.id for j in claimed) == ["mine-never-leased", "orphan"]
    assert (await alive.lease("followed")).owner == "alive"  # type: ignore[union-attr]


async def test_a_restarted_process_takes_its_own_jobs_back_at_once(db: Store, clock: Clock) -> None:
    await store_of(db, clock, "shards 0 of 2").create(job())

    restarted = store_of(db, clock, "shards 0 of 2")

    assert [j.id for j in await restarted.claim_unfinished()] == ["job-1"]


async def test_two_processes_racing_for_an_expired_job_one_wins(
    target: Target, clock: Clock
) -> None:
    first, second = await target.open(), await target.open()
    try:
        await store_of(first, clock, "dead").create(job())
        clock.advance(minutes=5)
        racers = [store_of(first, clock, "a"), store_of(second, clock, "b")] * 10

        won = await asyncio.gather(*(r.take_lease("job-1") for r in racers))

        lease = await racers[0].lease("job-1")
        assert lease is not None
        winners = {r.owner for r, w in zip(racers, won, strict=True) if w}
        assert winners == {lease.owner}
    finally:
        await first.close()
        await second.close()
