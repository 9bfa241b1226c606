"""The job actions' buttons: each hands the click to `JobActionsCog`, which checks who may."""

from __future__ import annotations

from typing import Any

import discord

from bot.exts.job_actions._cog import JobActionsCog
from bot.ui.buttons import PersistentButton
from bot.ui.cogs import loaded


class JobActionButton(
    PersistentButton, prefix="job", actions=("approve", "deny", "info", "copy", "delete")
):
    """Approve or Deny a job waiting for an admin; Info, Copy command or Delete an ended one."""

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the cog that knows what the action does."""
        await loaded(interaction.client, JobActionsCog).act(interaction, self.action, self.subject)
