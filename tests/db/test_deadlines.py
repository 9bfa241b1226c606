"""A deadline shared by every process on the database: Atlas's 429 back-off (#10)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.atlas import AtlasClient
from bot.atlas import client as atlas_client
from bot.db import Store
from bot.db.deadlines import ATLAS_BACKOFF, SharedDeadlines
from bot.settings import Settings
from bot.sim import AtlasSimulator
from tests.atlas.conftest import FAST_RETRY, SleepLog, video_request
from tests.engines import Target


async def test_a_deadline_only_moves_later(db: Store) -> None:
    deadlines = SharedDeadlines(db)
    assert await deadlines.get(ATLAS_BACKOFF) is None

    await deadlines.push(ATLAS_BACKOFF, 2_000)
    await deadlines.push(ATLAS_BACKOFF, 1_000)  # an earlier one changes nothing

    assert await deadlines.get(ATLAS_BACKOFF) == 2_000
    assert await deadlines.calm_until() == 0.002


@pytest.fixture
async def sim(settings: Settings) -> AsyncIterator[AtlasSimulator]:
    async with AtlasSimulator(settings.catalogue, generation_seconds=0.1) as simulator:
        yield simulator


async def test_a_429_one_process_got_holds_the_other_processes_requests(
    target: Target, sim: AtlasSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atlas_client, "SHARED_CALM_READ_EVERY", 0.0)  # read it every time
    first_db, second_db = await target.open(), await target.open()
    sleeps = [SleepLog(), SleepLog()]
    clients = [
        AtlasClient(
            sim.base_url,
            SecretStr(sim.api_key),
            retry=FAST_RETRY,
            sleep=sleeps[n],
            rng=random.Random(7),
            shared_calm=SharedDeadlines(db),
        )
        for n, db in enumerate((first_db, second_db))
    ]
    try:
        job = await clients[1].submit(video_request("one"))
        sim.retry_after = "1"  # a fixed back-off, so a loaded machine cannot outlast it
        sim.fail_next("poll", 429)
        held = asyncio.create_task(clients[0].get(job))
        while not sleeps[0].delays:  # noqa: ASYNC110 - its 429 came, it shared it, it waits
            await asyncio.sleep(0.001)

        await clients[1].get(job)  # another process: it waits for the rest of that second

        await held
        assert sleeps[0].delays == [1.0]
        assert len(sleeps[1].delays) == 1
        assert 0.5 < sleeps[1].delays[0] <= 1.0
    finally:
        for client in clients:
            await client.close()
        await first_db.close()
        await second_db.close()
