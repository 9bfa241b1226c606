"""A job's buttons act only in the server the job belongs to.

A click carries the job's id in its custom id; the click must come from that job's server. A
click from another server (a copied message, a crafted interaction) learns nothing about the
job and starts nothing: Info, Copy command, Re-roll, Edit prompt, Delete and Cancel all answer
as for an unknown job.
"""

from __future__ import annotations

from tests.e2e.conftest import GUILD, MEMBER, World, status_of
from tests.fake_discord import FakeInteraction, FakeMessage

ELSEWHERE = 5000
ELSEWHERE_CHANNEL = 5001
PRICE = 1_000_000


async def click_from_elsewhere(world: World, message: FakeMessage, prefix: str) -> FakeInteraction:
    """The member presses the button, but the click says it comes from another server."""
    custom_id = next(c for c in message.custom_ids() if c.startswith(prefix))
    pressed = await world.discord.click(
        message.id, custom_id, user_id=MEMBER, guild_id=ELSEWHERE, channel_id=ELSEWHERE_CHANNEL
    )
    await pressed.wait_response()
    return pressed


async def test_a_click_from_another_server_learns_and_starts_nothing(world: World) -> None:
    world.discord.add_guild(ELSEWHERE, name="Elsewhere", owner_id=MEMBER)
    world.discord.add_channel(ELSEWHERE, ELSEWHERE_CHANNEL, name="general")
    world.discord.add_member(ELSEWHERE, MEMBER, name="alice")
    message = await world.final(await world.video(prompt="a private lighthouse"))
    assert status_of(message).startswith("Done")
    jobs_before = len(await world.bot.job_store.recent(MEMBER, GUILD, limit=50))

    for prefix in ("job:info:", "job:copy:", "job:reroll:", "job:edit:", "job:delete:"):
        pressed = await click_from_elsewhere(world, message, prefix)
        data = pressed.response_data or {}
        assert pressed.response_type == 4, f"{prefix} answered with a message, not a form"
        assert data["flags"] & 64, prefix
        assert "private lighthouse" not in str(data), f"{prefix} told another server about it"
        assert "embeds" not in data or not data["embeds"], prefix
        assert data["content"] in (
            "This job is no longer known to the bot.",
            "The original job is no longer known, so it cannot be re-rolled.",
        ), (prefix, data["content"])

    assert not world.discord.messages[message.id].deleted
    assert len(await world.bot.job_store.recent(MEMBER, GUILD, limit=50)) == jobs_before
    assert (await world.bot.ledger.summary(MEMBER, GUILD, [])).spent == PRICE
    assert await world.bot.job_store.recent(MEMBER, ELSEWHERE) == []


async def test_a_cancel_from_another_server_cancels_nothing(world: World) -> None:
    world.discord.add_guild(ELSEWHERE, name="Elsewhere", owner_id=MEMBER)
    world.discord.add_channel(ELSEWHERE, ELSEWHERE_CHANNEL, name="general")
    world.discord.add_member(ELSEWHERE, MEMBER, name="alice")
    await world.bot.server_settings.set(GUILD, by=MEMBER, approval_threshold=1)  # it waits
    interaction = await world.video(prompt="a ferry")
    waiting = await interaction.wait_message(lambda m: any("cancel" in c for c in m.custom_ids()))

    pressed = await click_from_elsewhere(world, waiting, "job:cancel:")

    assert (pressed.response_data or {})["content"] == "This job is no longer known to the bot."
    [job] = await world.bot.job_store.recent(MEMBER, GUILD)
    assert not job.state.is_terminal, "still waiting for its approval"
