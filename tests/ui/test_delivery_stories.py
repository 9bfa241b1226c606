"""Stories of where finished videos go (/settings delivery): a thread per video, a gallery
channel with a link back, a direct message (or the channel, with a note, when DMs are closed);
after a restart and after the interaction token expired, and over the destination's upload
limit; end to end through discord.py, the fake Discord, the simulator and the ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.guilds.delivery import Posted
from bot.jobs.progress import JobStatus
from tests.e2e.conftest import (
    CHANNEL,
    GUILD,
    MEMBER,
    OTHER_MEMBER,
    World,
    running_world,
    status_of,
)
from tests.exts.settings.test_settings_stories import data, fields, settings
from tests.fake_discord import FakeMessage
from tests.fake_discord.models import ManualClock

GALLERY = 2002
OTHER_CHANNEL = 2003
PRICE = 1_000_000


def posted_in(world: World, channel_id: int) -> list[FakeMessage]:
    """The bot's messages in a channel, thread or DM, oldest first."""
    return [m for m in world.discord.messages.values() if m.channel_id == channel_id]


def job_link(message: FakeMessage, channel_id: int = CHANNEL) -> str:
    """The jump URL of the job message."""
    return f"https://discord.com/channels/{GUILD}/{channel_id}/{message.id}"


async def delivery(world: World, mode: str, **options: Any) -> dict[str, str]:
    """An admin runs /settings delivery; the settings embed's fields it answered with."""
    answer = await settings(world, "delivery", mode=mode, **options)
    assert data(answer)["content"] == "Saved.", data(answer)
    return fields(data(answer)["embeds"][0])


def is_mp4(message: FakeMessage) -> bool:
    """The message carries one MP4 video."""
    return len(message.attachments) == 1 and message.attachments[0].data[4:8] == b"ftyp"


async def test_thread_mode_posts_the_video_in_a_thread_named_after_the_prompt(
    world: World,
) -> None:
    shown = await delivery(world, "thread")
    assert shown["Where finished videos go"] == "In a thread started from the video's message"

    message = await world.final(await world.video(prompt="a lighthouse   in a\nstorm"))
    assert status_of(message).startswith("Done")
    assert message.content == f"Your video is in the thread <#{message.id}>."
    assert message.attachments == [], "the video is in the thread, not on the job message"
    thread = world.discord.guilds[GUILD].threads[message.id]
    assert (thread.name, thread.parent_id) == ("a lighthouse in a storm", CHANNEL)
    assert thread.auto_archive_duration == 60, "the thread archives itself after an hour"
    [post] = posted_in(world, message.id)
    assert is_mp4(post)
    assert post.content == f"<@{MEMBER}>, here is your video."
    sent = world.discord.requests_to("POST", rf"/channels/{message.id}/messages$")[0]
    pinged = [int(user) for user in sent.json["allowed_mentions"]["users"]]
    assert pinged == [MEMBER], "only the requester is pinged, to bring them into the thread"
    assert post.components == [], "the buttons stay on the job message"
    assert any(c.startswith("job:reroll:") for c in message.custom_ids()), "buttons stay"
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (PRICE, 0)


async def test_a_channel_may_keep_its_own_mode(world: World) -> None:
    world.discord.add_channel(GUILD, OTHER_CHANNEL, name="quick-videos")
    await delivery(world, "thread")
    shown = await delivery(world, "channel", channel=OTHER_CHANNEL)
    assert shown["Where finished videos go"] == (
        "In a thread started from the video's message\n"
        f"<#{OTHER_CHANNEL}>: In the channel where the video was asked for"
    )
    here = await world.discord.invoke(
        "video",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=OTHER_CHANNEL,
        options={"prompt": "a quick sketch"},
    )
    message = await world.final(here)
    assert is_mp4(message), "this channel keeps its videos"
    assert not world.discord.guilds[GUILD].threads

    shown = await delivery(world, "default", channel=OTHER_CHANNEL)
    assert shown["Where finished videos go"] == "In a thread started from the video's message"


async def test_gallery_mode_posts_in_the_gallery_with_a_link_back(world: World) -> None:
    world.discord.add_channel(GUILD, GALLERY, name="gallery")
    refused = await settings(world, "delivery", mode="gallery")
    assert "Choose the gallery channel too" in data(refused)["content"]
    shown = await delivery(world, "gallery", gallery=GALLERY)
    assert shown["Where finished videos go"] == (
        f"In the gallery channel <#{GALLERY}>, with a link back"
    )

    message = await world.final(await world.video(prompt="a paper crane"))
    [post] = posted_in(world, GALLERY)
    assert is_mp4(post)
    assert post.content == f"Requested by <@{MEMBER}>: [see the request]({job_link(message)})."
    gallery_fields = {f["name"] for f in post.embeds[0]["fields"]}
    assert "You have left" not in gallery_fields, "the member's budget stays off the gallery"
    assert message.content == (
        f"Your video is in <#{GALLERY}>: [open it]({job_link(post, GALLERY)})."
    )
    assert message.attachments == []


