"""`kill -9` the bot at each stage of a job, start it again on the same database, and check
that the member's message ends delivered (or failed with nothing charged, or uncertain with
the money on hold), that Atlas never saw the job twice and that the ledger is whole.

The bot runs as a child process (`python -m bot run`); the fake Discord and the Atlas
simulator run in the test's loop, and a gate on the simulator parks the bot at the stage
under test, so the kill lands exactly there.
"""

from __future__ import annotations

from pathlib import Path

from bot.jobs.record import JobState
from tests.crash.gates import created_by_prompt
from tests.crash.ledger_check import LedgerFacts, check_ledger
from tests.crash.world import CHANNEL, GUILD, MEMBER, CrashWorld, crash_world, message_status
from tests.fake_discord import FakeInteraction, FakeMessage, RecordedRequest
from tests.images import png

ONE_JOB = 1_000_000  # the default /video: Gemini, 8 s at 1080p = USD 0.20 + 8 x 0.10


def _channel_edits(world: CrashWorld, message: FakeMessage) -> list[RecordedRequest]:
    """Edits of the job message through the channel API (the only way after a restart)."""
    return world.discord.requests_to("PATCH", rf"^/channels/{CHANNEL}/messages/{message.id}$")


def _public_messages(world: CrashWorld) -> list[FakeMessage]:
    return [m for m in world.discord.messages.values() if not m.ephemeral and not m.deleted]


def _submitted_once(world: CrashWorld, prompt: str) -> None:
    assert world.sim.submits_by_prompt[prompt] == 1, world.sim.submits_by_prompt
    assert created_by_prompt(world.sim)[prompt] == 1


async def _restart(world: CrashWorld) -> None:
    world.bots[-1].kill()
    world.gates.open_all()
    world.start_bot()


async def _delivered_once(
    world: CrashWorld, interaction: FakeInteraction, prompt: str, *, timeout: float = 10
) -> LedgerFacts:
    """The story ends as if nothing happened: one video, on the original message, paid once."""
    message = await world.until_final(interaction, timeout)
    # The message shows Done a moment before the row says delivered; then crash again.
    await world.until(lambda: world.job_state() == JobState.DELIVERED, "the delivery to be stored")
    world.kill_bots()
    status = message_status(message)
    assert status.startswith("Done"), f"{status!r}\n{world.logs()}"
    assert len(message.attachments) == 1, "the video is attached once"
    assert message.attachments[0].data[4:8] == b"ftyp"
    assert _channel_edits(world, message), "the restarted bot edits the original message"
    assert _public_messages(world) == [message], "no second message for the same job"
    _submitted_once(world, prompt)
    facts = await check_ledger(world.db_path, world.settings)
    job = facts.job()
    assert job.state is JobState.DELIVERED
    assert job.message_id == message.id
    settlement = facts.settlement()
    assert settlement is not None
    assert (settlement.outcome, settlement.amount) == ("captured", ONE_JOB)
    summary = facts.summaries[(MEMBER, GUILD)]
    assert (summary.spent, summary.held) == (ONE_JOB, 0)
    return facts


async def test_killed_right_after_reserve_releases_the_hold(tmp_path: Path) -> None:
    async with crash_world(tmp_path) as world:
        world.start_bot()
        await world.wait_connected()
        # Discord makes the bot wait before it may answer: the job is held, with no message.
        world.discord.fail_next("POST", r"^/interactions/\d+/[^/]+/callback$", 429, retry_after=30)
        prompt = "a dog chasing its tail"
        await world.video(prompt=prompt)
        await world.until(lambda: world.job_state() == JobState.HELD, "the hold")
        await world.until(
            lambda: bool(world.discord.requests_to("POST", r"/callback$")),
            "the answer to be refused",
        )

        await _restart(world)
        await world.until(lambda: world.job_state() == JobState.FAILED, "the job to be released")
        world.kill_bots()

        assert world.sim.submits_by_prompt[prompt] == 0, "never submitted"
        assert not _public_messages(world), "the member never got a message to edit"
        facts = await check_ledger(world.db_path, world.settings)
        assert facts.job().message_id is None
        settlement = facts.settlement()
        assert settlement is not None
        assert settlement.outcome == "released"
        summary = facts.summaries[(MEMBER, GUILD)]
        assert (summary.spent, summary.held) == (0, 0)


async def test_killed_while_uploading_images_is_released_and_says_so(tmp_path: Path) -> None:
    async with crash_world(tmp_path) as world:
        world.start_bot()
        await world.wait_connected()
        upload = world.gates.close("upload")
        image = world.discord.add_attachment(
            "cat.png", png(256, 256), content_type="image/png", width=256, height=256
        )
        prompt = "the cat waves"
        interaction = await world.animate(image, prompt=prompt)
        await world.until(
            lambda: upload.arrived == 1 and world.job_state() == JobState.UPLOADING,
            "the image upload to reach Atlas",
        )

        await _restart(world)
        message = await world.until_final(interaction)
        world.kill_bots()

        status = message_status(message)
        assert status.startswith("Failed: nothing was charged"), f"{status!r}\n{world.logs()}"
        assert "restarted" in status
        assert _channel_edits(world, message)
        assert world.sim.submits_by_prompt[prompt] == 0, "never submitted"
        assert not world.sim.jobs
        facts = await check_ledger(world.db_path, world.settings)
        assert facts.job().state is JobState.FAILED
        settlement = facts.settlement()
        assert settlement is not None
        assert settlement.outcome == "released"
        summary = facts.summaries[(MEMBER, GUILD)]
        assert (summary.spent, summary.held) == (0, 0)


