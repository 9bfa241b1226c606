"""Improve prompt: a chat model rewrites a job's prompt, shown privately with Use, Edit and
Dismiss, and paid from the member's budget by its tokens (`bot.jobs.prompt_help`).

Use makes the video again with the better prompt (through the budget, as Edit prompt does);
Edit opens the Edit prompt form filled with it; Dismiss removes the private message. The
answer is kept with the helper's job, so the buttons work after a restart too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.catalogue import UnknownModel
from bot.exts.video._cog import VideoCog
from bot.exts.video._forms import EditPromptModal
from bot.i18n import t
from bot.jobs.orders import JobRefused, form_prompt_limit, order_of
from bot.jobs.prompt_help import HelpAnswer
from bot.jobs.record import JobRecord
from bot.money import format_usd
from bot.ui.buttons import PersistentButton, button
from bot.ui.cogs import loaded
from bot.ui.orders import for_member
from bot.ui.render import add_left_field, refusal_text

if TYPE_CHECKING:
    from bot.app import VideoBot

log = logging.getLogger(__name__)

SHOWN_CHARS = 4000
"""An embed's description takes 4,096 characters; answers are far shorter."""


def helper_embed(answer: HelpAnswer, locale: str) -> discord.Embed:
    """The improved prompt, and what it cost."""
    embed = discord.Embed(
        title=t("helper.title", locale),
        description=answer.text[:SHOWN_CHARS],
        colour=discord.Colour.blurple(),
    )
    prompt_tokens, completion_tokens = answer.tokens
    embed.add_field(
        name=t("helper.field.cost", locale),
        value=t(
            "helper.cost",
            locale,
            charged=format_usd(answer.charged),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            held=format_usd(answer.held),
        ),
        inline=False,
    )
    add_left_field(embed, answer.remaining, answer.resets_at, locale)
    embed.set_footer(text=f"job {answer.job_id}")
    return embed


def helper_buttons(help_job_id: str, locale: str) -> discord.ui.View:
    """Use, Edit and Dismiss under an improved prompt."""
    view = discord.ui.View(timeout=None)
    for action in ("use", "edit", "dismiss"):
        view.add_item(button("help", action, help_job_id, t(f"button.help_{action}", locale)))
    return view


class HelperCog(commands.Cog):
    """Improve prompt and what follows it."""

    def __init__(self, bot: VideoBot) -> None:
        self.bot = bot

    @property
    def _videos(self) -> VideoCog:
        return loaded(self.bot, VideoCog)

    async def improve(self, interaction: discord.Interaction[Any], job_id: str) -> None:
        """Ask for a better version of the job's prompt; show it privately."""
        locale = str(interaction.locale)
        if not await self._videos.may_make_videos(interaction):
            return
        record = await self.bot.jobs.job(job_id, interaction.guild_id or 0)
        if record is None or record.meta.erased or not record.meta.prompt:
            key = "privacy.job_erased" if record is not None else "reroll.unknown"
            await interaction.response.send_message(t(key, locale), ephemeral=True)
            return
        try:
            stored = order_of(record, self.bot.settings.catalogue).order
        except UnknownModel:
            await interaction.response.send_message(t("reroll.unknown", locale), ephemeral=True)
            return
        # The chat call takes a few seconds: say so at once, privately.
        await interaction.response.defer(ephemeral=True, thinking=True)
        order = for_member(interaction, stored)
        try:
            answer = await self.bot.jobs.improve_prompt(order, helps_job=record.id)
        except JobRefused as refused:
            await interaction.followup.send(refusal_text(refused, locale), ephemeral=True)
            return
        await interaction.followup.send(
            embed=helper_embed(answer, locale),
            view=helper_buttons(answer.job_id, locale),
            ephemeral=True,
        )

    async def _answer(
        self, interaction: discord.Interaction[Any], help_job_id: str
    ) -> tuple[JobRecord, str] | None:
        """The helper's job and its answer; None (the member told) when it is gone."""
        record = await self.bot.jobs.job(help_job_id, interaction.guild_id or 0)
        if record is None or not record.meta.answer or record.meta.helps_job is None:
            await interaction.response.send_message(
                t("helper.gone", str(interaction.locale)), ephemeral=True
            )
            return None
        return record, record.meta.answer

    async def use(self, interaction: discord.Interaction[Any], help_job_id: str) -> None:
        """Make the video again with the improved prompt (its other options as they were)."""
        found = await self._answer(interaction, help_job_id)
        if found is None:
            return
        record, answer = found
        assert record.meta.helps_job is not None
        limit = form_prompt_limit(self.bot.settings.catalogue)
        await self._videos.reroll(interaction, record.meta.helps_job, prompt=answer[:limit])

    async def edit(self, interaction: discord.Interaction[Any], help_job_id: str) -> None:
        """Open the Edit prompt form, filled with the improved prompt."""
        found = await self._answer(interaction, help_job_id)
        if found is None:
            return
        record, answer = found
        assert record.meta.helps_job is not None
        if not await self._videos.may_make_videos(interaction):
            return
        limit = form_prompt_limit(self.bot.settings.catalogue)
        modal = EditPromptModal(
            record.meta.helps_job, answer, str(interaction.locale), max_length=limit
        )
        await interaction.response.send_modal(modal)

    async def dismiss(self, interaction: discord.Interaction[Any], help_job_id: str) -> None:
        """Remove the private message with the improved prompt."""
        await interaction.response.defer()
        await interaction.delete_original_response()


class HelpButton(PersistentButton, prefix="help", actions=("use", "edit", "dismiss")):
    """Use, Edit or Dismiss an improved prompt."""

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the helper."""
        cog = loaded(interaction.client, HelperCog)
        await getattr(cog, self.action)(interaction, self.subject)


__all__ = ["HelpButton", "HelperCog", "helper_buttons", "helper_embed"]
