"""/settings alerts: a server turns its budget alerts on or off (Manage Server, checked at run
time). Members hear privately at each threshold of their limit; the log channel hears at each
threshold of the server's cap (`[alerts] thresholds_percent`)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.exts.settings._safety import _answer, _bot, _refused
from bot.guilds.settings import SettingsRefused
from bot.i18n import t


@app_commands.describe(
    members="Tell members privately when they pass each threshold of their limit",
    server_cap="Tell the log channel when the server passes each threshold of its cap",
)
async def _alerts(
    interaction: discord.Interaction[Any],
    members: bool | None = None,
    server_cap: bool | None = None,
) -> None:
    """Change the switches given (None stores "on", the default); the other stays."""
    values: dict[str, Any] = {}
    if members is not None:
        values["member_alerts"] = None if members else False
    if server_cap is not None:
        values["cap_alerts"] = None if server_cap else False
    try:
        guild = await _bot(interaction).server_settings.set(
            interaction.guild_id or 0, by=interaction.user.id, **values
        )
    except SettingsRefused as refused:
        await _refused(interaction, refused)
        return
    await _answer(interaction, guild=guild, text=t("settings.saved", str(interaction.locale)))


def alerts_command() -> app_commands.Command[Any, ..., Any]:
    """A fresh /settings alerts command."""
    return app_commands.Command(
        name="alerts",
        description="Budget alerts: members privately, the log channel for the server cap.",
        callback=_alerts,
    )
