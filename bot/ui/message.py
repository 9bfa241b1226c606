"""`Progress` for Discord: edits the member's job message as the job moves.

Within the interaction token's 15-minute life, the message is edited through the interaction
webhook; after that (or after a restart, when there is no interaction) through the channel
message API, which the bot's own token can always do.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord

from bot.jobs.progress import JobView
from bot.ui.buttons import job_buttons
from bot.ui.render import job_content, job_embed, video_file

log = logging.getLogger(__name__)

TOKEN_LIFETIME_SECONDS = 15 * 60
TOKEN_MARGIN_SECONDS = 60
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024  # Discord's limit for a server without boosts


class MessageProgress:
    """Edits one job message; `interaction` is None for a job resumed after a restart.

    `upload_limit` is the largest file the channel accepts: as the job's interaction said
    (kept with the job, for a restart), else the interaction's, else Discord's least (10 MiB).
    """

    def __init__(
        self,
        client: discord.Client,
        *,
        channel_id: int,
        message_id: int | None,
        locale: str,
        interaction: discord.Interaction[Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        upload_limit: int | None = None,
        followup: bool = False,
    ) -> None:
        self._client = client
        self._channel_id = channel_id
        self.message_id = message_id
        self._locale = locale
        self._interaction = interaction
        self._followup = followup  # one of a batch: a follow-up message, not the original
        self._clock = clock
        self._token_born = clock()
        if upload_limit is None:
            upload_limit = interaction.filesize_limit if interaction else DEFAULT_UPLOAD_LIMIT
        self._upload_limit = upload_limit

    @property
    def upload_limit(self) -> int:
        """The attachment size the interaction told us this channel accepts."""
        return self._upload_limit

    def _token_fresh(self) -> bool:
        if self._interaction is None:
            return False
        age = self._clock() - self._token_born
        return age < TOKEN_LIFETIME_SECONDS - TOKEN_MARGIN_SECONDS

    async def show(
        self, view: JobView, video: Path | None = None, *, note: str | None = None
    ) -> None:
        """Edit the message to show `view`; attach `video` when given (falls back to the link).

        `note` is a line shown above the embed (e.g. why the video is here and not elsewhere).
        """
        if video is not None:
            try:
                await self._edit(
                    view, video, _joined(note, job_content(view, self._locale, attached=True))
                )
                return
            except discord.HTTPException as exc:
                log.warning(
                    "video upload to Discord failed (%s); sending the link instead",
                    exc.status,
                    extra={"job_id": view.job_id},
                )
        await self._edit(view, None, _joined(note, job_content(view, self._locale, attached=False)))

    async def _edit(self, view: JobView, video: Path | None, content: str | None) -> None:
        """Edit the job message: `content` above the job's embed and buttons, `video` attached."""
        kwargs: dict[str, Any] = {
            "content": content,
            "embed": job_embed(view, self._locale),
            "view": job_buttons(view, self._locale),
        }
        if video is not None:
            kwargs["attachments"] = [video_file(view, video)]
        if self._token_fresh():
            assert self._interaction is not None
            try:
                if self._followup and self.message_id is not None:
                    await self._interaction.followup.edit_message(self.message_id, **kwargs)
                else:
                    await self._interaction.edit_original_response(**kwargs)
                return
            except discord.NotFound:
                # The token expired earlier than we counted (e.g. clock skew): use the channel.
                self._interaction = None
                if video is not None:
                    kwargs["attachments"] = [video_file(view, video)]
        if self.message_id is None:
            # The job died before its message was stored (e.g. a crash right after the hold).
            log.info("job %s has no message to edit", view.job_id, extra={"job_id": view.job_id})
            return
        channel = self._client.get_partial_messageable(self._channel_id)
        await channel.get_partial_message(self.message_id).edit(**kwargs)


def _joined(*lines: str | None) -> str | None:
    """The lines given, one under the other; None when there are none."""
    kept = [line for line in lines if line]
    return "\n".join(kept) if kept else None
