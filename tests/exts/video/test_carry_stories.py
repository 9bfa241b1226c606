"""Stories of carrying a video further: Extend, Edit video and Upscale on a finished video,
/edit-video with a member's own clip. The real bot against the fake Discord (whose
attachment links are signed and expire, as Discord's do) and the simulator (whose models take
what Atlas's pages say they take)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.jobs.record import JobRecord, JobState
from tests.e2e.conftest import CHANNEL, GUILD, MEMBER, OTHER_MEMBER, World, status_of
from tests.fake_discord import FakeInteraction, FakeMessage
from tests.videos import mp4

EXTEND_MODEL = "google/gemini-omni-1.1-flash/video-extend"
EDIT_MODEL = "google/gemini-omni-flash/video-edit"
UPSCALER = "atlascloud/video-upscaler"
ONE_VIDEO = 1_000_000  # the default /video: Gemini, 8 s at 1080p


def fields(message: FakeMessage) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0].get("fields", [])}


def cdn_requests(world: World) -> list[Any]:
    """What the fake's CDN served (attachment downloads)."""
    return [r for r in world.discord.requests if r.path.startswith("/attachments/")]


def submits(world: World) -> list[dict[str, Any]]:
    return [r.json for r in world.sim.requests if r.path.endswith("/model/generateVideo")]


async def money(world: World, user_id: int = MEMBER) -> tuple[int, int]:
    summary = await world.bot.ledger.summary(user_id, GUILD, [])
    return summary.spent, summary.held


async def jobs(world: World, user_id: int = MEMBER) -> list[JobRecord]:
    """The member's jobs, oldest first, once none is still moving (the message shows Done a
    moment before the row says delivered)."""
    for _ in range(200):
        found = list(reversed(await world.bot.job_store.recent(user_id, GUILD)))
        if all(job.state.is_terminal for job in found):
            return found
        await asyncio.sleep(0.01)
    return found


async def click(
    world: World,
    message: FakeMessage,
    prefix: str,
    user_id: int = MEMBER,
    locale: str = "en-US",
    values: list[str] | None = None,
) -> FakeInteraction:
    custom_id = next(c for c in message.custom_ids() if c.startswith(prefix))
    clicked = await world.discord.click(
        message.id,
        custom_id,
        user_id=user_id,
        guild_id=GUILD,
        channel_id=CHANNEL,
        locale=locale,
        values=values,
    )
    await clicked.wait_response()
    return clicked


def modal_inputs(opened: FakeInteraction) -> dict[str, dict[str, Any]]:
    """The text inputs of the modal the click opened, by custom id."""
    modal = opened.response_data or {}
    found = {}
    for row in modal["components"]:
        for component in row.get("components", [row.get("component")]):
            if component:
                found[component["custom_id"]] = component
    return found


async def submit(
    world: World,
    opened: FakeInteraction,
    values: dict[str, str],
    user_id: int = MEMBER,
    locale: str = "en-US",
) -> FakeInteraction:
    return await world.discord.submit_modal(
        (opened.response_data or {})["custom_id"],
        values,
        user_id=user_id,
        guild_id=GUILD,
        channel_id=CHANNEL,
        locale=locale,
    )


async def refusal(interaction: FakeInteraction) -> str:
    """The private answer the member got (after a "thinking..." or at once)."""
    await interaction.wait_response()
    if interaction.response_type == 4:
        return str((interaction.response_data or {}).get("content"))
    (sent,) = await interaction.wait_followups(1)
    assert sent.ephemeral
    return str(sent.content)


async def delivered_video(world: World, prompt: str = "a paper boat on a pond") -> FakeMessage:
    message = await world.final(await world.video(prompt=prompt))
    assert status_of(message).startswith("Done"), status_of(message)
    assert len(message.attachments) == 1
    return message


# -- Extend ----------------------------------------------------------------------------------


