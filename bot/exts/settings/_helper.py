"""/settings prompt-helper: a server turns the prompt helper (Improve prompt) on or off
(Manage Server, checked at run time). Each improvement is charged to the member's budget by its
tokens; an admin who does not want that spending turns it off here."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.exts.settings._safety import _answer, _bot, _refused
from bot.guilds.settings import SettingsRefused
from bot.i18n import t


@app_commands.describe(enabled="May members have their prompts improved (paid from their budget)?")
async def _prompt_helper(interaction: discord.Interaction[Any], enabled: bool) -> None:
    """Store the switch (None: on, the default)."""
    try:
        guild = await _bot(interaction).server_settings.set(
            interaction.guild_id or 0,
            by=interaction.user.id,
            prompt_helper=None if enabled else False,
        )
    except SettingsRefused as refused:
        await _refused(interaction, refused)
        return
    await _answer(interaction, guild=guild, text=t("settings.saved", str(interaction.locale)))


def prompt_helper_command() -> app_commands.Command[Any, ..., Any]:
    """A fresh /settings prompt-helper command."""
    return app_commands.Command(
        name="prompt-helper",
        description="Turn Improve prompt on or off (charged to members' budgets by tokens).",
        callback=_prompt_helper,
    )


__all__ = ["prompt_helper_command"]
