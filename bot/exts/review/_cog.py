"""Flagged videos held for a moderator, and the server's log channel.

`ReviewCog` carries out Approve and Delete on a held video (Manage Messages, checked at the
click): an approved video is delivered where the job says, still behind a spoiler; a removed
one is gone, its message says so. The ledger charged it either way (Atlas made it).
`ChannelNotices` posts the moderation service's notices in the server's log channel, one line
each, naming members without pinging them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.i18n import t
from bot.jobs.moderation import ReviewRefused
from bot.jobs.progress import JobStatus
from bot.safety.notices import Notice
from bot.ui.delivery import job_progress
from bot.ui.listings import jump_url

if TYPE_CHECKING:
    from bot.app import VideoBot

log = logging.getLogger(__name__)


def notice_text(notice: Notice, locale: str) -> str:
    """The log channel's line for a notice."""
    link = ""
    if notice.job_channel_id is not None and notice.job_message_id is not None:
        link = jump_url(notice.guild_id, notice.job_channel_id, notice.job_message_id)
    return t(
        f"modlog.{notice.kind}",
        locale,
        user=f"<@{notice.user_id}>",
        job=notice.job_id or "?",
        count=notice.count,
        limit=notice.limit,
        by=f"<@{notice.by}>" if notice.by is not None else "?",
        link=link,
    )


class ChannelNotices:
    """Posts notices in the log channel, in the server's language."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def post(self, notice: Notice) -> None:
        """One line; mentions are shown, never pinged."""
        guild = self._client.get_guild(notice.guild_id)
        locale = str(guild.preferred_locale) if guild is not None else "en-US"
        channel = self._client.get_partial_messageable(notice.channel_id, guild_id=notice.guild_id)
        await channel.send(
            notice_text(notice, locale), allowed_mentions=discord.AllowedMentions.none()
        )


class ChannelMessages:
    """Tells the privacy sweep whether a held video's review message still exists."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def gone(self, channel_id: int, message_id: int) -> bool:
        """True only when Discord answers that the message (or its channel) is unknown."""
        try:
            await self._client.http.get_message(channel_id, message_id)
        except discord.NotFound:
            return True
        except discord.HTTPException as exc:
            log.info("cannot tell whether message %s still exists: %s", message_id, exc)
        return False


class ReviewCog(commands.Cog):
    """Approve or Delete a flagged video held for a moderator."""

    def __init__(self, bot: VideoBot) -> None:
        self.bot = bot

    async def act(self, interaction: discord.Interaction[Any], action: str, job_id: str) -> None:
        """A moderator decides; the job message shows the outcome."""
        locale = str(interaction.locale)
        if not interaction.permissions.manage_messages:
            await interaction.response.send_message(
                t("review.not_moderator", locale), ephemeral=True
            )
            return
        approve = action == "approve"
        try:
            job, video = await self.bot.moderation.review(
                job_id, interaction.guild_id or 0, approve=approve, by=interaction.user.id
            )
        except ReviewRefused:
            await interaction.response.send_message(t("review.unknown", locale), ephemeral=True)
            return
        await interaction.response.defer()  # the message is edited with the bot's own token
        view = self.bot.jobs.view_of(job).but(
            status=JobStatus.DELIVERED if approve else JobStatus.REMOVED,
            flagged=True,
            charged=job.actual_price if job.actual_price is not None else job.quote,
            video_url=job.meta.output_url,
        )
        progress = job_progress(
            self.bot,
            guild_id=job.guild_id,
            channel_id=job.channel_id,
            message_id=job.message_id,
            meta=job.meta,
            clock=self.bot.monotonic,
        )
        try:
            await progress.show(view, video)
        finally:
            if video is not None:
                self.bot.moderation.drop_held(job_id)
        key = "review.approved" if approve else "review.removed"
        await interaction.followup.send(t(key, locale), ephemeral=True)


__all__ = ["ChannelMessages", "ChannelNotices", "ReviewCog", "notice_text"]
