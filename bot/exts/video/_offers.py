"""The cheaper way beside a budget refusal: one line saying what fits, and a button that makes it.

The button's custom id carries the offer's token (bot/jobs/offers.py keeps the order itself);
pressing it (`bot.exts.video._views.OfferButton`) starts that job for the member who was
refused, through the budget like any job.
"""

from __future__ import annotations

import discord

from bot.i18n import t
from bot.jobs.offers import Offer
from bot.money import format_usd
from bot.ui.buttons import button


def offer_text(offer: Offer, locale: str) -> str:
    """E.g. "4 s at 720p costs USD 0.60 and fits. Press the button to make that instead."
    (or, for a refused batch, how many of its videos fit)."""
    if offer.count > 1:
        return t("offer.batch", locale, count=offer.count, price=format_usd(offer.price))
    options = t(
        "offer.options_model" if offer.model_changed else "offer.options",
        locale,
        model=offer.model_label,
        duration=offer.duration,
        resolution=offer.resolution,
    )
    return t("offer.fits", locale, options=options, price=format_usd(offer.price))


def offer_view(offer: Offer, locale: str) -> discord.ui.View:
    """The refusal's button: "Make it for USD 0.60"."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        button("offer", "", offer.token, t("button.offer", locale, price=format_usd(offer.price)))
    )
    return view


__all__ = ["offer_text", "offer_view"]