async def test_killed_while_submitting_keeps_the_hold_as_uncertain(tmp_path: Path) -> None:
    async with crash_world(tmp_path) as world:
        world.start_bot()
        await world.wait_connected()
        # Atlas creates the job, but its answer (the prediction id) never reaches the bot.
        submit = world.gates.close("submit", after_handler=True)
        prompt = "a paper boat in the rain"
        interaction = await world.video(prompt=prompt)
        await world.until(
            lambda: submit.arrived == 1 and world.job_state() == JobState.SUBMITTING,
            "the submit to reach Atlas",
        )
        assert len(world.sim.jobs) == 1

        await _restart(world)
        message = await world.until_final(interaction)
        world.kill_bots()

        status = message_status(message)
        assert status.startswith("We could not confirm"), f"{status!r}\n{world.logs()}"
        assert _channel_edits(world, message)
        _submitted_once(world, prompt)
        facts = await check_ledger(world.db_path, world.settings)
        job = facts.job()
        assert job.state is JobState.UNCERTAIN
        assert job.prediction_id is None
        assert facts.settlement() is None, "the hold stays for an admin's decision"
        summary = facts.summaries[(MEMBER, GUILD)]
        assert (summary.spent, summary.held) == (0, ONE_JOB)


async def test_killed_after_submit_resumes_the_stored_prediction(tmp_path: Path) -> None:
    async with crash_world(tmp_path) as world:
        world.start_bot()
        await world.wait_connected()
        poll = world.gates.close("poll")
        prompt = "a hot air balloon over hills"
        interaction = await world.video(prompt=prompt)
        await world.until(
            lambda: poll.arrived >= 1 and world.job_state() == JobState.SUBMITTED,
            "the first poll of the submitted job",
        )
        prediction_id = world.jobs()[0]["prediction_id"]
        assert prediction_id in world.sim.jobs

        await _restart(world)
        await _delivered_once(world, interaction, prompt)
        polls = world.sim.requests_to(f"/model/prediction/{prediction_id}", "GET")
        assert len(polls) >= 2, "the restarted bot polled the stored prediction"


async def test_killed_while_generating_resumes_and_delivers_once(tmp_path: Path) -> None:
    async with crash_world(tmp_path) as world:
        world.sim.script_prompt("[long]", generation_seconds=600)
        world.start_bot()
        await world.wait_connected()
        prompt = "a whale under the northern lights [long]"
        interaction = await world.video(prompt=prompt)
        await world.until(
            lambda: world.job_state() == JobState.GENERATING, "the job to be generating"
        )
        prediction_id = world.jobs()[0]["prediction_id"]

        await _restart(world)
        path = f"/model/prediction/{prediction_id}"
        polled = len(world.sim.requests_to(path, "GET"))
        await world.until(
            lambda: len(world.sim.requests_to(path, "GET")) > polled,
            "the restarted bot to poll the stored prediction",
        )
        world.sim.complete_now(prediction_id)
        await _delivered_once(world, interaction, prompt)


async def test_killed_while_downloading_delivers_without_a_second_charge(tmp_path: Path) -> None:
    async with crash_world(tmp_path) as world:
        world.start_bot()
        await world.wait_connected()
        download = world.gates.close("download")
        prompt = "a train crossing a viaduct"
        interaction = await world.video(prompt=prompt)
        await world.until(
            lambda: download.arrived == 1 and world.job_state() == JobState.DOWNLOADING,
            "the output download to start",
        )

        await _restart(world)
        await _delivered_once(world, interaction, prompt)
        assert len(world.sim.requests_to(".mp4", "GET")) >= 2, "downloaded again after restart"


async def test_killed_while_uploading_to_discord_delivers_once(tmp_path: Path) -> None:
    async with crash_world(tmp_path) as world:
        world.start_bot()
        await world.wait_connected()
        download = world.gates.close("download")
        prompt = "fireworks over a harbour"
        interaction = await world.video(prompt=prompt)
        await world.until(lambda: download.arrived == 1, "the output download to start")
        # Discord makes the bot wait 30 s before the edit that carries the video...
        world.discord.fail_next("PATCH", r"/messages/@original$", 429, retry_after=30)
        download.open()

        def video_refused() -> bool:
            patches = world.discord.requests_to("PATCH", r"/messages/@original$")
            return any(p.files and p.status == 429 for p in patches)

        await world.until(video_refused, "the video upload to Discord")
        assert world.job_state() == JobState.DOWNLOADING
        # ...and the bot dies while it waits.
        await _restart(world)
        await _delivered_once(world, interaction, prompt)
