"""Flagged videos held for a moderator, and the server's log channel for safety notices."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.review._cog import ChannelMessages, ChannelNotices, ReviewCog
from bot.exts.review._views import ReviewButton

if TYPE_CHECKING:
    from bot.app import VideoBot


async def setup(bot: VideoBot) -> None:
    """Extension entry point: the cog, its buttons, the log channel for notices, and the
    check that a held video's review message still exists."""
    bot.add_dynamic_items(ReviewButton)
    await bot.add_cog(ReviewCog(bot))
    moderation = getattr(bot, "moderation", None)  # absent when only commands are loaded
    if moderation is not None:
        moderation.notices = ChannelNotices(bot)
    privacy = getattr(bot, "privacy", None)
    if privacy is not None:
        privacy.messages = ChannelMessages(bot)
