"""Re-roll and Edit prompt follow the server's Integrations settings for /video.

Discord applies Server Settings -> Integrations to the slash command, never to buttons: a
member the server denied /video could still make videos by pressing Re-roll or Edit prompt on
someone else's video. The bot asks Discord for the server's command permissions at the click
and answers as Discord does for /video: the member, their roles, @everyone, the channel, app-
wide then command-level; administrators always may.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import (
    ADMIN,
    ADMIN_ROLE,
    CHANNEL,
    GUILD,
    MEMBER,
    OTHER_MEMBER,
    World,
    status_of,
)
from tests.fake_discord import ActionUnavailable, FakeInteraction, FakeMessage

ROLE, USER, CHANNEL_TARGET = 1, 2, 3
DENIED = (
    "This server does not let you use /video here, so you cannot re-roll or edit videos here "
    "either."
)


async def press(world: World, message: FakeMessage, prefix: str, user_id: int) -> FakeInteraction:
    custom_id = next(c for c in message.custom_ids() if c.startswith(prefix))
    pressed = await world.discord.click(
        message.id, custom_id, user_id=user_id, guild_id=GUILD, channel_id=CHANNEL
    )
    await pressed.wait_response()
    return pressed


async def jobs_of(world: World, user_id: int) -> int:
    return len(await world.bot.job_store.recent(user_id, GUILD, limit=50))


async def test_a_member_denied_video_cannot_reroll_or_edit_either(world: World) -> None:
    message = await world.final(await world.video(prompt="a paper crane"))
    assert status_of(message).startswith("Done")
    await world.discord.set_command_permissions(GUILD, "video", [(OTHER_MEMBER, USER, False)])
    with pytest.raises(ActionUnavailable):  # Discord hides /video from bob
        await world.video(user_id=OTHER_MEMBER, prompt="anything")

    for prefix in ("job:reroll:", "job:edit:"):
        pressed = await press(world, message, prefix, OTHER_MEMBER)
        assert pressed.response_type == 4, f"{prefix}: no job, no form"
        assert (pressed.response_data or {})["content"] == DENIED
    assert await jobs_of(world, OTHER_MEMBER) == 0

    # Allowed again (Discord tells the bot at once): the re-roll works.
    await world.discord.set_command_permissions(GUILD, "video", [])
    again = await press(world, message, "job:reroll:", OTHER_MEMBER)
    await again.wait_message(lambda m: status_of(m).startswith("Done"))
    assert await jobs_of(world, OTHER_MEMBER) == 1


async def test_app_wide_role_and_channel_settings_count_and_admins_always_may(
    world: World,
) -> None:
    message = await world.final(await world.video(prompt="a paper boat"))
    # App-wide: nobody but the admins' role, and not in this channel.
    await world.discord.set_command_permissions(
        GUILD, None, [(GUILD, ROLE, False), (ADMIN_ROLE, ROLE, True)]
    )
    refused = await press(world, message, "job:reroll:", MEMBER)
    assert (refused.response_data or {})["content"] == DENIED
    assert await jobs_of(world, MEMBER) == 1, "the first video only"

    # The command's own setting overrides the app-wide one for /video.
    await world.discord.set_command_permissions(GUILD, "video", [(MEMBER, USER, True)])
    allowed = await press(world, message, "job:reroll:", MEMBER)
    await allowed.wait_message(lambda m: status_of(m).startswith("Done"))
    assert await jobs_of(world, MEMBER) == 2

    await world.discord.set_command_permissions(GUILD, "video", [(CHANNEL, CHANNEL_TARGET, False)])
    refused = await press(world, message, "job:edit:", MEMBER)
    assert (refused.response_data or {})["content"] == DENIED, "not in this channel"
    owner = await press(world, message, "job:edit:", ADMIN)
    assert owner.response_type == 9, "the server's owner may always: the form opens"
