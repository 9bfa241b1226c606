"""A member's preferences as the Discord layer shows them: each value in words, and the
one-time note that a job ignored some of them because the server no longer allows them."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.catalogue import Catalogue
from bot.guilds.preferences import PreferenceStore
from bot.i18n import t
from bot.jobs.orders import ValidatedOrder

log = logging.getLogger(__name__)


def preference_text(name: str, value: Any, catalogue: Catalogue, locale: str) -> str:
    """One preference's value in words: a model's label, "8 s", "Yes"."""
    if name in ("video_model", "animate_model"):
        return catalogue.get(value).label if value in catalogue else f"`{value}`"
    if name == "duration":
        return f"{value} s"
    if name == "dm":
        return t("prefer.dm_yes" if value else "prefer.dm_no", locale)
    return str(value)


def ignored_text(names: list[str], order: ValidatedOrder, catalogue: Catalogue) -> str:
    """What the member reads about preferences this job ignored, in their language."""
    locale = order.meta.locale
    prefs = order.order.preferences
    lines = [
        t(
            f"prefer.ignored.{name}",
            locale,
            value=preference_text(name, getattr(prefs, name), catalogue, locale),
        )
        for name in names
    ]
    lines.append(t("prefer.ignored.footer", locale))
    return "\n".join(lines)


async def tell_ignored_preferences(
    interaction: discord.Interaction[Any],
    order: ValidatedOrder,
    store: PreferenceStore,
    catalogue: Catalogue,
) -> None:
    """Tell the member, once per preference change and privately, which of their preferences
    the server no longer allows, so this job went without them (`ValidatedOrder.ignored`)."""
    if not order.ignored:
        return
    member = order.order
    fresh = await store.note_told(member.guild_id, member.user_id, order.ignored)
    if not fresh:
        return
    text = ignored_text([name for name in order.ignored if name in fresh], order, catalogue)
    try:
        await interaction.followup.send(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the member about ignored preferences", exc_info=True)


__all__ = ["ignored_text", "preference_text", "tell_ignored_preferences"]
