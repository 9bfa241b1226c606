"""Data at rest stays private, and not for ever.

What the bot writes on disk is its user's alone: run with a permissive umask (022, a host's
usual), the data folder, the SQLite file (and its WAL), the heartbeat, the held videos' folder
and each held video are owner-only (0700 folders, 0600 files). Prompts and links are blanked
after the retention period, an admin can make the bot forget a member (money rows kept under a
pseudonym, totals unchanged), and a held video nobody can review any more is deleted.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.safety.held import Review
from tests.e2e.conftest import (
    CHANNEL,
    GUILD,
    MEMBER,
    OTHER_MEMBER,
    World,
    running_world,
    status_of,
)
from tests.exts.budget.test_forecast_stories import FrozenClock
from tests.exts.review.test_moderation_stories import has_button, settings
from tests.fake_discord import FakeInteraction

PRICE = 1_000_000


async def admin(world: World, subcommand: str, **options: Any) -> FakeInteraction:
    """An admin runs /budget-admin <subcommand> and the bot has answered."""
    return await world.command("budget-admin", subcommand, **options)


@pytest.fixture
def host_umask() -> Iterator[None]:
    """A host's usual umask: group and others may read what is created."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("host_umask")
async def test_the_data_folder_database_heartbeat_and_held_videos_are_owner_only(
    tmp_path: Path,
) -> None:
    async with running_world(tmp_path) as world:
        await settings(world, "safety", flagged_videos="review")
        world.sim.script_prompt("[flagged]", nsfw=True)
        interaction = await world.discord.invoke(
            "video",
            user_id=MEMBER,
            guild_id=GUILD,
            channel_id=CHANNEL,
            options={"prompt": "a [flagged] fox"},
        )
        await interaction.wait_message(lambda m: has_button(m, "review:approve:"))
        database = world.settings.env.database_path
        heartbeat = tmp_path / "data" / "health.json"  # HEALTH_FILE's default, in the cwd
        await world.discord.wait_until(heartbeat.exists, 5, "the first heartbeat")
        held = database.parent / "held"
        [video] = list(held.iterdir())

        folders = {"data": database.parent, "held": held}
        files = {"database": database, "WAL": Path(f"{database}-wal"), "heartbeat": heartbeat}
        files["held video"] = video
        for name, folder in folders.items():
            assert mode(folder) == 0o700, f"{name}: {oct(mode(folder))}"
        for name, file in files.items():
            assert mode(file) == 0o600, f"{name}: {oct(mode(file))}"


# -- retention, erasure and held videos nobody can review ----------------------------------------


async def history_text(world: World, user_id: int = MEMBER) -> str:
    """The description of the member's /history."""
    interaction = await world.discord.invoke(
        "history", user_id=user_id, guild_id=GUILD, channel_id=CHANNEL
    )
    await interaction.wait_response()
    return str((interaction.response_data or {})["embeds"][0].get("description"))


async def test_prompts_and_links_are_blanked_after_the_retention_period(tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2026, 1, 5, 12, tzinfo=UTC))
    async with running_world(tmp_path, clock=clock) as world:
        old = await world.final(await world.video(prompt="an old secret"))
        clock.advance(days=80)
        recent = await world.final(await world.video(prompt="a recent one"))
        assert status_of(old).startswith("Done")
        assert status_of(recent).startswith("Done")
        clock.advance(days=11)  # the first job ended 91 days ago, the second 11
        start, now = datetime(2026, 1, 1, tzinfo=UTC), clock.now
        money_before = await world.bot.ledger.export_csv(GUILD, start, now)

        await world.bot.jobs.sweep()

        first, second = sorted(
            await world.bot.job_store.recent(MEMBER, GUILD), key=lambda j: j.created_at
        )
        assert first.meta.erased
        assert first.meta.prompt == ""
        assert first.meta.role_ids == ()
        assert first.meta.image_urls == ()
        assert (first.quote, first.state) == (PRICE, second.state), "its figures stay"
        assert not second.meta.erased
        assert second.meta.prompt == "a recent one"
        assert await world.bot.ledger.audit() == []
        assert await world.bot.ledger.export_csv(GUILD, start, now) == money_before
        assert money_before.count(",capture,") == 2
        text = await history_text(world)
        assert "an old secret" not in text
        assert "(prompt erased)" in text
        assert "a recent one" in text


