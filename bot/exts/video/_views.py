"""The video extension's buttons and form: Re-roll, Cancel and Edit prompt on a job's message,
and the cheaper-option button beside a budget refusal. Each hands the click to `VideoCog`."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

import discord

from bot.exts.video._cog import VideoCog
from bot.i18n import t
from bot.jobs.offers import OfferGone
from bot.jobs.orders import form_prompt_limit
from bot.ui.buttons import PersistentButton
from bot.ui.cogs import loaded
from bot.ui.orders import role_ids

MODAL_TIMEOUT_SECONDS = 15 * 60


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


class EditPromptModal(discord.ui.Modal):
    """The job's prompt, ready to edit; submitting it runs a new job (through the budget)."""

    def __init__(self, job_id: str, prompt: str, locale: str, *, max_length: int) -> None:
        # A fresh id per opening: two members editing the same job each keep their own modal.
        super().__init__(
            title=t("edit.title", locale),
            timeout=MODAL_TIMEOUT_SECONDS,
            custom_id=f"job:edit-prompt:{job_id}:{secrets.token_hex(4)}",
        )
        self.job_id = job_id
        self.prompt: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t("edit.label", locale),
            style=discord.TextStyle.paragraph,
            default=prompt[:max_length],
            min_length=1,
            max_length=max_length,
            custom_id="prompt",
        )
        self.add_item(self.prompt)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Run the edited prompt with the original job's other options and seed."""
        await loaded(interaction.client, VideoCog).reroll(
            interaction, self.job_id, prompt=self.prompt.value
        )


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


BUTTONS = (RerollButton, CancelButton, EditPromptButton, OfferButton)
"""Registered by the extension's `setup()`."""
