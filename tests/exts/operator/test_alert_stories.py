"""The operator's view (#18), alerts: a member hears privately, once per period, when a video
takes them past 80% and 100% of their limit (in their language); the server's log channel when
the server passes 80% and 100% of its cap; the operator's channel when the bot-wide cap does.
Servers turn theirs off with /settings alerts. End to end through the real bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.money import usd
from bot.operator import CapturedJob
from tests.e2e.conftest import (
    ADMIN,
    CHANNEL,
    GUILD,
    MEMBER,
    OTHER_MEMBER,
    World,
    running_world,
)
from tests.exts.operator.test_balance_stories import OPS_CHANNEL, ops_lines, until
from tests.fake_discord import FakeInteraction, FakeMessage

LOG_CHANNEL = 2003


async def settings(world: World, subcommand: str, **options: Any) -> FakeInteraction:
    return await world.command("settings", subcommand, **options)


def posted_in(world: World, channel_id: int) -> list[str]:
    posted = [m for m in world.discord.messages.values() if m.channel_id == channel_id]
    return [m.content or "" for m in sorted(posted, key=lambda m: m.id)]


def dms(world: World, user_id: int) -> list[str]:
    channel = world.discord.dm_channels.get(user_id)
    return [] if channel is None else posted_in(world, channel.id)


async def videos(world: World, count: int, *, user_id: int = MEMBER, locale: str = "en-US") -> None:
    """The member makes `count` default videos (USD 1.00 each), one after the other."""
    for n in range(count):
        interaction = await world.discord.invoke(
            "video",
            user_id=user_id,
            guild_id=GUILD,
            channel_id=CHANNEL,
            options={"prompt": f"a fox {n}"},
            locale=locale,
        )
        await interaction.wait_message(delivered, timeout=10)
        await world.bot.services.alerts.idle()


def delivered(message: FakeMessage) -> bool:
    """The job message says the video is done, in English or in Chinese."""
    fields = [f for embed in message.embeds for f in embed.get("fields", [])]
    return any(
        f["name"] in ("Status", "狀態") and f["value"].startswith(("Done", "完成")) for f in fields
    )


async def with_channels(world: World) -> World:
    """The log channel and the operator's alert channel, set up."""
    world.discord.add_channel(GUILD, LOG_CHANNEL, name="mod-log")
    world.discord.add_channel(GUILD, OPS_CHANNEL, name="bot-ops")
    world.settings.operator = world.settings.operator.model_copy(
        update={"alert_channel_id": OPS_CHANNEL, "low_balance": 0}
    )
    await world.restart()
    await settings(world, "safety", log_channel=LOG_CHANNEL)
    return world


@pytest.fixture
async def alert_world(tmp_path: Path) -> AsyncIterator[World]:
    # A member may spend USD 5.00 a month; the server cap and the bot-wide cap are USD 5.00 too.
    async with running_world(tmp_path, default_bot_cap_usd="5.00") as world:
        await with_channels(world)
        await world.bot.ledger.set_guild_cap(GUILD, usd("5.00"), by=ADMIN)
        yield world


async def test_member_server_and_operator_hear_at_80_and_100_percent_once(
    alert_world: World,
) -> None:
    world = alert_world
    await videos(world, 3)  # 60%: nobody hears anything
    assert dms(world, MEMBER) == []
    assert posted_in(world, LOG_CHANNEL) == []
    assert ops_lines(world) == []

    await videos(world, 1)  # 80%
    [near] = dms(world, MEMBER)
    assert near.startswith(
        "📊 You have used 80% of your video budget on **Video Club**: USD 4.00 of USD 5.00. "
        "It resets <t:"
    )
    assert posted_in(world, LOG_CHANNEL) == [
        posted_in(world, LOG_CHANNEL)[0]  # one line, checked below
    ]
    assert posted_in(world, LOG_CHANNEL)[0].startswith(
        "📊 This server has used 80% of its video cap: USD 4.00 of USD 5.00, until it resets <t:"
    )
    assert [line.split(":")[0] for line in ops_lines(world)] == ["📊 The bot-wide cap is 80% used"]

    await world.restart()  # what was said stays said: the alerts are claimed in the database
    await videos(world, 1)  # 100%
    assert len(dms(world, MEMBER)) == 2
    assert dms(world, MEMBER)[1].startswith(
        "📊 You have used all of your video budget on **Video Club** (USD 5.00 of USD 5.00). "
        "It resets <t:"
    )
    assert len(posted_in(world, LOG_CHANNEL)) == 2
    assert posted_in(world, LOG_CHANNEL)[1].startswith(
        "📊 This server has used its whole video cap (USD 5.00 of USD 5.00): videos are refused"
    )
    assert ops_lines(world)[1].startswith("🛑 The bot-wide cap is used up (USD 5.00 of USD 5.00)")

    # Asked again (another capture in the same period): nothing is said twice.
    job = CapturedJob(GUILD, MEMBER, (), "en-US")
    await world.bot.services.alerts.check(job)
    assert (len(dms(world, MEMBER)), len(posted_in(world, LOG_CHANNEL)), len(ops_lines(world))) == (
        2,
        2,
        2,
    )


async def test_alerts_speak_the_members_language_and_servers_can_turn_them_off(
    tmp_path: Path,
) -> None:
    async with running_world(tmp_path) as world:
        await with_channels(world)
        await _language_and_switches(world)


async def _language_and_switches(world: World) -> None:
    await world.bot.ledger.set_guild_cap(GUILD, usd("10.00"), by=ADMIN)
    off = await settings(world, "alerts", members=False, server_cap=False)
    embed = (off.response_data or {})["embeds"][0]
    alerts = next(f["value"] for f in embed["fields"] if f["name"] == "Budget alerts")
    assert alerts == "Members get no budget alerts\nNo server cap alerts"

    await videos(world, 4)  # alice passes 80%: she asked not to be told, nor the log channel
    assert dms(world, MEMBER) == []
    assert posted_in(world, LOG_CHANNEL) == []

    on = await settings(world, "alerts", members=True)
    embed = (on.response_data or {})["embeds"][0]
    alerts = next(f["value"] for f in embed["fields"] if f["name"] == "Budget alerts")
    assert alerts == "Members hear privately at 80% / 100% of their limit\nNo server cap alerts"
    await videos(world, 4, user_id=OTHER_MEMBER, locale="zh-TW")
    [near] = dms(world, OTHER_MEMBER)
    assert near.startswith("📊 你在 **Video Club** 已用掉影片額度的 80%：USD 4.00／USD 5.00。")
    assert posted_in(world, LOG_CHANNEL) == [], "the server is at 80% of USD 10.00: switched off"
    assert dms(world, MEMBER) == [], "alice's 80% passed while members' alerts were off"


async def test_closed_dms_or_no_log_channel_lose_the_alert_not_the_video(tmp_path: Path) -> None:
    async with running_world(tmp_path) as world:
        world.discord.set_dms_open(MEMBER, False)
        await videos(world, 4)
        assert dms(world, MEMBER) == []
        summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
        assert summary.spent == usd("4.00")
        show = await settings(world, "show")
        embed = (show.response_data or {})["embeds"][0]
        alerts = next(f["value"] for f in embed["fields"] if f["name"] == "Budget alerts")
        assert alerts.endswith(
            "Server cap alerts wait for a log channel (/settings safety log_channel)"
        )
        await until(lambda: not world.bot.services.alerts._tasks, "the alerts to settle")
