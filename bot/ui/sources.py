"""A finished video as Discord has it now: the current attachment of the message it is on.

Discord's attachment links expire (they are signed for about a day), so a link kept from the
day the video was delivered would fail weeks later. The message is read again instead, from
where the job row says the video went (its own message, or the thread, gallery or DM post),
and its attachment comes with a fresh link.
"""

from __future__ import annotations

import mimetypes
from typing import Any

import discord

from bot.guilds.delivery import Posted
from bot.jobs.orders import JobRefused, VideoInput
from bot.jobs.record import JobRecord


def video_post(job: JobRecord) -> Posted | None:
    """Where the job's video was posted: away from its channel if it went elsewhere, else on
    the job's own message (None: the job never had a message)."""
    if job.meta.delivered_to is not None:
        return job.meta.delivered_to
    if job.message_id is None:
        return None
    return Posted(job.channel_id, job.message_id)


async def current_video(client: discord.Client, job: JobRecord) -> VideoInput:
    """The finished video of `job` as Discord describes it now, with a fresh link;
    `JobRefused("refused.video_gone")` when its message or attachment no longer exists."""
    where = video_post(job)
    if where is None:
        raise JobRefused("refused.video_gone")
    channel = client.get_partial_messageable(where.channel_id, guild_id=job.guild_id)
    try:
        message = await channel.fetch_message(where.message_id)
    except (discord.NotFound, discord.Forbidden):
        raise JobRefused("refused.video_gone") from None
    attachment = next((a for a in message.attachments if _is_video(a)), None)
    if attachment is None:  # deleted, or never attached (it was sent as a link)
        raise JobRefused("refused.video_gone")
    return VideoInput(
        url=attachment.url,
        filename=attachment.filename,
        content_type=attachment.content_type or mimetypes.guess_type(attachment.filename)[0],
        size=attachment.size,
    )


def video_input(attachment: Any) -> VideoInput:
    """A member's video attachment as Discord describes it, before anything is downloaded
    (`JobRefused` when the option's attachment did not come with the request)."""
    if not isinstance(attachment, discord.Attachment):
        raise JobRefused("refused.attachment_missing")
    return VideoInput(
        url=attachment.url,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
    )


def _is_video(attachment: discord.Attachment) -> bool:
    kind = attachment.content_type or mimetypes.guess_type(attachment.filename)[0] or ""
    return kind.startswith("video/")


__all__ = ["current_video", "video_input", "video_post"]
