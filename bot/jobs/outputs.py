"""A finished video on its way to Discord: fetched from Atlas, then made to fit where it goes.

    download to a file, never past `[delivery] max_download_mb` (beyond it: the link)
      a failure Atlas's storage may get over (5xx, 429, the network) is tried again with a
      growing pause for `download_retry_minutes`; the job row stays `downloading` all along,
      so a restart picks it up (its capture is done already and is not repeated)
    -> within the destination's upload limit: the original, untouched (the same bytes)
    -> over it: the transcoder's smaller rendition, verified
    -> otherwise the link, with the reason (`LinkReason`): the member hears what happened

Knows nothing of Discord: a URL and a byte limit in, a file to attach (or why there is none)
out. The files live in the transcoder's owner-only folder under the data directory, are
removed when the delivery is over, and their `fit-` names let `clean_leftovers` remove what a
crash left behind. The member's message is edited at most once per stage: "fetching your
video" only when the download is slow or failing, "compressing for Discord" (or "waiting for
the encoder, N ahead") once when an encode is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from bot.atlas import AtlasClient, AtlasError, OutputTooLarge
from bot.atlas.retry import RetryMode, is_retryable
from bot.jobs.progress import JobStatus, JobView
from bot.jobs.record import LinkReason, SentVideo
from bot.metrics import Metrics
from bot.settings import DeliveryConfig
from bot.transcode import (
    CannotFit,
    EncoderFailed,
    EncodeTimedOut,
    TranscodeError,
    Transcoder,
    UnreadableInput,
)
from bot.transcode.files import PREFIX, remove

# Logged as the job service: one logger for a job's whole life (as in bot.ledger's modules).
log = logging.getLogger("bot.jobs.service")

_T = TypeVar("_T")

FIRST_PAUSE_SHARE = 1 / 300
"""The first pause between two downloads, as a share of the whole retry window (2 s of 10
minutes); each pause doubles, up to `LONGEST_PAUSE_SHARE` of it (1 minute of 10)."""
LONGEST_PAUSE_SHARE = 1 / 10
ATLAS_KEEPS_OUTPUTS = timedelta(days=14)
"""How long Atlas keeps an output by default (its data-retention docs): the link's expiry."""


@dataclass(frozen=True)
class Stage:
    """What the member's message says while the video is on its way."""

    status: JobStatus
    retry_seconds: float | None = None
    """Fetching: the download failed and is tried again for this many seconds more."""
    encoder_ahead: int | None = None
    """Compressing: jobs ahead of this one for the encoder (None: it is encoding)."""

    def shown_on(self, view: JobView, now: datetime) -> JobView:
        """`view` as it looks at this stage."""
        retry_until = None
        if self.retry_seconds is not None:
            retry_until = now + timedelta(seconds=self.retry_seconds)
        return view.but(
            status=self.status, retry_until=retry_until, encoder_ahead=self.encoder_ahead
        )


FETCHING = Stage(JobStatus.DOWNLOADING)
Show = Callable[[Stage], Awaitable[None]]


@dataclass(frozen=True)
class Ready:
    """The video to attach (None: the member gets the link) and what the message says of it."""

    video: Path | None
    sent: SentVideo


class DownloadFailed(Exception):
    """Atlas's storage did not hand the output over, even after the retries."""


def link_expiry(completed_at: str | None, now: datetime) -> datetime:
    """Until when Atlas keeps an output: 14 days after the job completed (or after now)."""
    start = now
    if completed_at:
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(completed_at)
            if parsed.tzinfo is not None:
                start = parsed
    return start + ATLAS_KEEPS_OUTPUTS


