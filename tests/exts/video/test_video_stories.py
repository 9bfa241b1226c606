"""Stories of members making videos, end to end: real discord.py against the fake Discord,
the real Atlas client against the simulator, the real ledger on a temporary SQLite file."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

from bot.jobs.record import JobState
from tests.e2e.conftest import (
    CHANNEL,
    GUILD,
    MEMBER,
    OTHER_MEMBER,
    World,
    running_world,
    status_of,
)
from tests.fake_discord.models import ManualClock
from tests.images import png

GEMINI_T2V = "google/gemini-omni-flash/text-to-video-developer"
GEMINI_I2V = "google/gemini-omni-flash/image-to-video-developer"


async def test_video_is_generated_delivered_and_charged(world: World) -> None:
    # Long enough that a poll sees it in progress even on a loaded machine.
    world.sim.script_prompt("red fox", generation_seconds=0.8)
    interaction = await world.video(prompt="a red fox running through snow")
    await interaction.wait_response()
    assert interaction.response_type == 4, "a public message right away"
    assert not (interaction.response_data or {}).get("flags", 0) & 64, "not ephemeral"
    message = await world.final(interaction)

    # Three messages in all: queued (the reply), generating (one edit; the member's client
    # counts the elapsed time up from a timestamp), done. A small video is downloaded too
    # quickly for an edit of its own.
    statuses = [status_of_body(edit) for edit in message.edits]
    assert [s.split(":")[0].split(" ")[0] for s in statuses] == ["Queued", "Generating", "Done"]
    started = re.search(r"started <t:(\d+):R>, usually takes about (\d+m )?\d+s", statuses[1])
    assert started is not None, statuses[1]
    assert abs(int(started.group(1)) - time.time()) < 30

    assert len(message.attachments) == 1
    video = message.attachments[0]
    assert video.filename.endswith(".mp4")
    assert video.data[4:8] == b"ftyp", "a real MP4 was relayed"
    fields = _fields(message)
    assert fields["Cost"] == "USD 1.00 charged"
    assert fields["You have left"].startswith("USD 4.00 until <t:")

    # Atlas saw exactly one submit, with the model's own parameter names.
    submits = [r for r in world.sim.requests if r.path.endswith("/model/generateVideo")]
    assert len(submits) == 1
    body = submits[0].json
    assert body["model"] == GEMINI_T2V
    assert body["prompt"] == "a red fox running through snow"
    assert (body["duration"], body["aspect_ratio"], body["resolution"]) == (8, "16:9", "1080p")
    assert isinstance(body["seed"], int)

    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (1_000_000, 0)
    job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
    assert job.state is JobState.DELIVERED
    assert job.message_id == message.id
    assert job.prediction_id


async def test_a_slow_download_is_shown_before_the_video_arrives(world: World) -> None:
    # Only a step that takes a while gets an edit of its own; with no patience at all, the
    # download of the video (the step under test) is always "a while".
    world.extra["notice_after_seconds"] = 0.0
    await world.restart()
    interaction = await world.video(prompt="a lighthouse at dusk")
    message = await world.final(interaction)

    statuses = [status_of_body(edit).split(":")[0] for edit in message.edits]
    assert statuses[:3] == ["Queued", "Generating", "Fetching your video"]
    assert statuses[3].startswith("Done in")
    assert len(statuses) == 4
    assert len(message.attachments) == 1


async def test_options_reach_atlas_under_the_models_own_names(world: World) -> None:
    interaction = await world.video(
        prompt="waves at dusk",
        model="bytedance/seedance-2.0/text-to-video",
        duration=5,
        aspect_ratio="1:1",
        resolution="720p",
        seed=42,
    )
    message = await world.final(interaction)
    assert status_of(message).startswith("Done")
    body = next(r.json for r in world.sim.requests if r.path.endswith("/generateVideo"))
    assert body["ratio"] == "1:1"
    assert "aspect_ratio" not in body
    assert (body["duration"], body["resolution"], body["seed"]) == (5, "720p", 42)


async def test_animate_uploads_three_images_then_submits_their_urls(world: World) -> None:
    images = [
        world.discord.add_attachment(
            f"pic{i}.png", png(256, 200 + i), content_type="image/png", width=256, height=200 + i
        )
        for i in range(3)
    ]
    interaction = await world.animate(images, prompt="make them dance")
    message = await world.final(interaction)
    assert status_of(message).startswith("Done"), status_of(message)
    statuses = [status_of_body(edit) for edit in message.edits]
    assert any(s.startswith("Uploading") for s in statuses)
    uploads = [r for r in world.sim.requests if r.path.endswith("/model/uploadMedia")]
    assert len(uploads) == 3
    body = next(r.json for r in world.sim.requests if r.path.endswith("/generateVideo"))
    assert body["model"] == GEMINI_I2V
    assert len(body["images"]) == 3
    assert all(url.startswith("http://127.0.0.1") for url in body["images"])
    assert _fields(message)["Images"] == "3"


async def test_bad_attachment_is_refused_before_anything_is_held(world: World) -> None:
    tiny = world.discord.add_attachment(
        "tiny.png", png(64, 64), content_type="image/png", width=64, height=64
    )
    gif = world.discord.add_attachment(
        "anim.gif", b"GIF89a" + b"\0" * 100, content_type="image/gif", width=300, height=300
    )
    huge = world.discord.add_attachment(
        "huge.png", png(300, 300), content_type="image/png", width=300, height=300, size=25_000_000
    )
    expected = {
        "tiny.png": "is too small",
        "anim.gif": "is not a PNG, JPEG or WebP",
        "huge.png": "larger than 20 MB",
    }
    for attachment in (tiny, gif, huge):
        interaction = await world.animate([attachment], prompt="go")
        await interaction.wait_response()
        data = interaction.response_data or {}
        assert data.get("flags", 0) & 64, "ephemeral"
        assert expected[attachment["filename"]] in data["content"]
    assert not [r for r in world.sim.requests if "/model/" in r.path], "Atlas never called"
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (0, 0)


async def test_exhausted_budget_says_what_is_left_and_charges_nothing(tmp_path: Path) -> None:
    async with running_world(tmp_path, default_user_limit_usd="0.50") as world:
        interaction = await world.video(prompt="a castle")
        await interaction.wait_response()
        data = interaction.response_data or {}
        assert data.get("flags", 0) & 64
        assert "costs USD 1.00" in data["content"]
        assert "you have USD 0.50 left until <t:" in data["content"]
        assert not [r for r in world.sim.requests if "/model/" in r.path]
        summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
        assert (summary.spent, summary.held) == (0, 0)


async def test_content_rejected_job_is_released_and_explained(world: World) -> None:
    world.sim.script_prompt("[forbidden]", outcome="reject")
    interaction = await world.video(prompt="something [forbidden]")
    message = await world.final(interaction)
    status = status_of(message)
    assert status.startswith("Failed: nothing was charged")
    assert "content moderation rejected" in status
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (0, 0)
    job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
    assert job.state is JobState.REJECTED


async def test_atlas_refusing_the_submit_releases_the_hold(world: World) -> None:
    world.sim.fail_next("submit", 402)
    interaction = await world.video(prompt="a lighthouse")
    message = await world.final(interaction)
    assert "out of balance" in status_of(message)
    assert world.sim.submits_by_prompt["a lighthouse"] <= 1
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (0, 0)


async def test_video_that_cannot_fit_discord_even_compressed_is_sent_as_a_link(
    world: World,
) -> None:
    world.sim.script_prompt("[huge]", output_bytes=3_000_000)
    interaction = await world.discord.invoke(
        "video",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"prompt": "an epic [huge] film"},
        attachment_size_limit=5_000,  # less than an MP4's own boxes
    )
    message = await world.final(interaction)
    assert status_of(message).startswith("Done")
    assert message.attachments == []
    content = message.content or ""
    assert "The video (2.9 MB) is too large for this server's 5 KB limit, even compressed" in (
        content
    )
    assert "http://127.0.0.1" in content
    assert "Atlas keeps it until <t:" in content, "the link's expiry, as a Discord timestamp"
    assert "It is charged all the same" in content
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert summary.spent == 1_000_000, "Atlas billed it, so it is charged"


async def test_reroll_runs_again_with_a_new_seed_through_the_budget(world: World) -> None:
    first = await world.video(prompt="a paper boat", seed=7)
    message = await world.final(first)
    reroll = _button(message, "job:reroll:")
    second = await world.discord.click(
        message.id, reroll, user_id=OTHER_MEMBER, guild_id=GUILD, channel_id=CHANNEL
    )
    again = await world.final(second)
    assert status_of(again).startswith("Done")
    assert again.id != message.id
    bodies = [r.json for r in world.sim.requests if r.path.endswith("/generateVideo")]
    assert [b["prompt"] for b in bodies] == ["a paper boat", "a paper boat"]
    assert bodies[0]["seed"] == 7
    assert bodies[1]["seed"] != 7
    bob = await world.bot.ledger.summary(OTHER_MEMBER, GUILD, [])
    assert bob.spent == 1_000_000, "the re-roll is charged to whoever clicked"


async def test_cancel_before_submit_releases_the_hold(world: World) -> None:
    image = world.discord.add_attachment(
        "cat.png", png(), content_type="image/png", width=256, height=256
    )
    world.sim.slow_seconds = 1.0  # the upload to Atlas takes a while
    interaction = await world.animate([image], prompt="cat jumps")
    message = await interaction.wait_message(lambda m: _has_button(m, "job:cancel:"))
    cancel = _button(message, "job:cancel:")

    stranger = await world.discord.click(
        message.id, cancel, user_id=OTHER_MEMBER, guild_id=GUILD, channel_id=CHANNEL
    )
    await stranger.wait_response()
    assert "Only the member who asked" in (stranger.response_data or {})["content"]

    click = await world.discord.click(
        message.id, cancel, user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL
    )
    await click.wait_response()
    assert click.response_type == 7, "the job message itself is updated"
    final = await interaction.wait_message(lambda m: status_of(m).startswith("Cancelled"))
    assert not _has_button(final, "job:cancel:")
    world.sim.slow_seconds = 0
    await asyncio.sleep(0.3)
    assert world.sim.submits_by_prompt["cat jumps"] == 0, "never submitted"
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (0, 0)
    job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
    assert job.state is JobState.CANCELLED


async def test_after_fifteen_minutes_edits_go_through_the_channel(tmp_path: Path) -> None:
    clock = ManualClock()
    async with running_world(tmp_path, monotonic=clock) as world:
        world.discord.clock = clock
        world.sim.script_prompt("[slow]", generation_seconds=1.0)
        interaction = await world.video(prompt="a [slow] sunrise")
        await interaction.wait_message(lambda m: status_of(m).startswith(("Submitted", "Gen")))
        clock.advance(16 * 60)
        message = await world.final(interaction)
        assert status_of(message).startswith("Done")
        assert len(message.attachments) == 1
        channel_edits = world.discord.requests_to(
            "PATCH", rf"/channels/{CHANNEL}/messages/{message.id}"
        )
        assert channel_edits, "the final edits used the channel message API"
        late_webhook = [
            r
            for r in world.discord.requests_to("PATCH", r"/webhooks/.*/messages/@original")
            if r.at >= channel_edits[0].at
        ]
        assert not late_webhook, "no interaction-webhook edit after the token expired"


def status_of_body(body: dict[str, object]) -> str:
    for embed in body.get("embeds") or []:  # type: ignore[attr-defined]
        for field in embed.get("fields", []):
            if field["name"] == "Status":
                return str(field["value"])
    return ""


def _fields(message: object) -> dict[str, str]:
    embed = message.embeds[0]  # type: ignore[attr-defined]
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


def _buttons(message: object) -> list[str]:
    return [
        c["custom_id"]
        for row in message.components  # type: ignore[attr-defined]
        for c in row.get("components", [])
        if "custom_id" in c
    ]


def _has_button(message: object, prefix: str) -> bool:
    return any(b.startswith(prefix) for b in _buttons(message))


def _button(message: object, prefix: str) -> str:
    return next(b for b in _buttons(message) if b.startswith(prefix))


async def test_jobs_beyond_the_in_flight_limit_wait_their_turn(tmp_path: Path) -> None:
    async with running_world(tmp_path, max_in_flight=1) as world:
        world.sim.script_prompt("[first]", generation_seconds=0.6)
        first = await world.video(prompt="the [first] video")
        await first.wait_message(lambda m: status_of(m).startswith(("Submitted", "Generating")))
        second = await world.video(user_id=OTHER_MEMBER, prompt="the second video")
        waiting = await second.wait_message(lambda m: "in line" in status_of(m))
        assert status_of(waiting).startswith("Queued: number 1 in line in this server, expected")
        assert world.sim.submits_by_prompt["the second video"] == 0
        done = await world.final(second)
        assert status_of(done).startswith("Done")
        first_done = await world.final(first)
        assert status_of(first_done).startswith("Done")
        submits = [
            r.json["prompt"] for r in world.sim.requests if r.path.endswith("/generateVideo")
        ]
        assert submits == ["the [first] video", "the second video"]


async def test_dry_run_uses_the_built_in_simulator_and_says_so(tmp_path: Path) -> None:
    dry_run = {"atlas_mode": "simulate", "atlascloud_api_key": None}
    async with running_world(tmp_path, env=dry_run) as world:
        world.bot.services.simulator.generation_seconds = 0.1  # type: ignore[union-attr]
        interaction = await world.video(prompt="a free test video")
        message = await world.final(interaction)
        assert status_of(message).startswith("Done")
        assert message.embeds[0]["title"] == "Video (simulated: nothing is billed)"
        assert len(message.attachments) == 1
        assert not world.sim.requests, "the configured Atlas URL was never called"


async def test_a_button_that_fails_still_answers_the_member(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = await world.final(await world.video(prompt="a lantern"))

    async def broken(job_id: str) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(world.bot.jobs, "job", broken)
    click = await world.discord.click(
        message.id,
        _button(message, "job:reroll:"),
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
    )
    await click.wait_response()
    data = click.response_data or {}
    assert data["flags"] & 64
    assert data["content"].startswith("Something went wrong on our side")
