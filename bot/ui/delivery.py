"""Delivering a finished video where the server wants it: a thread, a gallery channel, a DM.

`RoutedProgress` is the job message's `MessageProgress` with one more step at the end: once the
job is delivered and its target (stored with the job, see `bot.guilds.delivery`) is not the
channel, the video is posted at the target through the bot's own token, so it works after a
restart and after the interaction token expired, and the job message says where it went. If
posting there fails (closed DMs, a deleted gallery, a missing permission), the video lands in
the channel instead, with a note saying why. The video was made to fit the destination's
upload limit (`upload_limit`: a DM's is 10 MiB whatever the server's); should Discord refuse it
all the same, the post carries the download link, as the channel mode does. Where the video went is
noted in the job row (`DeliveryJournal`), so a delivery run again after a restart does not post
the video twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, Literal

import discord

from bot.guilds.delivery import DeliveryJournal, DeliveryMode, DeliveryTarget, Posted
from bot.i18n import t
from bot.jobs.progress import JobStatus, JobView
from bot.jobs.record import JobMeta
from bot.ui.listings import jump_url
from bot.ui.message import DEFAULT_UPLOAD_LIMIT, MessageProgress
from bot.ui.render import job_content, job_embed, video_file

log = logging.getLogger(__name__)

DM_UPLOAD_LIMIT = DEFAULT_UPLOAD_LIMIT
"""What a bot may attach in a direct message (no server boost applies there)."""
THREAD_ARCHIVE_MINUTES: Final[Literal[60]] = 60  # then the thread hides itself
THREAD_NAME_MAX = 100
THREAD_EXISTS = 160004  # "A thread has already been created for this message"
CANNOT_DM = 50007  # "Cannot send messages to this user"
PAYLOAD_TOO_LARGE = 413


class Undeliverable(Exception):
    """The target cannot be reached for a reason of our own (e.g. no job message to thread)."""


def thread_name(prompt: str) -> str:
    """The prompt on one line, cut to Discord's 100 characters for a thread name."""
    line = " ".join(prompt.split()) or "video"
    return line if len(line) <= THREAD_NAME_MAX else line[: THREAD_NAME_MAX - 1] + "…"


def _joined(*lines: str | None) -> str | None:
    kept = [line for line in lines if line]
    return "\n".join(kept) if kept else None


