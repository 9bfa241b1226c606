"""/queue and /history: what is running on the server, and what a member made lately."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.i18n import t
from bot.ledger import HoldNotFound, Settlement
from bot.ui.listings import history_embed, queue_embed

if TYPE_CHECKING:
    from bot.app import VideoBot

HISTORY_SIZE = 10


class QueueCog(commands.Cog):
    """The server's line and members' own histories."""

    def __init__(self, bot: VideoBot) -> None:
        self.bot = bot

    @app_commands.command(name="queue", description="Videos waiting and running on this server.")
    @app_commands.guild_only()
    async def queue(self, interaction: discord.Interaction[Any]) -> None:
        """Every job of this server waiting or running, the member's own listed first."""
        entries = await self.bot.jobs.queue_of(interaction.guild_id or 0)
        await interaction.response.send_message(
            embed=queue_embed(entries, interaction.user.id, str(interaction.locale)),
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(name="history", description="Your recent videos, with links to each.")
    @app_commands.guild_only()
    @app_commands.describe(member="Whose videos (admins only)")
    async def history(
        self, interaction: discord.Interaction[Any], member: discord.Member | None = None
    ) -> None:
        """The member's last jobs (ephemeral); admins (Manage Server) may ask about another."""
        locale = str(interaction.locale)
        user = interaction.user
        if member is not None and member.id != user.id and not interaction.permissions.manage_guild:
            await interaction.response.send_message(t("history.not_admin", locale), ephemeral=True)
            return
        target = member or user
        jobs = await self.bot.job_store.recent(
            target.id, interaction.guild_id or 0, limit=HISTORY_SIZE
        )
        settlements: dict[str, Settlement | None] = {}
        for job in jobs:
            try:
                settlements[job.id] = await self.bot.ledger.settlement(job.id)
            except HoldNotFound:
                settlements[job.id] = None
        title = (
            t("history.title", locale)
            if target.id == user.id
            else t("history.title_member", locale, name=target.display_name)
        )
        await interaction.response.send_message(
            embed=history_embed(jobs, settlements, title, locale), ephemeral=True
        )
