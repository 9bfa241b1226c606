"""Approve and Delete on a video Atlas flagged, held for a moderator (the server's review mode).

Their `custom_id` carries the job id, so they work after a restart; who may press them is
checked at the click, by `bot.cogs.review.ReviewCog`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.cogs.errors import report_unexpected
from bot.i18n import t

if TYPE_CHECKING:
    from bot.cogs.review import ReviewCog

REVIEW_ACTIONS = ("approve", "delete")


class ReviewButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"review:(?P<action>approve|delete):(?P<job_id>[0-9a-f]{32})",
):
    """A moderator's decision on a held video."""

    def __init__(self, action: str, job_id: str, label: str = "") -> None:
        style = discord.ButtonStyle.success if action == "approve" else discord.ButtonStyle.danger
        super().__init__(
            discord.ui.Button(
                label=label or action, style=style, custom_id=f"review:{action}:{job_id}"
            )
        )
        self.action = action
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
    ) -> ReviewButton:
        """Rebuild the button from a click, even on a message sent before a restart."""
        return cls(match["action"], match["job_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the review cog; an unexpected error gets a short message."""
        try:
            cog: ReviewCog | None = interaction.client.get_cog("ReviewCog")
            assert cog is not None, "the review cog is loaded in setup_hook"
            await cog.act(interaction, self.action, self.job_id)
        except Exception as exc:
            await report_unexpected(interaction, exc, f"button {self.custom_id}")


def review_items(job_id: str, locale: str) -> list[ReviewButton]:
    """Approve and Delete, labelled in the member's language."""
    return [
        ReviewButton(action, job_id, t(f"button.{action}", locale)) for action in REVIEW_ACTIONS
    ]
