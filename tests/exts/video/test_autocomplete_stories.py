"""Autocomplete offers the options of the model a member's job will really use: the one they
picked, else the server's default (set with /settings defaults), else the config's."""

from __future__ import annotations

from tests.e2e.conftest import ADMIN, CHANNEL, GUILD, MEMBER, World

VEO = "google/veo3.1-lite/text-to-video"  # 4, 6, 8 s; 720p and 1080p
GEMINI = "google/gemini-omni-flash/text-to-video-developer"  # 4-10 s; up to 4k


async def _offered(world: World, option: str, **options: str) -> list[object]:
    choices = await world.discord.autocomplete(
        "video", option, user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL, options=options
    )
    return [choice["value"] for choice in choices]


async def test_without_a_model_autocomplete_follows_the_servers_default(world: World) -> None:
    assert await _offered(world, "duration") == [4, 6, 8, 10]  # the config's default: Gemini

    await world.bot.server_settings.set(GUILD, by=ADMIN, video_model=VEO)

    assert await _offered(world, "duration") == [4, 6, 8]
    assert await _offered(world, "resolution") == ["720p", "1080p"]
    # What the member picks still wins over the server's default.
    assert await _offered(world, "duration", model=GEMINI) == [4, 6, 8, 10]
    # And a job without a model really runs on the server's default, with those options.
    interaction = await world.video(prompt="a lighthouse at dusk", duration=8)
    await world.final(interaction)
    assert [r.json["model"] for r in world.sim.requests if r.path.endswith("/generateVideo")] == [
        VEO
    ]
