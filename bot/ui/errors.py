"""Telling the member when something failed, from a command or from a button alike."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.i18n import t

log = logging.getLogger(__name__)


async def tell(interaction: discord.Interaction[Any], text: str) -> None:
    """An ephemeral answer, whether or not the interaction was already answered."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the member about an error", exc_info=True)


async def report_unexpected(
    interaction: discord.Interaction[Any], error: BaseException, what: str
) -> None:
    """Log an unexpected failure with a reference the member can quote, and tell the member."""
    reference = f"{interaction.id:x}"
    log.error("%s failed (ref %s)", what, reference, exc_info=error)
    await tell(interaction, t("error.unexpected", str(interaction.locale), job_id=reference))