async def test_dm_mode_sends_the_video_privately(world: World) -> None:
    await delivery(world, "dm")
    message = await world.final(await world.video(prompt="a birthday cake"))
    assert message.content == "Your video was sent to you by direct message."
    dm = world.discord.dm_channels[MEMBER]
    [post] = posted_in(world, dm.id)
    assert is_mp4(post)
    assert post.content == f"Requested by <@{MEMBER}>: [see the request]({job_link(message)})."


async def test_closed_dms_deliver_in_the_channel_with_a_note(world: World) -> None:
    await delivery(world, "dm")
    world.discord.set_dms_open(MEMBER, False)
    message = await world.final(await world.video(prompt="a secret garden"))
    assert status_of(message).startswith("Done")
    assert is_mp4(message), "the video lands on the job message instead"
    assert message.content == "Your direct messages are closed, so your video is here instead."
    refused = world.discord.requests_to(
        "POST", rf"/channels/{world.discord.dm_channels[MEMBER].id}/"
    )
    assert [r.status for r in refused] == [403]
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert summary.spent == PRICE


async def test_a_dm_over_its_upload_limit_gets_a_smaller_rendition(world: World) -> None:
    """A boosted server attaches 25 MB, a DM only 10 MiB: an 11 MB video is compressed."""
    await delivery(world, "dm")
    world.sim.script_prompt("[big]", output_bytes=11_000_000)
    interaction = await world.discord.invoke(
        "video",
        user_id=OTHER_MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"prompt": "a [big] parade"},
        attachment_size_limit=25 * 1024 * 1024,
    )
    message = await world.final(interaction, timeout=30)
    assert message.content == "Your video was sent to you by direct message."
    [post] = posted_in(world, world.discord.dm_channels[OTHER_MEMBER].id)
    assert is_mp4(post)
    assert post.attachments[0].size <= 10 * 1024 * 1024
    assert "compressed to fit the 10 MB limit of direct messages" in (post.content or "")
    assert "[download it](http://127.0.0.1" in (post.content or ""), "the original's link"


async def test_a_thread_over_the_servers_upload_limit_gets_a_smaller_rendition(
    world: World,
) -> None:
    await delivery(world, "thread")
    world.sim.script_prompt("[huge]", output_bytes=3_000_000)
    world.discord.guilds[GUILD].upload_limit = 1_000_000
    interaction = await world.discord.invoke(
        "video",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"prompt": "an epic [huge] film"},
        attachment_size_limit=1_000_000,
    )
    message = await world.final(interaction, timeout=30)
    [post] = posted_in(world, message.id)
    assert is_mp4(post)
    assert post.attachments[0].size <= 1_000_000
    assert "compressed to fit this server's 977 KB limit" in (post.content or "")


async def choose(world: World, mode: str) -> None:
    """An admin sends videos by `mode` (the gallery is #gallery)."""
    if mode == "gallery":
        world.discord.add_channel(GUILD, GALLERY, name="gallery")
        await delivery(world, mode, gallery=GALLERY)
    else:
        await delivery(world, mode)


def delivered(world: World, mode: str, message: FakeMessage) -> tuple[FakeMessage, str]:
    """The one post holding the video, and what the job message should say about it."""
    if mode == "thread":
        [post] = posted_in(world, message.id)
        return post, f"Your video is in the thread <#{message.id}>."
    if mode == "gallery":
        [post] = posted_in(world, GALLERY)
        return post, f"Your video is in <#{GALLERY}>: [open it]({job_link(post, GALLERY)})."
    [post] = posted_in(world, world.discord.dm_channels[MEMBER].id)
    return post, "Your video was sent to you by direct message."


