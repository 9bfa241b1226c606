"""Stories of budgets: a member checks what is left, admins set limits, others are refused."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.e2e.conftest import CHANNEL, GUILD, MEMBER, OTHER_MEMBER, World, status_of
from tests.fake_discord import ActionUnavailable, FakeInteraction


async def _admin(world: World, subcommand: str, **options: Any) -> FakeInteraction:
    return await world.command("budget-admin", subcommand, **options)


async def test_budget_shows_spent_left_and_recent_jobs(world: World) -> None:
    await world.final(await world.video(prompt="a hot air balloon"))
    interaction = await world.discord.invoke(
        "budget", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL
    )
    await interaction.wait_response()
    data = interaction.response_data or {}
    assert data["flags"] & 64, "ephemeral"
    fields = {f["name"]: f["value"] for f in data["embeds"][0]["fields"]}
    assert fields["Spent"] == "USD 1.00"
    assert fields["Left"] == "USD 4.00"
    assert fields["Limit"] == "USD 5.00"
    assert fields["Resets"].startswith("<t:")
    assert "a hot air balloon" in fields["Recent jobs"]


async def test_admin_limit_applies_to_the_next_video(world: World) -> None:
    reply = await _admin(world, "set-user", member=MEMBER, amount="0.80")
    assert "USD 0.80" in (reply.response_data or {})["content"]
    refused = await world.video(prompt="a dragon")
    await refused.wait_response()
    assert "you have USD 0.80 left" in (refused.response_data or {})["content"]

    await _admin(world, "grant", member=MEMBER, amount="0.20", reason="birthday")
    allowed = await world.video(prompt="a dragon")
    message = await world.final(allowed)
    assert status_of(message).startswith("Done")
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert summary.spent == 1_000_000
    assert summary.remaining == 0


async def test_server_cap_stops_everyone(world: World) -> None:
    await _admin(world, "set-server-cap", amount="0.50")
    refused = await world.video(prompt="a comet")
    await refused.wait_response()
    assert "This server has used its video budget" in (refused.response_data or {})["content"]


async def test_admin_commands_are_refused_to_members(world: World) -> None:
    with pytest.raises(ActionUnavailable):  # Discord hides the group from non-admins...
        await _admin(world, "set-user", user_id=MEMBER, member=MEMBER, amount="100")
    # ...but a server can override default permissions: the bot checks again itself.
    world.discord.allow_command(GUILD, "budget-admin", user_or_role_id=MEMBER)
    interaction = await _admin(world, "set-user", user_id=MEMBER, member=MEMBER, amount="100")
    data = interaction.response_data or {}
    assert data["flags"] & 64
    assert "Manage Server" in data["content"]
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert summary.limit == 5_000_000, "nothing changed"
    group = world.discord.commands["budget-admin"]
    assert group["default_member_permissions"] == str(1 << 5)


async def test_bad_amount_gets_a_clear_message(world: World) -> None:
    interaction = await _admin(world, "set-server-cap", amount="lots")
    assert "is not an amount in USD" in (interaction.response_data or {})["content"]


async def test_report_and_csv_export(world: World) -> None:
    await world.final(await world.video(prompt="a meadow"))
    report = await _admin(world, "report")
    fields = {f["name"]: f["value"] for f in (report.response_data or {})["embeds"][0]["fields"]}
    assert fields["Spent"] == "USD 1.00"
    assert f"<@{MEMBER}> USD 1.00" in fields["Top spenders"]

    export = await _admin(world, "export")
    files = [f for r in world.discord.requests if r.files for f in r.files]
    assert files, "a CSV file was attached"
    filename, data, _ = files[-1]
    assert filename == "ledger.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert rows, "the export has the job's ledger rows"
    assert export.response_data is not None


async def test_uncertain_submit_keeps_the_hold_until_an_admin_settles_it(world: World) -> None:
    world.sim.fail_next("submit", "drop")  # Atlas took the job but the answer was lost
    interaction = await world.video(prompt="a foggy harbour")
    message = await world.final(interaction)
    assert status_of(message).startswith("We could not confirm")
    held = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (held.spent, held.held) == (0, 1_000_000), "Atlas may bill it: the hold stays"
    assert world.sim.submits_by_prompt["a foggy harbour"] == 1, "never resent"

    report = await _admin(world, "report")
    fields = {f["name"]: f["value"] for f in (report.response_data or {})["embeds"][0]["fields"]}
    job_id = message.embeds[0]["footer"]["text"].removeprefix("job ")
    assert job_id in fields["Uncertain jobs (settle with /budget-admin resolve)"]

    stranger = await _admin(world, "resolve", job="0" * 32, outcome="release")
    assert "is not an uncertain job" in (stranger.response_data or {})["content"]
    done = await _admin(world, "resolve", job=job_id, outcome="release")
    assert "released" in (done.response_data or {})["content"]
    after = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (after.spent, after.held) == (0, 0)


async def test_budget_has_a_short_cooldown_per_member(world: World) -> None:
    async def budget(user_id: int = MEMBER) -> str:
        interaction = await world.discord.invoke(
            "budget", user_id=user_id, guild_id=GUILD, channel_id=CHANNEL
        )
        await interaction.wait_response()
        data = interaction.response_data or {}
        assert data["flags"] & 64, "ephemeral"
        return str(data.get("content") or data["embeds"][0]["title"])

    assert await budget() == "Your video budget"
    assert await budget() == "Your video budget", "a second look right away is fine"
    refused = await budget()
    assert refused.startswith("You checked a moment ago. Try again <t:"), refused
    assert await budget(OTHER_MEMBER) == "Your video budget", "per member"
