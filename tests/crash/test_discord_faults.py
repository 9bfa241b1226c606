"""Discord faults mid-job: rate-limited edits, a 5xx on the video upload, and the gateway
dropping and resuming. The job still ends on the member's message, once, paid once."""

from __future__ import annotations

from pathlib import Path

from bot.jobs.record import JobState
from tests.crash.gates import created_by_prompt
from tests.crash.ledger_check import check_ledger
from tests.crash.waiting import until
from tests.e2e.conftest import GUILD, MEMBER, OTHER_MEMBER, World, running_world, status_of
from tests.fake_discord import FakeInteraction, FakeMessage

ONE_JOB = 1_000_000
ORIGINAL = r"/messages/@original$"


async def _generating(world: World) -> bool:
    jobs = await world.bot.job_store.recent(MEMBER, GUILD)
    return bool(jobs) and jobs[0].state is JobState.GENERATING


async def _delivered_once(world: World, interaction: FakeInteraction) -> FakeMessage:
    message = await world.final(interaction)
    assert status_of(message).startswith("Done"), status_of(message)
    assert len(message.attachments) == 1, "the video is attached, once"
    assert message.attachments[0].data[4:8] == b"ftyp"
    return message


async def _ledger_delivered(world: World, jobs: int = 1) -> None:
    async def settled() -> bool:  # the message shows Done a moment before the row does
        return not await world.bot.job_store.unfinished()

    await until(settled, "every job to be recorded as ended")
    facts = await check_ledger(world.settings.env.database_path, world.settings)
    assert len(facts.jobs) == jobs
    for job_id, job in facts.jobs.items():
        settlement = facts.settlements[job_id]
        assert job.state is JobState.DELIVERED
        assert settlement is not None
        assert (settlement.outcome, settlement.amount) == ("captured", ONE_JOB)
    assert set(created_by_prompt(world.sim).values()) == {1}, "each job created once at Atlas"


async def test_rate_limited_edits_are_retried_and_the_video_arrives(tmp_path: Path) -> None:
    async with running_world(tmp_path) as world:
        world.discord.fail_next("PATCH", ORIGINAL, 429, count=3, retry_after=0.05)
        interaction = await world.video(prompt="a kite on a windy beach")
        await _delivered_once(world, interaction)
        limited = [r for r in world.discord.requests_to("PATCH", ORIGINAL) if r.status == 429]
        assert len(limited) == 3
        await _ledger_delivered(world)


async def test_server_error_on_the_video_upload_is_retried(tmp_path: Path) -> None:
    async with running_world(tmp_path) as world:
        # A short pause before the download leaves room to aim the fault at the upload.
        world.sim.fail_next("download", 503)
        world.sim.retry_after = "0.3"
        interaction = await world.video(prompt="a glass of water, slow motion")
        await until(lambda: bool(world.sim.requests_to(".mp4", "GET")), "the first download")
        world.discord.fail_next("PATCH", ORIGINAL, 500)
        await _delivered_once(world, interaction)
        uploads = [r for r in world.discord.requests_to("PATCH", ORIGINAL) if r.files]
        assert [r.status for r in uploads] == [500, 200], "refused once, then accepted"
        await _ledger_delivered(world)


async def test_gateway_drop_and_resume_mid_job(tmp_path: Path) -> None:
    async with running_world(tmp_path) as world:
        world.sim.script_prompt("[long]", generation_seconds=600)
        first = await world.video(prompt="a snail crossing a road [long]")
        await until(lambda: _generating(world), "the job to be generating")

        await world.discord.drop_gateway(resumable=True)
        # A command sent while the bot is away reaches it in the RESUME replay.
        second = await world.video(user_id=OTHER_MEMBER, prompt="a heron fishing")
        await world.discord.wait_resumed(timeout=10)
        assert world.discord.gateway.identifies == 1, "resumed, not a new session"

        world.sim.complete_now(next(iter(world.sim.jobs)))
        await _delivered_once(world, first)
        await _delivered_once(world, second)
        await _ledger_delivered(world, jobs=2)
