"""Stories of /prefer: a member keeps their own defaults in a server, used when they leave an
option out (member > server > config), always within what the server allows; one the server
forbids later is ignored and the member told once per change; show and reset; zh-TW. End to
end: discord.py against the fake Discord, the Atlas simulator, the ledger on SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import (
    ADMIN,
    CHANNEL,
    GUILD,
    MEMBER,
    OTHER_MEMBER,
    World,
    running_world,
    status_of,
)
from tests.exts.settings.test_settings_stories import data, fields, generate_requests, settings
from tests.fake_discord import FakeInteraction

GEMINI = "google/gemini-omni-flash/text-to-video-developer"
SEEDANCE = "bytedance/seedance-2.0/text-to-video"
VEO = "google/veo3.1-lite/text-to-video"  # 4, 6, 8 s; 720p and 1080p
GALLERY = 2002


async def prefer(
    world: World, subcommand: str, *, user_id: int = MEMBER, **options: Any
) -> FakeInteraction:
    """A member runs /prefer <subcommand> and the bot has answered."""
    return await world.command("prefer", subcommand, user_id=user_id, **options)


def shown(interaction: FakeInteraction) -> dict[str, str]:
    """The preferences embed the bot answered with (ephemeral), by field name."""
    answer = data(interaction)
    assert answer.get("flags", 0) & 64, "only the member sees their preferences"
    return fields(answer["embeds"][0])


def options_sent(world: World) -> list[tuple[str, int, str, str]]:
    """(model, duration, resolution, aspect ratio) of every video Atlas was asked for."""
    return [
        (b["model"], b["duration"], b["resolution"], b.get("aspect_ratio") or b.get("ratio"))
        for b in generate_requests(world)
    ]


async def make_video(world: World, user_id: int = MEMBER, **options: Any) -> FakeInteraction:
    """A member runs /video and the job ends."""
    interaction = await world.video(user_id=user_id, prompt="a lighthouse at dusk", **options)
    message = await world.final(interaction)
    assert status_of(message).startswith("Done"), status_of(message)
    return interaction


async def test_a_members_defaults_fill_what_they_leave_out(world: World) -> None:
    answer = await prefer(world, "set", video_model=VEO, duration=6, resolution="720p")
    assert data(answer)["content"] == "Saved."
    assert shown(answer) == {
        "Model for /video": "Veo 3.1 Lite",
        "Model for /animate": "Gemini Omni Flash (the server's default)",
        "Length": "6 s",
        "Resolution": "720p",
        "Aspect ratio": "16:9 (the server's default)",
        "By direct message": "No: where this server posts videos (the server's default)",
    }

    await make_video(world)  # everything left out: the member's defaults
    await make_video(world, duration=4)  # what the member types wins
    await make_video(world, user_id=OTHER_MEMBER)  # another member: the config's defaults
    assert options_sent(world) == [
        (VEO, 6, "720p", "16:9"),
        (VEO, 4, "720p", "16:9"),
        (GEMINI, 8, "1080p", "16:9"),
    ]


async def test_member_beats_server_beats_config(world: World) -> None:
    await settings(world, "defaults", video_model=SEEDANCE, duration=5, aspect_ratio="1:1")
    await prefer(world, "set", resolution="720p", aspect_ratio="9:16")

    await make_video(world)  # server: model, duration; member: resolution, aspect ratio
    await make_video(world, user_id=OTHER_MEMBER)  # server's defaults, config's resolution
    assert options_sent(world) == [
        (SEEDANCE, 5, "720p", "9:16"),
        (SEEDANCE, 5, "1080p", "1:1"),
    ]


async def test_autocomplete_offers_the_options_of_the_members_model(world: World) -> None:
    async def offered(option: str) -> list[object]:
        choices = await world.discord.autocomplete(
            "video", option, user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL
        )
        return [choice["value"] for choice in choices]

    assert await offered("duration") == [4, 6, 8, 10]  # the config's Gemini
    await prefer(world, "set", video_model=VEO)
    assert await offered("duration") == [4, 6, 8], "Veo's lengths, the model the job will use"
    assert await offered("resolution") == ["720p", "1080p"]


async def test_a_preference_the_server_does_not_allow_cannot_be_set(world: World) -> None:
    await settings(world, "model-access", model=VEO, allowed=False)
    await settings(world, "resolution-access", resolution="4k", allowed=False)

    refused = await prefer(world, "set", video_model=VEO)
    assert data(refused)["content"].startswith("Veo 3.1 Lite is not available on this server.")
    refused = await prefer(world, "set", resolution="4k")
    assert data(refused)["content"].startswith("4k videos are not available on this server.")
    refused = await prefer(world, "set", animate_model=VEO)
    assert data(refused)["content"] == "Veo 3.1 Lite cannot be used for that command."
    assert shown(await prefer(world, "show"))["Model for /video"] == (
        "Gemini Omni Flash (the server's default)"
    ), "nothing was stored"


async def test_a_preference_the_server_forbids_later_is_ignored_and_told_once(
    tmp_path: Path,
) -> None:
    async with running_world(tmp_path, default_user_limit_usd="20.00") as world:
        await _forbidden_later(world)


async def _forbidden_later(world: World) -> None:
    await prefer(world, "set", video_model=VEO, resolution="720p")
    await make_video(world)
    assert options_sent(world)[-1] == (VEO, 8, "720p", "16:9")

    # The admin forbids the member's model afterwards.
    await settings(world, "model-access", model=VEO, allowed=False)
    first = await make_video(world)
    assert options_sent(world)[-1] == (GEMINI, 8, "720p", "16:9"), "the server's model"
    [note] = await first.wait_followups(1)
    assert note.flags & 64, "told privately"
    assert note.content == (
        "Your model for /video, Veo 3.1 Lite, is not available on this server any more, so "
        "your videos use the server's default.\n"
        "See or change your defaults with `/prefer show` and `/prefer set`. You are told this "
        "once."
    )
    # Once: neither the next video nor one after a restart says it again.
    second = await make_video(world)
    await world.restart()
    third = await make_video(world)
    assert second.followups == []
    assert third.followups == [], "remembered across a restart"
    assert options_sent(world)[-1] == (GEMINI, 8, "720p", "16:9")
    assert shown(await prefer(world, "show"))["Model for /video"] == (
        "Veo 3.1 Lite\n⚠️ This server does not allow it now, so it is ignored."
    )

    # A new preference that the server forbids later is told about again, once.
    await prefer(world, "set", video_model=SEEDANCE)
    await settings(world, "model-access", model=SEEDANCE, allowed=False)
    again = await make_video(world)
    [note] = await again.wait_followups(1)
    assert note.content.startswith("Your model for /video, Seedance 2.0, is not available")
    assert (await make_video(world)).followups == []
    # Allowed again: the preference applies again, silently.
    await settings(world, "model-access", model=SEEDANCE, allowed=True)
    await make_video(world)
    assert options_sent(world)[-1] == (SEEDANCE, 8, "720p", "16:9")


async def test_a_job_that_names_its_model_ignores_nothing(world: World) -> None:
    await prefer(world, "set", video_model=VEO)
    await settings(world, "model-access", model=VEO, allowed=False)
    interaction = await make_video(world, model=SEEDANCE)
    assert options_sent(world) == [(SEEDANCE, 8, "1080p", "16:9")]
    assert interaction.followups == [], "the preference was not needed, so not ignored"


async def test_show_and_reset(world: World) -> None:
    await settings(world, "defaults", duration=6)
    before = shown(await prefer(world, "show"))
    assert before["Length"] == "6 s (the server's default)"
    assert data(await prefer(world, "show"))["content"] is None

    await prefer(world, "set", duration=10, aspect_ratio="9:16", dm=True)
    assert shown(await prefer(world, "show"))["Length"] == "10 s"

    one = await prefer(world, "reset", preference="duration")
    assert data(one)["content"] == "Saved."
    after_one = shown(one)
    assert after_one["Length"] == "6 s (the server's default)"
    assert after_one["Aspect ratio"] == "9:16"
    assert after_one["By direct message"] == "Yes: finished videos come to you by direct message"

    everything = shown(await prefer(world, "reset"))
    assert everything == before
    stored = await world.bot.services.db.read(
        lambda c: c.fetchall("SELECT * FROM member_preferences")
    )
    assert stored == [], "a member without preferences keeps no row"


async def test_preferences_are_per_member_and_per_server(world: World) -> None:
    other_guild = 1001
    world.discord.add_guild(other_guild, name="Other Club", owner_id=ADMIN)
    world.discord.add_channel(other_guild, 2100, name="videos")
    world.discord.add_member(other_guild, MEMBER, name="alice")
    await prefer(world, "set", duration=4)

    elsewhere = await world.discord.invoke(
        "prefer",
        subcommand="show",
        user_id=MEMBER,
        guild_id=other_guild,
        channel_id=2100,
    )
    await elsewhere.wait_response()
    assert shown(elsewhere)["Length"] == "8 s (the server's default)"
    assert shown(await prefer(world, "show", user_id=OTHER_MEMBER))["Length"] == (
        "8 s (the server's default)"
    )


async def test_a_member_who_prefers_dms_gets_videos_by_direct_message(world: World) -> None:
    await prefer(world, "set", dm=True)
    message = await world.final(await world.video(prompt="a birthday cake"))
    assert message.content == "Your video was sent to you by direct message."
    dm = world.discord.dm_channels[MEMBER]
    assert [m for m in world.discord.messages.values() if m.channel_id == dm.id]


async def test_a_dm_preference_gives_way_to_the_servers_gallery_and_says_so(
    world: World,
) -> None:
    world.discord.add_channel(GUILD, GALLERY, name="gallery")
    await prefer(world, "set", dm=True)
    await settings(world, "delivery", mode="gallery", gallery=GALLERY)

    interaction = await world.video(prompt="a paper crane")
    await world.final(interaction)
    posted = [m for m in world.discord.messages.values() if m.channel_id == GALLERY]
    assert len(posted) == 1, "the video is in the gallery"
    [note] = await interaction.wait_followups(1)
    assert note.content.startswith("Videos made in this channel go to the server's gallery")
    assert shown(await prefer(world, "show"))["By direct message"].endswith(
        "⚠️ This server does not allow it now, so it is ignored."
    )


async def test_prefer_speaks_traditional_chinese(world: World) -> None:
    answer = await prefer(world, "set", locale="zh-TW", video_model=VEO, duration=6)
    assert data(answer)["content"] == "已儲存。"
    assert shown(answer) == {
        "/影片 的模型": "Veo 3.1 Lite",
        "/圖片轉影片 的模型": "Gemini Omni Flash（伺服器的預設值）",
        "長度": "6 s",
        "解析度": "1080p（伺服器的預設值）",
        "長寬比": "16:9（伺服器的預設值）",
        "以私人訊息傳送": "否：發布在這個伺服器指定的位置（伺服器的預設值）",
    }
    await settings(world, "model-access", model=VEO, allowed=False)
    interaction = await world.discord.invoke(
        "video",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"prompt": "燈塔與晚霞"},
        locale="zh-TW",
    )
    [note] = await interaction.wait_followups(1)
    assert note.content.startswith("你為 /影片 選的模型 Veo 3.1 Lite 在這個伺服器已不再提供")
    assert "這則提醒只會出現一次。" in note.content
    synced = world.discord.command_for("prefer", GUILD)
    assert synced is not None
    assert synced["name_localizations"] == {"zh-TW": "偏好"}
