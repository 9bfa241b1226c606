"""The budget alerts part of the /settings embed: who hears when money runs out."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.guilds.settings import GuildSettings
from bot.i18n import t


def add_alert_field(
    embed: discord.Embed, guild: GuildSettings, locale: str, thresholds: Sequence[int]
) -> None:
    """Append the budget alerts field to a settings embed."""
    shown = " / ".join(f"{percent}%" for percent in thresholds)
    members = "members_off" if guild.member_alerts is False else "members_on"
    if guild.cap_alerts is False:
        cap = "cap_off"
    else:
        cap = "cap_on" if guild.log_channel_id is not None else "cap_no_channel"
    lines = [
        t(f"settings.alerts.{members}", locale, thresholds=shown),
        t(f"settings.alerts.{cap}", locale, thresholds=shown),
    ]
    embed.add_field(name=t("settings.field.alerts", locale), value="\n".join(lines), inline=False)
