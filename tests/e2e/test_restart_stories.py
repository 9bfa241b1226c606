"""Stories of a restart: the bot stops mid-job (a deploy) and the next start finishes the job,
from the same database, without charging twice or forgetting a hold."""

from __future__ import annotations

from bot.jobs.record import JobState
from tests.e2e.conftest import CHANNEL, GUILD, MEMBER, OTHER_MEMBER, World, status_of
from tests.images import png


def _custom_ids(message: object) -> list[str]:
    return [
        c["custom_id"]
        for row in message.components  # type: ignore[attr-defined]
        for c in row.get("components", [])
        if "custom_id" in c
    ]


async def test_submitted_job_is_resumed_and_delivered_to_its_message(world: World) -> None:
    world.sim.script_prompt("[long]", generation_seconds=1.5)
    interaction = await world.video(prompt="a [long] river journey")
    await interaction.wait_message(lambda m: status_of(m).startswith(("Submitted", "Generating")))
    await world.restart()

    message = await world.final(interaction)
    assert status_of(message).startswith("Done")
    assert len(message.attachments) == 1
    assert world.discord.requests_to("PATCH", rf"/channels/{CHANNEL}/messages/{message.id}"), (
        "the new process edits through the channel API: it has no interaction token"
    )
    assert world.sim.submits_by_prompt["a [long] river journey"] == 1, "never submitted twice"
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (1_000_000, 0)
    job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
    assert job.state is JobState.DELIVERED


async def test_job_not_yet_submitted_is_released_on_restart(world: World) -> None:
    image = world.discord.add_attachment(
        "dog.png", png(), content_type="image/png", width=256, height=256
    )
    world.sim.slow_seconds = 2.0  # the upload to Atlas is still running when the bot stops
    interaction = await world.animate([image], prompt="dog surfs")
    await interaction.wait_message(lambda m: status_of(m).startswith("Uploading"))
    await world.restart()
    world.sim.slow_seconds = 0

    message = await interaction.wait_message(lambda m: status_of(m).startswith("Failed"))
    assert "restarted before this video was started" in status_of(message)
    assert world.sim.submits_by_prompt["dog surfs"] == 0
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (0, 0)


async def test_buttons_and_commands_survive_a_restart(world: World) -> None:
    interaction = await world.video(prompt="a kite")
    message = await world.final(interaction)
    syncs = world.discord.sync_count
    await world.restart()
    assert world.discord.sync_count == syncs, "unchanged commands are not synced again"

    reroll = next(c for c in _custom_ids(message) if c.startswith("job:reroll:"))
    click = await world.discord.click(
        message.id, reroll, user_id=OTHER_MEMBER, guild_id=GUILD, channel_id=CHANNEL
    )
    again = await world.final(click)
    assert status_of(again).startswith("Done")
    assert world.sim.submits_by_prompt["a kite"] == 2
