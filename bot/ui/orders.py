"""Turning an interaction into the member's order: one place reads who asks, where, in which
language, with which roles and with which preferences, for /video, /animate, Re-roll, Edit
prompt and offers alike."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.guilds.preferences import PreferenceStore
from bot.jobs.orders import OPTION_MAX_CHARS, ImageInput, JobRefused, VideoOrder

PROMPT_OPTION = "prompt"


def register_prompt_limit(cog: commands.Cog, limit: int) -> None:
    """Register `limit` (`bot.jobs.orders.prompt_limit`) as the longest `prompt` each of the
    cog's slash commands takes. The commands are declared with Discord's own maximum
    (`OPTION_MAX_CHARS`), before the catalogue is known; the cog's copies get the real limit,
    leaving the class's declaration as it was."""
    if not 1 <= limit <= OPTION_MAX_CHARS:
        raise ValueError(f"a prompt limit must be from 1 to {OPTION_MAX_CHARS}, not {limit}")
    for command in cog.get_app_commands():
        if not isinstance(command, app_commands.Command):
            continue
        # discord.py keeps an option's registered bounds on its CommandParameter (no public
        # setter); the cog's copy of the command shares them with the class, so swap, never edit.
        parameter = command._params.get(PROMPT_OPTION)
        if parameter is not None:
            command._params[PROMPT_OPTION] = dataclasses.replace(parameter, max_value=limit)


def role_ids(interaction: discord.Interaction[Any]) -> tuple[int, ...]:
    """The member's roles here (their budget may come from one of them)."""
    user = interaction.user
    return tuple(role.id for role in user.roles) if isinstance(user, discord.Member) else ()


def channel_nsfw(interaction: discord.Interaction[Any]) -> bool:
    """The channel is age-restricted (a thread follows its parent, as Discord shows it)."""
    is_nsfw = getattr(interaction.channel, "is_nsfw", None)
    return bool(is_nsfw()) if callable(is_nsfw) else False


def image_input(attachment: discord.Attachment) -> ImageInput:
    """An attachment as Discord describes it, before anything is downloaded.

    Raises `JobRefused` when the option names an attachment that the interaction's resolved
    data lacks: discord.py then hands the command a bare `discord.Object` (just the id), with
    nothing to check or download. The command tree tells the member (`bot.ui.tree`).
    """
    if not isinstance(attachment, discord.Attachment):
        raise JobRefused("refused.attachment_missing")
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
        upload_limit=interaction.filesize_limit,
        **changes,
    )


async def with_preferences(order: VideoOrder, store: PreferenceStore) -> VideoOrder:
    """`order` with its member's own defaults in its server (`/prefer`), for the options
    left out; `bot.jobs.orders.validate_order` decides which of them apply."""
    return replace(order, preferences=await store.get(order.guild_id, order.user_id))


__all__ = [
    "PROMPT_OPTION",
    "channel_nsfw",
    "for_member",
    "image_input",
    "register_prompt_limit",
    "role_ids",
    "with_preferences",
]