@pytest.mark.parametrize("mode", ["thread", "gallery", "dm"])
async def test_a_job_resumed_after_a_restart_is_delivered_where_its_row_says(
    world: World, mode: str
) -> None:
    await choose(world, mode)
    world.sim.script_prompt("[long]", generation_seconds=1.0)
    interaction = await world.video(prompt="a [long] train ride")
    await interaction.wait_message(lambda m: status_of(m).startswith(("Submitted", "Generating")))
    await delivery(world, "channel")  # a later change does not move a job already made
    await world.restart()

    message = await world.final(interaction)
    post, note = delivered(world, mode, message)
    assert is_mp4(post)
    assert message.content == note
    assert world.discord.requests_to("PATCH", rf"/channels/{CHANNEL}/messages/{message.id}"), (
        "the new process edits the job message through the channel API"
    )
    assert world.sim.submits_by_prompt["a [long] train ride"] == 1


@pytest.mark.parametrize("mode", ["thread", "gallery", "dm"])
async def test_delivery_after_the_interaction_token_expired(tmp_path: Path, mode: str) -> None:
    clock = ManualClock()
    async with running_world(tmp_path, monotonic=clock) as world:
        world.discord.clock = clock
        await choose(world, mode)
        world.sim.script_prompt("[slow]", generation_seconds=0.6)
        interaction = await world.video(prompt="a [slow] eclipse")
        await interaction.wait_message(lambda m: status_of(m).startswith(("Submitted", "Gen")))
        clock.advance(16 * 60)

        message = await world.final(interaction)
        post, note = delivered(world, mode, message)
        assert is_mp4(post)
        assert message.content == note
        channel_edits = world.discord.requests_to(
            "PATCH", rf"/channels/{CHANNEL}/messages/{message.id}"
        )
        assert channel_edits, "the job message was edited through the channel API"
        late = [
            r
            for r in world.discord.requests_to("PATCH", r"/webhooks/.*/messages/@original")
            if r.at >= channel_edits[0].at
        ]
        assert not late, "no interaction-webhook edit after the token expired"


@pytest.mark.parametrize("mode", ["thread", "gallery", "dm"])
async def test_a_retried_delivery_does_not_post_the_video_twice(
    world: World, tmp_path: Path, mode: str
) -> None:
    await choose(world, mode)
    message = await world.final(await world.video(prompt="a single swan"))
    post, note = delivered(world, mode, message)
    job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
    assert job.meta.delivered_to == Posted(post.channel_id, post.id)

    # A restart between the post and the job's last state runs the delivery again.
    video = tmp_path / "again.mp4"
    video.write_bytes(b"\0\0\0\x18ftypmp42" + b"\0" * 64)
    retry = world.bot._progress_for(job)
    await retry.show(world.bot.jobs.view_of(job).but(status=JobStatus.DELIVERED), video)
    assert delivered(world, mode, message) == (post, note), "still one post"
    assert message.content == note


async def test_a_job_resumed_after_a_restart_keeps_its_servers_upload_limit(
    world: World,
) -> None:
    """The limit the interaction said is kept with the job: after a restart (no interaction
    any more) an 11 MB video still goes as it is to a server that takes 100 MiB."""
    world.discord.guilds[GUILD].upload_limit = 100 * 1024 * 1024
    world.sim.script_prompt("[long]", generation_seconds=1.0, output_bytes=11_000_000)
    interaction = await world.video(prompt="a [long] voyage")
    await interaction.wait_message(lambda m: status_of(m).startswith(("Submitted", "Generating")))
    await world.restart()

    message = await world.final(interaction, timeout=30)
    assert is_mp4(message)
    assert message.attachments[0].size == 11_000_000, "the original, not a smaller rendition"
    job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
    assert job.meta.upload_limit == 100 * 1024 * 1024


@pytest.mark.parametrize("mode", ["channel", "thread", "gallery", "dm"])
async def test_a_flagged_video_too_big_to_attach_keeps_its_link_behind_a_spoiler(
    world: World, mode: str
) -> None:
    if mode != "channel":
        await choose(world, mode)
    world.sim.script_prompt("[huge]", output_bytes=3_000_000, nsfw=True)
    interaction = await world.discord.invoke(
        "video",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"prompt": "an epic [huge] film"},
        attachment_size_limit=5_000,  # less than an MP4's own boxes: even compressed, a link
    )
    message = await world.final(interaction)
    post = message if mode == "channel" else delivered(world, mode, message)[0]
    content = post.content or ""
    assert post.attachments == []
    assert "⚠️ Content note: Atlas flagged this video" in content, content
    assert "||<http://127.0.0.1" in content, "the link is a spoiler, its preview suppressed"
    assert ">||" in content
    assert "](http://127.0.0.1" not in content, "never a plain masked link"
    for other in world.discord.messages.values():
        assert "](http://127.0.0.1" not in (other.content or ""), "nowhere in the open"
