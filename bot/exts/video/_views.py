"""The video extension's buttons: Re-roll, Cancel and Edit prompt on a job's message, the
cheaper-option button beside a budget refusal (each handed to `VideoCog`); Extend, Edit video
and Upscale (`CarryCog`), Improve prompt and what follows it (`HelperCog`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import discord

from bot.exts.video._carry import CarryCog, UpscaleSelect
from bot.exts.video._cog import VideoCog
from bot.exts.video._forms import EditPromptModal
from bot.exts.video._helper import HelpButton, HelperCog
from bot.i18n import t
from bot.jobs.offers import OfferGone
from bot.jobs.orders import form_prompt_limit
from bot.ui.buttons import PersistentButton
from bot.ui.cogs import loaded
from bot.ui.orders import role_ids


class RerollButton(PersistentButton, prefix="job", actions=("reroll",)):
    """Same parameters, new seed; charged to whoever clicks, through the budget again."""

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """Start a new job with the same options."""
        await loaded(interaction.client, VideoCog).reroll(interaction, self.subject)


class CancelButton(PersistentButton, prefix="job", actions=("cancel",)):
    """Cancel a job that has not reached Atlas yet (requester only); releases the hold."""

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """Cancel the job if it is not too late."""
        await loaded(interaction.client, VideoCog).cancel(interaction, self.subject)


class EditPromptButton(PersistentButton, prefix="job", actions=("edit",)):
    """Open the job's prompt in a form; its submission becomes a new job."""

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """Show the form with the stored prompt (to a member who may use /video here)."""
        cog = loaded(interaction.client, VideoCog)
        if not await cog.may_make_videos(interaction):
            return
        record = await cog.bot.jobs.job(self.subject, interaction.guild_id or 0)
        locale = str(interaction.locale)
        if record is None or record.meta.erased:
            key = "reroll.unknown" if record is None else "privacy.job_erased"
            await interaction.response.send_message(t(key, locale), ephemeral=True)
            return
        limit = form_prompt_limit(cog.bot.settings.catalogue)
        modal = EditPromptModal(self.subject, record.meta.prompt, locale, max_length=limit)
        await interaction.response.send_modal(modal)


class OfferButton(PersistentButton, prefix="offer"):
    """Make the cheaper video the refusal offered (the refused member only, once)."""

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """Start the offered job, with the member's roles and language as they are now."""
        cog = loaded(interaction.client, VideoCog)
        locale = str(interaction.locale)
        try:
            offer = cog.bot.jobs.take_offer(self.subject, interaction.user.id)
        except OfferGone as gone:
            await interaction.response.send_message(
                t(f"offer.{gone.reason}", locale), ephemeral=True
            )
            return
        order = replace(offer.order, role_ids=role_ids(interaction), locale=locale)
        await cog.start_job(interaction, order)


class CarryButton(PersistentButton, prefix="job", actions=("extend", "vedit", "upscale")):
    """Extend, Edit video or Upscale a finished video: a new job whose input is that video."""

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """Open the form (or the resolutions) for it."""
        cog = loaded(interaction.client, CarryCog)
        if self.action == "extend":
            await cog.extend(interaction, self.subject)
        elif self.action == "vedit":
            await cog.edit(interaction, self.subject)
        else:
            await cog.upscale(interaction, self.subject)


class ImproveButton(PersistentButton, prefix="job", actions=("improve",)):
    """Ask the prompt helper for a richer version of the job's prompt (charged by tokens)."""

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """Improve the job's prompt, privately."""
        await loaded(interaction.client, HelperCog).improve(interaction, self.subject)


BUTTONS = (
    RerollButton,
    CancelButton,
    EditPromptButton,
    OfferButton,
    CarryButton,
    ImproveButton,
    HelpButton,
    UpscaleSelect,
)
"""Registered by the extension's `setup()`."""