class RoutedProgress(MessageProgress):
    """Edits the job message like `MessageProgress`; delivers the video at the job's target."""

    def __init__(
        self,
        client: discord.Client,
        *,
        target: DeliveryTarget,
        guild_id: int,
        journal: DeliveryJournal | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(client, **kwargs)
        self._target = target
        self._guild_id = guild_id
        self._journal = journal

    @property
    def upload_limit(self) -> int:
        """The largest file the destination accepts (a DM has no server boost)."""
        limit = super().upload_limit
        return min(limit, DM_UPLOAD_LIMIT) if self._target.mode is DeliveryMode.DM else limit

    async def show(
        self, view: JobView, video: Path | None = None, *, note: str | None = None
    ) -> None:
        """Render `view`; a delivered video goes to the target, the job message says where."""
        if view.status is not JobStatus.DELIVERED or self._target.mode is DeliveryMode.CHANNEL:
            await super().show(view, video, note=note)
            return
        try:
            posted = await self._already_posted(view.job_id) or await self._deliver(view, video)
        except (discord.HTTPException, Undeliverable) as exc:
            closed = isinstance(exc, discord.HTTPException) and exc.code == CANNOT_DM
            log.warning(
                "could not deliver to the %s (%s); delivering in the channel",
                self._target.mode.value,
                exc,
                extra={"job_id": view.job_id},
            )
            key = "delivery.dm_closed" if closed else "delivery.fallback"
            await super().show(view, video, note=_joined(note, t(key, self._locale)))
            return
        await self._edit(view, None, _joined(note, self._where(posted)))

    def _where(self, posted: Posted) -> str:
        """The job message's line saying where the video went."""
        mode, locale = self._target.mode, self._locale
        if mode is DeliveryMode.THREAD:
            return t("delivery.in_thread", locale, thread=f"<#{posted.channel_id}>")
        if mode is DeliveryMode.GALLERY:
            url = jump_url(self._guild_id, posted.channel_id, posted.message_id)
            return t("delivery.in_gallery", locale, channel=f"<#{posted.channel_id}>", url=url)
        return t("delivery.in_dm", locale)

    async def _already_posted(self, job_id: str) -> Posted | None:
        """Where an earlier try posted the video (a retry after a restart), if it did."""
        if self._journal is None:
            return None
        try:
            return await self._journal.delivered_to(job_id)
        except Exception:
            log.exception("cannot read where the video went", extra={"job_id": job_id})
            return None

    async def _remember(self, job_id: str, posted: Posted) -> Posted:
        """Note the post in the journal; failing to only risks a second post on a retry."""
        if self._journal is not None:
            try:
                await self._journal.note_delivery(job_id, posted)
            except Exception:
                log.exception("cannot note where the video went", extra={"job_id": job_id})
        return posted

    def _job_link(self) -> str:
        """Where the job message is, for a link back from the video."""
        if self.message_id is None:
            return f"https://discord.com/channels/{self._guild_id}/{self._channel_id}"
        return jump_url(self._guild_id, self._channel_id, self.message_id)

    async def _deliver(self, view: JobView, video: Path | None) -> Posted:
        """Post the video at the target and note where."""
        mode, locale = self._target.mode, self._locale
        requester = f"<@{view.requester_id}>"
        if mode is DeliveryMode.THREAD:
            if self.message_id is None:
                raise Undeliverable("the job has no message to start a thread from")
            try:
                await self._client.http.start_thread_with_message(
                    self._channel_id,
                    self.message_id,
                    name=thread_name(view.prompt),
                    auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                )
            except discord.HTTPException as exc:
                if exc.code != THREAD_EXISTS:  # a retry after a restart finds it made
                    raise
            # A thread started from a message has that message's id.
            thread = self._client.get_partial_messageable(self.message_id, guild_id=self._guild_id)
            lead = t("delivery.thread_post", locale, user=requester)
            message = await self._post(thread, view, video, lead, ping=view.requester_id)
            return await self._remember(view.job_id, Posted(self.message_id, message.id))
        lead = t("delivery.from", locale, user=requester, url=self._job_link())
        if mode is DeliveryMode.GALLERY:
            gallery_id = self._target.gallery_channel_id
            if gallery_id is None:
                raise Undeliverable("no gallery channel")
            gallery = self._client.get_partial_messageable(gallery_id, guild_id=self._guild_id)
            # The member's remaining budget is theirs, not the gallery's.
            message = await self._post(gallery, view.but(remaining=None), video, lead)
            return await self._remember(view.job_id, Posted(gallery_id, message.id))
        dm = await self._client.create_dm(discord.Object(view.requester_id))
        message = await self._post(dm, view, video, lead)
        return await self._remember(view.job_id, Posted(dm.id, message.id))

    async def _post(
        self,
        destination: discord.abc.Messageable,
        view: JobView,
        video: Path | None,
        lead: str,
        *,
        ping: int | None = None,
    ) -> discord.Message:
        """Send the job's embed with the video, or with its link when it cannot be attached."""
        mentions = (
            discord.AllowedMentions(users=[discord.Object(ping)])
            if ping is not None
            else discord.AllowedMentions.none()
        )
        embed = job_embed(view, self._locale)
        link = job_content(view, self._locale, attached=False)
        if video is not None:
            try:
                return await destination.send(
                    content=_joined(lead, job_content(view, self._locale, attached=True)),
                    embed=embed,
                    file=video_file(view, video),
                    allowed_mentions=mentions,
                )
            except discord.HTTPException as exc:
                if exc.status != PAYLOAD_TOO_LARGE:
                    raise
                log.info("video over the destination's limit; sending the link instead")
        return await destination.send(
            content=_joined(lead, link), embed=embed, allowed_mentions=mentions
        )


def job_progress(
    client: discord.Client,
    *,
    guild_id: int,
    channel_id: int,
    message_id: int | None,
    meta: JobMeta,
    clock: Callable[[], float],
    journal: DeliveryJournal | None = None,
    interaction: discord.Interaction[Any] | None = None,
    followup: bool = False,
) -> RoutedProgress:
    """The progress sink of one job's message: edited through `interaction` while its token
    lives (else the channel API), the video delivered where the job's row says, in its
    member's language, fitted to the upload limit its server had when it was asked for."""
    return RoutedProgress(
        client,
        target=meta.delivery,
        guild_id=guild_id,
        journal=journal,
        channel_id=channel_id,
        message_id=message_id,
        locale=meta.locale,
        interaction=interaction,
        clock=clock,
        upload_limit=meta.upload_limit,
        followup=followup,
    )


__all__ = ["DM_UPLOAD_LIMIT", "RoutedProgress", "Undeliverable", "job_progress", "thread_name"]
