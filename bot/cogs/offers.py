"""The cheaper way beside a budget refusal: one line saying what fits, and a button that makes it.

The button's custom id carries the offer's token (bot/jobs/offers.py keeps the order itself);
pressing it starts that job for the member who was refused, through the budget like any job.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord

from bot.cogs.buttons import _AnswersErrors
from bot.i18n import t
from bot.jobs.offers import Offer, OfferGone
from bot.money import format_usd

if TYPE_CHECKING:
    from bot.cogs.video import VideoCog


def offer_text(offer: Offer, locale: str) -> str:
    """E.g. "4 s at 720p costs USD 0.60 and fits. Press the button to make that instead."."""
    options = t(
        "offer.options_model" if offer.model_changed else "offer.options",
        locale,
        model=offer.model_label,
        duration=offer.duration,
        resolution=offer.resolution,
    )
    return t("offer.fits", locale, options=options, price=format_usd(offer.price))


class OfferButton(
    _AnswersErrors,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"offer:(?P<token>[0-9a-f]{32})",
):
    """Make the cheaper video the refusal offered (the refused member only, once)."""

    def __init__(self, token: str, label: str = "Make it") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=discord.ButtonStyle.primary, custom_id=f"offer:{token}"
            )
        )
        self.token = token

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
    ) -> OfferButton:
        """Rebuild the button from a click."""
        return cls(match["token"])

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """Start the offered job, with the member's roles and language as they are now."""
        cog: VideoCog | None = interaction.client.get_cog("VideoCog")
        assert cog is not None, "the video cog is loaded in setup_hook"
        locale = str(interaction.locale)
        try:
            offer = cog.bot.jobs.offers.take(self.token, interaction.user.id)
        except OfferGone as gone:
            await interaction.response.send_message(
                t(f"offer.{gone.reason}", locale), ephemeral=True
            )
            return
        user = interaction.user
        roles = tuple(r.id for r in user.roles) if isinstance(user, discord.Member) else ()
        await cog.start_job(interaction, replace(offer.order, role_ids=roles, locale=locale))


def offer_view(offer: Offer, locale: str) -> discord.ui.View:
    """The refusal's button: "Make it for USD 0.60"."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        OfferButton(offer.token, t("button.offer", locale, price=format_usd(offer.price)))
    )
    return view


__all__ = ["OfferButton", "offer_text", "offer_view"]