async def test_an_admin_makes_the_bot_forget_a_member(world: World) -> None:
    await settings(world, "safety", flagged_videos="review")
    world.sim.script_prompt("[flagged]", nsfw=True)
    done = await world.final(await world.video(prompt="my holiday in Lisbon"))
    held = await (await world.video(prompt="a [flagged] fox")).wait_message(
        lambda m: has_button(m, "review:approve:")
    )
    await world.final(await world.video(user_id=OTHER_MEMBER, prompt="bob's boat"))
    held_folder = world.settings.env.database_path.parent / "held"
    assert len(list(held_folder.iterdir())) == 1
    before = await world.bot.ledger.report(GUILD)

    forget = await admin(world, "forget", member=MEMBER)

    assert (forget.response_data or {})["content"] == (
        f"<@{MEMBER}> is forgotten on this server: the prompts and links of their 2 jobs are "
        "erased, their held videos deleted, and their spending is kept under an anonymous "
        "id (the server's totals do not change)."
    )
    assert await world.bot.job_store.recent(MEMBER, GUILD) == []
    assert await history_text(world) == "No videos yet."
    assert "bob's boat" in await history_text(world, OTHER_MEMBER)
    assert list(held_folder.iterdir()) == [], "the held video went with them"
    after = await world.bot.ledger.report(GUILD)
    assert (after.spent, after.held) == (before.spent, before.held)
    assert await world.bot.ledger.audit() == []
    path = world.settings.env.database_path
    with sqlite3.connect(path) as conn:
        for table in ("jobs", "holds", "entries", "moderation_events"):
            query = f"SELECT count(*) FROM {table} WHERE user_id = ?"  # noqa: S608
            count = conn.execute(query, (MEMBER,))
            assert count.fetchone() == (0,), table
        prompts = [json.loads(p)["prompt"] for (p,) in conn.execute("SELECT params FROM jobs")]
    assert "my holiday in Lisbon" not in prompts
    assert "bob's boat" in prompts
    assert done.id != held.id


async def test_a_member_with_a_job_running_is_not_forgotten_yet(world: World) -> None:
    world.sim.script_prompt("[slow]", generation_seconds=3.0)
    running = await world.video(prompt="a [slow] river")
    await running.wait_message(lambda m: status_of(m).startswith(("Submitted", "Generating")))
    busy = await admin(world, "forget", member=MEMBER)
    assert (busy.response_data or {})["content"] == (
        f"<@{MEMBER}> has a video being made right now. Try again once it has finished."
    )
    assert len(await world.bot.job_store.recent(MEMBER, GUILD)) == 1


async def test_a_held_video_whose_review_message_is_gone_is_deleted(world: World) -> None:
    await settings(world, "safety", flagged_videos="review")
    world.sim.script_prompt("[flagged]", nsfw=True)
    held = await (await world.video(prompt="a [flagged] fox")).wait_message(
        lambda m: has_button(m, "review:approve:")
    )
    held_folder = world.settings.env.database_path.parent / "held"
    await world.bot.jobs.sweep()
    assert len(list(held_folder.iterdir())) == 1, "its message is there: it waits"

    world.discord.messages[held.id].deleted = True  # someone deleted it in Discord
    await world.bot.jobs.sweep()

    assert list(held_folder.iterdir()) == []
    [job] = await world.bot.job_store.recent(MEMBER, GUILD)
    assert job.meta.review is Review.REMOVED