async def test_a_video_delivered_before_a_restart_is_extended_from_a_fresh_link(
    world: World,
) -> None:
    message = await delivered_video(world)
    (first,) = await jobs(world)
    # The link the bot saw when it delivered the video expires, as Discord's do after a day.
    old_link = world.discord.signed_url(message.attachments[0])
    world.discord.expire_attachment_urls()
    async with aiohttp.ClientSession() as http, http.get(old_link) as response:
        assert response.status == 404, "the stored link no longer works"
    await world.restart()
    downloads_before = len(cdn_requests(world))

    opened = await click(world, message, "job:extend:")
    assert opened.response_type == 9, "a form"
    inputs = modal_inputs(opened)
    assert inputs["seconds"]["label"] == "Seconds to add (3-10)"
    # The price is in the form, before anything is held.
    assert inputs["seconds"]["placeholder"] == "USD 0.025 per second added: 7 s costs USD 0.175"
    assert await money(world) == (ONE_VIDEO, 0)

    read_before = len(world.discord.requests_to("GET", rf"^/channels/{CHANNEL}/messages/"))
    extended = await world.final(
        await submit(world, opened, {"prompt": "the boat sails out to sea", "seconds": "6"})
    )

    assert status_of(extended).startswith("Done"), status_of(extended)
    assert extended.id != message.id
    # The bot read the video's message again and downloaded its current attachment.
    reads = world.discord.requests_to("GET", rf"^/channels/{CHANNEL}/messages/")
    assert len(reads) == read_before + 1
    assert (reads[-1].path, reads[-1].status) == (f"/channels/{CHANNEL}/messages/{message.id}", 200)
    downloads = cdn_requests(world)[downloads_before:]
    assert [r.status for r in downloads] == [200], "one download, with a fresh link"
    # Atlas got the video through uploadMedia, then the extend model's own inputs.
    uploads = [u for u in world.sim.uploaded.values() if u.content_type == "video/mp4"]
    assert len(uploads) == 1
    body = submits(world)[-1]
    assert body["model"] == EXTEND_MODEL
    assert body["video"].startswith(world.sim.base_url.removesuffix("/api/v1") + "/media/uploads/")
    assert (body["prompt"], body["duration"], body["resolution"]) == (
        "the boat sails out to sea",
        6,
        "1080p",
    )
    assert "aspect_ratio" not in body
    values = fields(extended)
    assert values["Made by"] == "Extending a video"
    assert values["Duration"] == "+6 s (to a 1 s video)"
    assert values["Cost"] == "USD 0.15 charged"  # 6 s added at USD 0.025
    _, job = await jobs(world)
    assert (job.state, job.meta.source_job) == (JobState.DELIVERED, first.id)
    assert job.meta.input_seconds is not None
    assert 0.9 < job.meta.input_seconds < 1.1
    assert await money(world) == (ONE_VIDEO + 150_000, 0)


async def test_seconds_the_extend_model_does_not_add_are_refused_before_any_hold(
    world: World,
) -> None:
    message = await delivered_video(world)
    opened = await click(world, message, "job:extend:")
    answer = await submit(world, opened, {"prompt": "more", "seconds": "45"})
    assert await refusal(answer) == "Type how many seconds to add, one of: 3, 4, 5, 6, 7, 8, 9, 10."
    assert await money(world) == (ONE_VIDEO, 0)
    assert len(submits(world)) == 1


async def test_a_deleted_video_cannot_be_extended(world: World) -> None:
    message = await delivered_video(world)
    opened = await click(world, message, "job:extend:")
    message.attachments.clear()  # the attachment was removed from the message
    answer = await submit(world, opened, {"prompt": "more", "seconds": "5"})
    assert (await refusal(answer)).startswith("This video is no longer attached to its message")
    assert await money(world) == (ONE_VIDEO, 0)


# -- Edit ------------------------------------------------------------------------------------


def clip(world: World, seconds: float, name: str = "clip.mp4") -> dict[str, Any]:
    data = mp4(seconds)
    return world.discord.add_attachment(name, data, content_type="video/mp4")


async def edit_video(world: World, video: dict[str, Any], **options: Any) -> FakeInteraction:
    return await world.discord.invoke(
        "edit-video",
        user_id=options.pop("user_id", MEMBER),
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"video": video, **options},
        locale=options.pop("locale", "en-US"),
    )


