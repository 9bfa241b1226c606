"""The Edit prompt form: a job's prompt (or an improved one), ready to edit; submitting it
runs a new job with the job's other options and seed, through the budget."""

from __future__ import annotations

import secrets
from typing import Any

import discord

from bot.exts.video._cog import VideoCog
from bot.i18n import t
from bot.ui.cogs import loaded

MODAL_TIMEOUT_SECONDS = 15 * 60


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


__all__ = ["EditPromptModal"]
