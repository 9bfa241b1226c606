"""Whether the bot can post where an admin points it (/settings: the gallery, the log channel).

Asked when the setting is made, so an admin hears at once what is missing instead of videos
landing back in the channel (or moderation lines going nowhere) later. The channel is read
from Discord (its permission overwrites as they are now) and the bot's rights computed there
as Discord does, with the bot's roles from the server.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import discord

from bot.i18n import t

log = logging.getLogger(__name__)

Purpose = Literal["gallery", "log"]

NEEDED: dict[Purpose, tuple[str, ...]] = {
    # A video in the gallery: the message, its embed and the file.
    "gallery": ("view_channel", "send_messages", "embed_links", "attach_files"),
    # One line per moderation event.
    "log": ("view_channel", "send_messages"),
}


async def missing_permissions(
    client: discord.Client, guild_id: int, channel_id: int, needed: Sequence[str]
) -> list[str] | None:
    """The permissions in `needed` (discord.Permissions names) the bot lacks in the channel,
    in that order; None when it cannot tell (the server is not in the bot's cache, or
    Discord did not answer), so the setting is not refused on a guess."""
    guild = client.get_guild(guild_id)
    if guild is None or guild.me is None:
        return None
    try:
        channel = await guild.fetch_channel(channel_id)
    except discord.Forbidden:
        return [name for name in needed if name == "view_channel"] or ["view_channel"]
    except discord.HTTPException as exc:
        log.info("cannot read channel %s to check the bot's rights: %s", channel_id, exc)
        return None
    have = channel.permissions_for(guild.me)
    return [name for name in needed if not getattr(have, name)]


def _listed(names: Sequence[str], locale: str) -> str:
    if locale.startswith("zh"):
        return "、".join(names)
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {t('list.and', locale)} {names[-1]}"


async def cannot_post(
    interaction: discord.Interaction[discord.Client], channel_id: int, purpose: Purpose
) -> str | None:
    """The admin's refusal when the bot cannot post in the channel for `purpose` (naming what
    it lacks there), or None when it can (or cannot tell)."""
    missing = await missing_permissions(
        interaction.client, interaction.guild_id or 0, channel_id, NEEDED[purpose]
    )
    if not missing:
        return None
    locale = str(interaction.locale)
    names = [t(f"permission.{name}", locale) for name in missing]
    count = "one" if len(names) == 1 else "many"
    return t(
        f"settings.cannot_post.{purpose}.{count}",
        locale,
        channel=f"<#{channel_id}>",
        missing=_listed(names, locale),
    )


__all__ = ["NEEDED", "cannot_post", "missing_permissions"]