class OutputDesk:
    """Fetches outputs and fits them to upload limits; one per process (`bot.builder`)."""

    def __init__(
        self,
        atlas: AtlasClient,
        config: DeliveryConfig,
        work_dir: Path,
        transcoder: Transcoder | None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._atlas = atlas
        self._metrics = metrics
        self._config = config
        self.work_dir = work_dir
        """Owner-only, made by the builder (`bot.builder.work_folder`)."""
        self.transcoder = transcoder
        """None: no encoder was found, and a video over the limit goes as a link."""
        self._monotonic = monotonic
        self._sleep = sleep
        self._rng = rng or random.Random()

    @contextlib.asynccontextmanager
    async def deliver(
        self,
        job_id: str,
        url: str | None,
        limit: int,
        show: Show,
        *,
        notice_after: float,
    ) -> AsyncIterator[Ready]:
        """Get the video at `url` ready to attach where `limit` bytes is the most accepted;
        `show(stage)` edits the member's message (see the module's docstring). Its files are
        removed when the block ends (a held video is moved out of the way first)."""
        files: list[Path] = []
        try:
            yield await self._prepare(job_id, url, limit, files, _Shown(show), notice_after)
        finally:
            await asyncio.to_thread(remove, files)

    async def _prepare(
        self,
        job_id: str,
        url: str | None,
        limit: int,
        files: list[Path],
        shown: _Shown,
        notice_after: float,
    ) -> Ready:
        if url is None:
            return Ready(None, SentVideo(limit_bytes=limit, link=LinkReason.NO_OUTPUT))
        target = self.work_dir / f"{PREFIX}{secrets.token_hex(8)}.download.mp4"
        files.append(target)
        # Without an encoder a file over the limit is useless: stop its download right there.
        max_bytes = self._config.max_download_bytes if self.transcoder is not None else limit
        fetch = self._download(job_id, url, target, max_bytes, shown)
        try:
            size = await _notice_if_slow(fetch, lambda: shown.once(FETCHING), notice_after)
        except OutputTooLarge as exc:
            reason = LinkReason.NO_ENCODER
            if self.transcoder is not None:
                reason = LinkReason.TOO_BIG_TO_FETCH
            elif self._metrics is not None:
                self._metrics.transcoded(reason.value)
            log.info("output not downloaded: %s", exc, extra={"job_id": job_id})
            return Ready(None, SentVideo(original_bytes=exc.size, limit_bytes=limit, link=reason))
        except DownloadFailed:
            return Ready(None, SentVideo(limit_bytes=limit, link=LinkReason.DOWNLOAD_FAILED))
        if size <= limit:
            return Ready(target, SentVideo(size, size, limit_bytes=limit))
        assert self.transcoder is not None, "a download past the limit needs an encoder"
        return await self._fit(job_id, target, size, limit, files, shown)

    async def _fit(
        self,
        job_id: str,
        source: Path,
        size: int,
        limit: int,
        files: list[Path],
        shown: _Shown,
    ) -> Ready:
        """Make `source` (`size` bytes, over `limit`) fit; the link when it cannot."""
        assert self.transcoder is not None

        transcoder = self.transcoder

        def waiting(ahead: int) -> None:
            # Every encoder is busy when a job waits: those videos are ahead of it too.
            shown.soon(
                Stage(JobStatus.COMPRESSING, encoder_ahead=ahead + transcoder.max_concurrent)
            )

        encoding_since: list[float] = []

        def started() -> None:
            encoding_since.append(time.monotonic())
            shown.soon(Stage(JobStatus.COMPRESSING))

        try:
            fitted = await transcoder.fit(source, limit, on_wait=waiting, on_start=started)
        except (TranscodeError, OSError) as exc:  # OSError: e.g. the disk is full
            log.warning(
                "could not fit the video (%d bytes) into %d bytes: %s",
                size,
                limit,
                exc,
                extra={"job_id": job_id},
            )
            reason = _link_reason(exc)
            if self._metrics is not None:
                self._metrics.transcoded(reason.value)
            return Ready(None, SentVideo(original_bytes=size, limit_bytes=limit, link=reason))
        finally:
            await shown.settle()
        if fitted.changed:
            files.append(fitted.path)
            encoding = time.monotonic() - encoding_since[0] if encoding_since else 0.0
            if self._metrics is not None:
                self._metrics.transcoded("compressed", encoding)
            log.info(
                "video fitted: %d bytes -> %d bytes at %dx%d: %.2f s encoding, %.2f s in all "
                "(%d attempt%s)",
                size,
                fitted.size_bytes,
                fitted.width,
                fitted.height,
                encoding,
                fitted.seconds,
                fitted.attempts,
                "" if fitted.attempts == 1 else "s",
                extra={"job_id": job_id},
            )
        sent = SentVideo(
            original_bytes=size,
            attached_bytes=fitted.size_bytes,
            width=fitted.width,
            height=fitted.height,
            compressed=fitted.changed,
            limit_bytes=limit,
        )
        return Ready(fitted.path, sent)

    async def _download(
        self, job_id: str, url: str, target: Path, max_bytes: int, shown: _Shown
    ) -> int:
        """Download `url` to `target`; a failure Atlas may get over is tried again, with a
        growing pause, for `download_retry_minutes`. `DownloadFailed` then, or at once for
        one it will not get over (a 404, a 403)."""
        window = self._config.download_retry_seconds
        deadline = self._monotonic() + window
        pause = window * FIRST_PAUSE_SHARE
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._atlas.download(url, target, max_bytes=max_bytes)
            except OutputTooLarge:
                raise
            except (AtlasError, OSError) as exc:  # OSError: our disk, e.g. full for a while
                left = deadline - self._monotonic()
                retryable = isinstance(exc, OSError) or is_retryable(exc, RetryMode.IDEMPOTENT)
                if not retryable or left <= 0:
                    log.warning(
                        "output download failed for good after %d tr%s: %s",
                        attempt,
                        "y" if attempt == 1 else "ies",
                        exc,
                        extra={"job_id": job_id},
                    )
                    raise DownloadFailed(str(exc)) from exc
                wait = min(left, self._rng.uniform(pause / 2, pause))
                log.warning(
                    "output download failed (%s); trying again in %.1f s",
                    exc,
                    wait,
                    extra={"job_id": job_id},
                )
                await shown.once(Stage(JobStatus.DOWNLOADING, retry_seconds=left))
                await self._sleep(wait)
                pause = min(pause * 2, window * LONGEST_PAUSE_SHARE)


class _Shown:
    """The stages one delivery shows: in order, each kind once (a quick step shows none);
    "fetching" no more once "fetching, trying again" was shown."""

    def __init__(self, show: Show) -> None:
        self._show = show
        self._lock = asyncio.Lock()
        self._kinds: set[tuple[JobStatus, bool]] = set()
        self._pending: list[asyncio.Task[None]] = []

    def _seen(self, stage: Stage) -> bool:
        retrying = stage.retry_seconds is not None
        if (stage.status, retrying) in self._kinds:
            return True
        return stage.status is JobStatus.DOWNLOADING and (stage.status, True) in self._kinds

    def _claim(self, stage: Stage) -> bool:
        """True (and noted) when `stage` is to be shown."""
        if self._seen(stage):
            return False
        self._kinds.add((stage.status, stage.retry_seconds is not None))
        return True

    async def _edit(self, stage: Stage) -> None:
        async with self._lock:
            await self._show(stage)

    async def once(self, stage: Stage) -> None:
        """Show `stage` unless a stage of its kind was shown already."""
        if self._claim(stage):
            await self._edit(stage)

    def soon(self, stage: Stage) -> None:
        """`once`, from a plain callback: shown in the background, awaited by `settle`."""
        if self._claim(stage):
            self._pending.append(asyncio.create_task(self._edit(stage)))

    async def settle(self) -> None:
        """Wait for the edits `soon` started, so that the next edit comes after them."""
        pending, self._pending = self._pending, []
        await asyncio.gather(*pending, return_exceptions=True)


async def _notice_if_slow(
    work: Coroutine[Any, Any, _T], notice: Callable[[], Awaitable[None]], after: float
) -> _T:
    """Await `work`; only if it takes longer than `after` seconds, run `notice` (an edit
    saying what is going on) meanwhile. A quick step costs no Discord edit."""
    task = asyncio.create_task(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=after)
        if not done:
            await notice()
        return await task
    finally:
        task.cancel()


def _link_reason(exc: TranscodeError | OSError) -> LinkReason:
    if isinstance(exc, CannotFit):
        return LinkReason.CANNOT_FIT
    if isinstance(exc, UnreadableInput):
        return LinkReason.UNREADABLE
    if isinstance(exc, EncoderFailed | EncodeTimedOut):
        return LinkReason.ENCODER_FAILED
    return LinkReason.ENCODER_FAILED


__all__ = ["FETCHING", "DownloadFailed", "OutputDesk", "Ready", "Stage", "link_expiry"]
