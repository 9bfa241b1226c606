"""The prompt helper's line of the /settings embed: may members improve prompts here."""

from __future__ import annotations

import discord

from bot.guilds.settings import GuildSettings
from bot.i18n import t


def add_prompt_helper_field(embed: discord.Embed, guild: GuildSettings, locale: str) -> None:
    """Append the prompt helper's line to a settings embed."""
    key = "settings.helper_on" if guild.allows_prompt_helper else "settings.helper_off"
    embed.add_field(name=t("settings.field.prompt_helper", locale), value=t(key, locale))


__all__ = ["add_prompt_helper_field"]
