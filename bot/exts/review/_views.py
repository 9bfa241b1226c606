"""Approve and Delete on a video Atlas flagged, held for a moderator (the server's review mode).

Their `custom_id` carries the job id, so they work after a restart; who may press them is
checked at the click, by `bot.exts.review._cog.ReviewCog`.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.exts.review._cog import ReviewCog
from bot.ui.buttons import PersistentButton
from bot.ui.cogs import loaded


class ReviewButton(PersistentButton, prefix="review", actions=("approve", "delete")):
    """A moderator's decision on a held video."""

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the review cog."""
        await loaded(interaction.client, ReviewCog).act(interaction, self.action, self.subject)