async def test_a_members_own_clip_is_edited_and_charged_by_its_length(world: World) -> None:
    interaction = await edit_video(world, clip(world, 6), prompt="make it night")
    message = await world.final(interaction)

    assert status_of(message).startswith("Done"), status_of(message)
    body = submits(world)[-1]
    assert body["model"] == EDIT_MODEL
    assert (body["prompt"], body["resolution"]) == ("make it night", "720p")
    (upload,) = [v for v in world.sim.uploaded.values() if v.content_type == "video/mp4"]
    assert upload.seconds == 6.0
    values = fields(message)
    assert values["Made by"] == "Editing a video"
    assert values["Duration"] == "6 s"
    assert values["Cost"] == "USD 0.84 charged"  # 6 s of input at USD 0.14
    assert await money(world) == (840_000, 0)


async def test_a_45_second_clip_is_refused_saying_what_is_allowed_before_any_hold(
    world: World,
) -> None:
    answer = await edit_video(world, clip(world, 45, "long.mp4"), prompt="make it night")

    text = await refusal(answer)
    assert text == (
        "`long.mp4` is 45 s long; Gemini Omni Flash (edit) takes videos of at most 30 s "
        "(and 20 MB). Trim it and try again."
    )
    assert not world.sim.requests_to("/model/uploadMedia"), "nothing reached Atlas"
    assert not submits(world)
    assert await money(world) == (0, 0)
    assert await jobs(world) == []


async def test_a_file_that_only_claims_to_be_a_video_is_refused(world: World) -> None:
    fake = world.discord.add_attachment("clip.mp4", b"not a video at all", content_type="video/mp4")
    text = await refusal(await edit_video(world, fake, prompt="make it night"))
    assert text == "`clip.mp4` is not an MP4, MOV or WebM video. Attach one of those."
    assert await money(world) == (0, 0)


async def test_edit_video_on_a_finished_video(world: World) -> None:
    message = await delivered_video(world)
    opened = await click(world, message, "job:vedit:", OTHER_MEMBER)
    inputs = modal_inputs(opened)
    # Priced on the video's length: about 8 s as asked (the video read says 1 s).
    assert inputs["prompt"]["placeholder"] == "USD 0.14 per second: about USD 1.12 for this video"
    edited = await world.final(
        await submit(world, opened, {"prompt": "replace the boat with a swan"}, OTHER_MEMBER)
    )
    assert status_of(edited).startswith("Done"), status_of(edited)
    assert submits(world)[-1]["prompt"] == "replace the boat with a swan"
    assert await money(world, OTHER_MEMBER) == (140_000, 0)  # 1 s at USD 0.14, the clicker's


# -- Upscale ---------------------------------------------------------------------------------


async def test_a_finished_video_is_upscaled_to_a_resolution_the_upscaler_offers(
    world: World,
) -> None:
    message = await delivered_video(world)
    chooser = await click(world, message, "job:upscale:")
    assert chooser.message is not None
    assert chooser.message.ephemeral
    assert chooser.message.content == "Upscale this video with Atlas Video Upscaler to:"
    (menu,) = [c for row in chooser.message.components for c in row["components"]]
    assert [(o["value"], o["description"]) for o in menu["options"]] == [
        ("1080p", "USD 0.025 per 5 s: about USD 0.05 for this video"),
        ("2k", "USD 0.05 per 5 s: about USD 0.10 for this video"),
    ]

    picked = await world.discord.click(
        chooser.message.id,
        menu["custom_id"],
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        values=["2k"],
    )
    upscaled = await world.final(picked)

    assert status_of(upscaled).startswith("Done"), status_of(upscaled)
    body = submits(world)[-1]
    assert body == {"model": UPSCALER, "video": body["video"], "target_resolution": "2k"}
    assert fields(upscaled)["Made by"] == "Upscaling a video"
    assert await money(world) == (ONE_VIDEO + 50_000, 0)  # one started 5 s at 2k


async def test_the_buttons_of_a_finished_video(world: World) -> None:
    message = await delivered_video(world)
    prefixes = [c.rsplit(":", 1)[0] for c in message.custom_ids()]
    assert prefixes == [
        "job:reroll",
        "job:edit",
        "job:info",
        "job:copy",
        "job:delete",
        "job:extend",
        "job:vedit",
        "job:upscale",
        "job:improve",
    ]
    assert [len(row["components"]) for row in message.components] == [5, 4]
