"""Turning an interaction into the member's order: one place reads who asks, where, in which
language and with which roles, for /video, /animate, Re-roll, Edit prompt and offers alike."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import discord

from bot.jobs.orders import ImageInput, VideoOrder

PROMPT_MAX = 2000
"""The longest prompt the slash commands and the Edit prompt form take."""


def role_ids(interaction: discord.Interaction[Any]) -> tuple[int, ...]:
    """The member's roles here (their budget may come from one of them)."""
    user = interaction.user
    return tuple(role.id for role in user.roles) if isinstance(user, discord.Member) else ()


def channel_nsfw(interaction: discord.Interaction[Any]) -> bool:
    """The channel is age-restricted (a thread follows its parent, as Discord shows it)."""
    is_nsfw = getattr(interaction.channel, "is_nsfw", None)
    return bool(is_nsfw()) if callable(is_nsfw) else False


def image_input(attachment: discord.Attachment) -> ImageInput:
    """An attachment as Discord describes it, before anything is downloaded."""
    return ImageInput(
        url=attachment.url,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        width=attachment.width,
        height=attachment.height,
    )


def for_member(
    interaction: discord.Interaction[Any], order: VideoOrder, **changes: Any
) -> VideoOrder:
    """`order` asked by whoever made this interaction, where and as they are now (a re-roll
    is charged to the member who clicks, in their language), with `changes` applied."""
    return replace(
        order,
        user_id=interaction.user.id,
        guild_id=interaction.guild_id or order.guild_id,
        channel_id=interaction.channel_id or order.channel_id,
        role_ids=role_ids(interaction),
        channel_nsfw=channel_nsfw(interaction),
        locale=str(interaction.locale),
        **changes,
    )


__all__ = ["PROMPT_MAX", "channel_nsfw", "for_member", "image_input", "role_ids"]
