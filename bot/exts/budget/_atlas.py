"""Yesterday's line of the ledger beside Atlas's bill, on /budget-admin report.

The figures are the whole bot's (every server together: that is what Atlas bills), so they
are shown only where the operator reads them: in the server of the operator's alert channel,
or when the bot serves a single server. Atlas is asked at most every few minutes, and never
for longer than `ASK_SECONDS`, so the report still answers within Discord's three seconds.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord

from bot.atlas import AtlasError
from bot.i18n import t
from bot.money import format_usd

if TYPE_CHECKING:
    from bot.app import VideoBot

ASK_SECONDS = 1.5


def operator_reads(bot: VideoBot, guild_id: int) -> bool:
    """Whether this server's admins may see the whole bot's spend."""
    channel_id = bot.settings.operator.alert_channel_id
    if channel_id is not None:
        channel = bot.get_channel(channel_id)
        guild = getattr(channel, "guild", None)
        if guild is not None and guild.id == guild_id:
            return True
    return len(bot.guilds) == 1


async def add_atlas_line(embed: discord.Embed, bot: VideoBot, locale: str, guild_id: int) -> None:
    """Add yesterday's ledger-beside-Atlas field to the report, where the operator reads it."""
    if bot.settings.simulated or not operator_reads(bot, guild_id):
        return
    try:
        line = await asyncio.wait_for(bot.services.reconciler.yesterday(), ASK_SECONDS)
    except (AtlasError, TimeoutError) as exc:
        reason = "Atlas did not answer in time" if isinstance(exc, TimeoutError) else str(exc)
        text = t("admin.report_atlas_unreadable", locale, reason=reason)
        day = "?"
    else:
        key = "admin.report_atlas_partial" if line.partial else "admin.report_atlas_line"
        text = t(
            key,
            locale,
            ledger=format_usd(line.ledger),
            atlas=format_usd(line.atlas),
            difference=format_usd(line.difference),
        )
        day = line.day.isoformat()
    embed.add_field(name=t("admin.report_atlas", locale, day=day), value=text, inline=False)
