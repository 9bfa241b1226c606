"""Admin commands: the one group class and the one check behind /budget-admin and /settings.

Discord shows an admin group only to members with Manage Server (its default permissions), but
a server can override that, so the bot checks Manage Server again on every call.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.i18n import t


async def require_manage_server(interaction: discord.Interaction[Any]) -> bool:
    """True if the member has Manage Server here; else they are told so, and False."""
    if interaction.permissions.manage_guild:
        return True
    await interaction.response.send_message(
        t("error.not_admin", str(interaction.locale)), ephemeral=True
    )
    return False


class AdminGroup(app_commands.Group):
    """A server-only command group for admins (Manage Server, checked again at run time)."""

    def __init__(self, *, name: str, description: str) -> None:
        super().__init__(
            name=name,
            description=description,
            default_permissions=discord.Permissions(manage_guild=True),
            guild_only=True,
        )

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """A server can override default permissions, so check Manage Server on every call."""
        return await require_manage_server(interaction)


__all__ = ["AdminGroup", "require_manage_server"]
