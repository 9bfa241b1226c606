"""The command tree, with one error handler for every slash command."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import discord
from discord import app_commands

from bot.i18n import t
from bot.jobs.orders import JobRefused
from bot.ui.amounts import BadAmount
from bot.ui.errors import report_unexpected, tell
from bot.ui.render import refusal_text, timestamp


class VideoTree(app_commands.CommandTree[Any]):
    """The command tree, with one error handler for every command."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Every failure ends in a short message to the member, never "did not respond"."""
        locale = str(interaction.locale)
        original = getattr(error, "original", error)
        if isinstance(error, app_commands.CheckFailure) and interaction.response.is_done():
            return  # the check already answered
        if isinstance(error, app_commands.CommandOnCooldown):
            again = discord.utils.utcnow() + timedelta(seconds=error.retry_after)
            text = t("error.cooldown", locale, when=timestamp(again))
        elif isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
            text = t("error.not_admin", locale)
        elif isinstance(original, BadAmount):
            text = t("admin.bad_amount", locale, value=str(original))
        elif isinstance(original, JobRefused):
            # Refused while reading the options (e.g. an attachment missing from the request):
            # bad input, said as such; nothing was held.
            text = refusal_text(original, locale)
        else:
            name = interaction.command.name if interaction.command else "?"
            await report_unexpected(interaction, original, f"command {name}")
            return
        await tell(interaction, text)


__all__ = ["VideoTree"]
