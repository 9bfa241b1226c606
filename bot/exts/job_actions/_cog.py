"""The buttons beside a job that do not start one: Approve and Deny for admins while a job
waits for them; Info, Copy command and Delete once it has ended. Who may press what is checked
here, at the moment of the click (a server can hand out any button's message)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.exts.job_actions._copy import copy_reply
from bot.i18n import t
from bot.jobs.approval import DecisionRefused
from bot.jobs.overview import DeleteRefused, model_label
from bot.ledger import HoldNotFound
from bot.ui.listings import info_embed

if TYPE_CHECKING:
    from bot.app import VideoBot

log = logging.getLogger(__name__)


class JobActionsCog(commands.Cog):
    """Approve, Deny, Info, Copy command and Delete on job messages."""

    def __init__(self, bot: VideoBot) -> None:
        self.bot = bot

    async def act(self, interaction: discord.Interaction[Any], action: str, job_id: str) -> None:
        """Carry out a button's action for whoever pressed it."""
        if action in ("approve", "deny"):
            await self.decide(interaction, job_id, approved=action == "approve")
        elif action == "info":
            await self.info(interaction, job_id)
        elif action == "delete":
            await self.delete(interaction, job_id)
        elif action == "copy":
            await self.copy_command(interaction, job_id)

    @staticmethod
    async def _tell(interaction: discord.Interaction[Any], key: str, **params: Any) -> None:
        await interaction.response.send_message(
            t(key, str(interaction.locale), **params), ephemeral=True
        )

    async def decide(
        self, interaction: discord.Interaction[Any], job_id: str, *, approved: bool
    ) -> None:
        """An admin (Manage Server, checked now) lets a waiting job run, or turns it down."""
        if not interaction.permissions.manage_guild:
            await self._tell(interaction, "error.not_admin")
            return
        try:
            self.bot.jobs.decide(
                job_id, interaction.guild_id or 0, approved=approved, by=interaction.user.id
            )
        except DecisionRefused:
            await self._tell(interaction, "approval.unknown")
            return
        await self._tell(interaction, "approval.approved" if approved else "approval.denied")

    async def info(self, interaction: discord.Interaction[Any], job_id: str) -> None:
        """Everything about the job, for whoever asks in its server (only they see it)."""
        record = await self.bot.jobs.job(job_id, interaction.guild_id or 0)
        if record is None:
            await self._tell(interaction, "cancel.unknown")
            return
        try:
            settlement = await self.bot.ledger.settlement(job_id)
        except HoldNotFound:
            settlement = None
        label = model_label(self.bot.settings.catalogue, record.model)
        await interaction.response.send_message(
            embed=info_embed(record, settlement, label, str(interaction.locale)), ephemeral=True
        )

    async def copy_command(self, interaction: discord.Interaction[Any], job_id: str) -> None:
        """The `/video` or `/animate` line that makes this video again, for whoever asks."""
        record = await self.bot.jobs.job(job_id, interaction.guild_id or 0)
        if record is None:
            await self._tell(interaction, "cancel.unknown")
            return
        if record.meta.erased:
            await self._tell(interaction, "privacy.job_erased")
            return
        reply = copy_reply(record, self.bot.settings.catalogue, str(interaction.locale))
        await interaction.response.send_message(ephemeral=True, **reply)

    async def delete(self, interaction: discord.Interaction[Any], job_id: str) -> None:
        """The requester or a moderator (Manage Messages) removes the message; the ledger and
        the job row stay."""

        async def remove() -> None:
            await interaction.response.defer()
            await interaction.delete_original_response()

        try:
            await self.bot.jobs.delete_message(
                job_id,
                interaction.user.id,
                moderator=interaction.permissions.manage_messages,
                remove=remove,
                guild_id=interaction.guild_id or 0,
            )
        except DeleteRefused as refused:
            await self._tell(interaction, f"delete.{refused.reason}")
            return
        await interaction.followup.send(t("delete.done", str(interaction.locale)), ephemeral=True)


__all__ = ["JobActionsCog"]
