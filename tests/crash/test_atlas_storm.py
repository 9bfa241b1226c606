"""An Atlas fault storm: 30% of the simulator's answers are 429, 500, 503 or a dropped
connection, on every endpoint, while 12 members run 50 jobs. Every job ends, Atlas never
creates a job twice, and the ledger matches each ending."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.jobs.record import JobState
from tests.crash.gates import FaultStorm, created_by_prompt
from tests.crash.ledger_check import check_against_atlas, check_ledger
from tests.crash.waiting import until
from tests.e2e.conftest import CHANNEL, GUILD, World, is_final, running_world, status_of
from tests.e2e.test_webhook_stories import free_port
from tests.fake_discord import FakeInteraction, FakeMessage
from tests.images import png

MEMBERS = tuple(range(100, 112))
JOBS = 50
ONE_JOB = 1_000_000


def _job_id(message: FakeMessage) -> str:
    footer = message.embeds[0]["footer"]["text"]
    assert footer.startswith("job ")
    return str(footer.removeprefix("job "))


async def _settled(world: World) -> bool:
    """No job left mid-way (uncertain ones wait for an admin)."""
    return all(j.state == "uncertain" for j in await world.bot.job_store.unfinished())


def _ending(message: FakeMessage) -> str:
    return status_of(message).split(":")[0].split(" ")[0]  # Done / Failed / We


@pytest.mark.parametrize("webhooks", [False, True], ids=["polling", "webhooks"])
async def test_fault_storm_every_job_ends_and_none_is_created_twice(
    tmp_path: Path, webhooks: bool
) -> None:
    storm = FaultStorm(rate=0.3, seed=20240605)
    env: dict[str, object] = {}
    polling: dict[str, float] = {}
    if webhooks:  # Atlas calls back each job's own URL: a lost submit answer is found again
        port = free_port()
        env = {
            "public_webhook_url": f"http://127.0.0.1:{port}/atlas/webhook",
            "webhook_host": "127.0.0.1",
            "webhook_port": port,
        }
        polling = {"webhook_safety_interval_seconds": 0.4}
    async with running_world(
        tmp_path,
        env=env,
        polling=polling,
        max_concurrent_jobs_per_user="5",
        max_concurrent_jobs_per_guild=str(JOBS),
        default_guild_cap_usd="100.00",
    ) as world:
        for member in MEMBERS:
            world.discord.add_member(GUILD, member, name=f"member{member}")
        storm.install(world.sim)
        image = world.discord.add_attachment(
            "pic.png", png(256, 256), content_type="image/png", width=256, height=256
        )
        interactions: dict[str, FakeInteraction] = {}
        for n in range(JOBS):
            member = MEMBERS[n % len(MEMBERS)]
            prompt = f"storm job {n}"
            options: dict[str, object] = {"prompt": prompt}
            command = "video"
            if n % 2:  # half go through uploadMedia too
                command, options["image"] = "animate", image
            interactions[prompt] = await world.discord.invoke(
                command, user_id=member, guild_id=GUILD, channel_id=CHANNEL, options=options
            )

        def all_ended() -> bool:
            return all(i.message is not None and is_final(i.message) for i in interactions.values())

        await world.discord.wait_until(all_ended, timeout=45, what="every storm job to end")
        # The message shows the ending a moment before the job row records it.
        await until(lambda: _settled(world), "every job to be recorded as ended")
        storm.active = False
        endings = Counter(_ending(i.message) for i in interactions.values() if i.message)
        by_job = {_job_id(i.message): (p, i.message) for p, i in interactions.items() if i.message}

    # Atlas created each job at most once (a 429/503 refusal is retried; a 500 or a lost
    # answer on submit is never resent).
    created = created_by_prompt(world.sim)
    assert max(created.values(), default=0) <= 1, created.most_common(3)
    # The storm hit every endpoint with every kind of fault.
    hit = {endpoint for endpoint, _ in storm.injected}
    # (With webhooks a job is rarely polled: its call says it ended.)
    assert hit >= {"submit", "upload", "download"} | ({"poll"} if not webhooks else set())
    assert {status for _, status in storm.injected} == {429, 500, 503, "drop", "created-500"}

    facts = await check_ledger(tmp_path / "data" / "bot.sqlite3", world.settings)
    check_against_atlas(facts, world.sim, ONE_JOB)
    assert len(facts.jobs) == JOBS
    assert set(endings) <= {"Done", "Failed", "We"}, endings
    assert endings["Done"] >= JOBS // 2, endings
    for job_id, (prompt, message) in by_job.items():
        job, settlement = facts.jobs[job_id], facts.settlements[job_id]
        ending = _ending(message)
        if ending == "Done":
            assert job.state is JobState.DELIVERED
            assert created[prompt] == 1
            assert settlement is not None
            assert settlement.outcome == "captured"
            assert settlement.amount == ONE_JOB
        elif ending == "Failed":
            assert job.state in (JobState.FAILED, JobState.EXPIRED)
            assert settlement is not None
            assert settlement.outcome == "released"
        else:  # the submit's answer was lost or was a 500: Atlas may have the job
            assert job.state is JobState.UNCERTAIN
            assert settlement is None, "held for the admin"
            if webhooks:
                assert created[prompt] == 0, "Atlas's call would have named a job it created"
    mode = "webhooks" if webhooks else "polling"
    print(f"storm ({mode}): endings {dict(endings)}, faults {sum(storm.injected.values())}")
