"""`kill -9` the bot during each new kind of job (an extension, an edit of a member's clip,
an upscale, a first-and-last-frame video, the prompt helper), start it again on the same
database, and check that the job is delivered (or released, or kept uncertain) exactly once:
one video on its message, Atlas asked once, one settlement, the ledger whole.

As in test_kill_restart.py: the bot is a child process; a gate on the simulator parks it at
the stage under test, so the kill lands exactly there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.jobs.record import JobRecord, JobState
from tests.crash.ledger_check import LedgerFacts, check_ledger
from tests.crash.world import CHANNEL, GUILD, MEMBER, CrashWorld, crash_world, message_status
from tests.fake_discord import FakeInteraction, FakeMessage
from tests.images import png
from tests.videos import mp4

ONE_VIDEO = 1_000_000  # the default /video: Gemini, 8 s at 1080p


async def _first_video(world: CrashWorld) -> FakeMessage:
    """A finished video to carry further (before the gates close)."""
    message = await world.until_final(await world.video(prompt="a paper boat on a pond"))
    assert message_status(message).startswith("Done"), message_status(message)
    await world.until(lambda: world.job_state(0) == JobState.DELIVERED, "the first delivery")
    return message


async def _click(
    world: CrashWorld, message: FakeMessage, prefix: str, values: list[str] | None = None
) -> FakeInteraction:
    custom_id = next(c for c in message.custom_ids() if c.startswith(prefix))
    clicked = await world.discord.click(
        message.id, custom_id, user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL, values=values
    )
    await world.until(lambda: clicked.response_type is not None, f"an answer to {prefix}")
    return clicked


async def _extend(world: CrashWorld, first: FakeMessage | None) -> FakeInteraction:
    assert first is not None
    opened = await _click(world, first, "job:extend:")
    return await world.discord.submit_modal(
        (opened.response_data or {})["custom_id"],
        {"prompt": "the boat sails out to sea", "seconds": "6"},
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
    )


async def _edit_own_clip(world: CrashWorld, first: FakeMessage | None) -> FakeInteraction:
    clip = world.discord.add_attachment("clip.mp4", mp4(6), content_type="video/mp4")
    return await world.discord.invoke(
        "edit-video",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"video": clip, "prompt": "make it night"},
    )


async def _upscale(world: CrashWorld, first: FakeMessage | None) -> FakeInteraction:
    assert first is not None
    chooser = await _click(world, first, "job:upscale:")
    await world.until(lambda: chooser.message is not None, "the resolutions")
    assert chooser.message is not None
    (menu,) = [c for row in chooser.message.components for c in row["components"]]
    return await world.discord.click(
        chooser.message.id,
        menu["custom_id"],
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        values=["2k"],
    )


async def _last_frame(world: CrashWorld, first: FakeMessage | None) -> FakeInteraction:
    start, end = (
        world.discord.add_attachment(
            name, png(256, 256), content_type="image/png", width=256, height=256
        )
        for name in ("start.png", "end.png")
    )
    return await world.animate(start, prompt="a door opens", last_image=end)


Ask = Callable[[CrashWorld, FakeMessage | None], Awaitable[FakeInteraction]]

KINDS: list[tuple[str, bool, Ask, str, int]] = [
    # (kind, from a finished video, how the member asks, the model, what it is charged)
    ("extend", True, _extend, "google/gemini-omni-1.1-flash/video-extend", 150_000),
    ("edit", False, _edit_own_clip, "google/gemini-omni-flash/video-edit", 840_000),
    ("upscale", True, _upscale, "atlascloud/video-upscaler", 50_000),
    ("last frame", False, _last_frame, "bytedance/seedance-2.0/image-to-video", 1_935_200),
]


def _created(world: CrashWorld, model: str) -> int:
    """Jobs Atlas created (and so may bill) for `model`."""
    return sum(1 for job in world.sim.jobs.values() if job.model == model)


def _public_messages(world: CrashWorld) -> list[FakeMessage]:
    return [m for m in world.discord.messages.values() if not m.ephemeral and not m.deleted]


async def _restart(world: CrashWorld) -> None:
    world.bots[-1].kill()
    world.gates.open_all()
    world.start_bot()


@pytest.mark.parametrize(
    ("from_video", "ask", "model", "charged"),
    [pytest.param(*kind[1:], id=kind[0]) for kind in KINDS],
)
async def test_killed_while_generating_is_delivered_once(
    tmp_path: Path, from_video: bool, ask: Ask, model: str, charged: int
) -> None:
    async with crash_world(tmp_path) as world:
        world.start_bot()
        await world.wait_connected()
        first = await _first_video(world) if from_video else None
        index = 1 if from_video else 0
        poll = world.gates.close("poll")
        interaction = await ask(world, first)
        await world.until(
            lambda: poll.arrived >= 1 and world.job_state(index) == JobState.SUBMITTED,
            "the new job's first poll",
            timeout=20,
        )

        await _restart(world)
        message = await world.until_final(interaction, timeout=20)
        await world.until(
            lambda: world.job_state(index) == JobState.DELIVERED, "the delivery to be stored"
        )
        world.kill_bots()

        assert message_status(message).startswith("Done"), (
            f"{message_status(message)}\n{world.logs()}"
        )
        assert len(message.attachments) == 1, "the video is attached once"
        assert len(_public_messages(world)) == 1 + index, "no second message for the same job"
        assert _created(world, model) == 1, "Atlas was asked once"
        facts = await check_ledger(world.db_path, world.settings)
        job = facts.job(index)
        assert (job.model, job.state, job.message_id) == (model, JobState.DELIVERED, message.id)
        settlement = facts.settlement(index)
        assert settlement is not None
        assert (settlement.outcome, settlement.amount) == ("captured", charged)
        summary = facts.summaries[(MEMBER, GUILD)]
        assert (summary.spent, summary.held) == (ONE_VIDEO * index + charged, 0)


async def test_killed_while_the_input_video_goes_to_atlas_holds_nothing(tmp_path: Path) -> None:
    async with crash_world(tmp_path) as world:
        world.start_bot()
        await world.wait_connected()
        first = await _first_video(world)
        upload = world.gates.close("upload")
        await _extend(world, first)
        await world.until(lambda: upload.arrived == 1, "the video upload to reach Atlas")

        await _restart(world)
        await world.wait_connected()
        world.kill_bots()

        assert not world.sim.requests_to("/model/generateVideo", "POST")[1:], "never submitted"
        facts = await check_ledger(world.db_path, world.settings)
        assert len(facts.jobs) == 1, "the extension never had a job, nor a hold"
        summary = facts.summaries[(MEMBER, GUILD)]
        assert (summary.spent, summary.held) == (ONE_VIDEO, 0)


async def test_killed_during_the_prompt_helpers_call_keeps_its_bound_held_once(
    tmp_path: Path,
) -> None:
    async with crash_world(tmp_path) as world:
        world.start_bot()
        await world.wait_connected()
        first = await _first_video(world)
        chat = world.gates.close("chat")
        await _click(world, first, "job:improve:")
        await world.until(
            lambda: chat.arrived == 1 and world.job_state(1) == JobState.SUBMITTING,
            "the chat call to reach Atlas",
        )

        await _restart(world)
        # Atlas may have answered (and billed): the most it could cost stays held, once.
        await world.until(lambda: world.job_state(1) == JobState.UNCERTAIN, "the uncertain mark")
        world.kill_bots()

        assert len(world.sim.requests_to("/v1/chat/completions", "POST")) == 1, "asked once"
        facts: LedgerFacts = await check_ledger(world.db_path, world.settings)
        job: JobRecord = facts.job(1)
        assert (job.model, job.state, job.prediction_id) == (
            "qwen/qwen3-8b",
            JobState.UNCERTAIN,
            None,
        )
        assert facts.settlement(1) is None, "neither captured nor released: an admin decides"
        summary = facts.summaries[(MEMBER, GUILD)]
        assert (summary.spent, summary.held) == (ONE_VIDEO, job.quote)
