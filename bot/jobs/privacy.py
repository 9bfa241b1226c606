"""What the bot keeps about members, for how long, and erasing a member on an admin's word.

Retention: a job's row keeps its prompt, the links of its images and video and the member's
roles only `[privacy] keep_job_details_days` after the job ended; the periodic sweep then
blanks them (`JobMeta.without_details`). Its options, state, prediction id and times stay, and
its money rows are never touched: the ledger still adds up.

Erasure (`forget_member`, /budget-admin forget): in one transaction, the member's jobs in the
server lose their details, and their jobs, money rows and moderation events pass to a
pseudonym (`bot.ledger.erasure`); their held flagged videos are deleted. Refused while a job of
theirs runs (`ForgetRefused`).

Held videos: a flagged video waiting for a moderator lives in `held/` until someone presses
Approve or Delete on its message. When that message is gone (deleted in Discord, or its channel
was), nobody ever can: the sweep asks Discord (`MessageCheck`, provided by the Discord layer)
and deletes the file; a file whose job no longer waits for a review goes too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from bot.db.store import Store
from bot.db.times import utc_now
from bot.jobs.moderation import Moderation
from bot.jobs.store import JobsRunning, JobStore
from bot.ledger import Ledger, MemberBusy, new_pseudonym
from bot.safety.held import Review

log = logging.getLogger(__name__)

ERASE_BATCH = 500
"""Jobs blanked per transaction by the retention sweep."""
ERASE_BATCHES_PER_SWEEP = 20
HELD_CHECKS_PER_SWEEP = 50
"""Held videos whose review message is asked about per sweep (each is one Discord call)."""
FRESH_HELD_SECONDS = 600.0
"""A held file younger than this is left alone even without a pending job: it may be a video
being held right now (the file is moved in before the job row says so)."""


class MessageCheck(Protocol):
    """Asks Discord whether a message still exists (the Discord layer provides it)."""

    async def gone(self, channel_id: int, message_id: int) -> bool:
        """True only when Discord says the message (or its channel) no longer exists."""
        ...


class ForgetRefused(Exception):
    """The member cannot be erased now: `reason` is "busy" (a job of theirs runs)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Forgotten:
    """What erasing a member did."""

    jobs: int
    holds: int
    held_videos: int


class Privacy:
    """Retention of job details, held videos whose review is gone, erasing a member."""

    def __init__(
        self,
        db: Store,
        ledger: Ledger,
        jobs: JobStore,
        moderation: Moderation,
        *,
        keep_days: float,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = db
        self._ledger = ledger
        self._jobs = jobs
        self._moderation = moderation
        self._keep = timedelta(days=keep_days)
        self._clock = clock
        self.messages: MessageCheck | None = None

    async def sweep(self) -> None:
        """Periodic upkeep: blank old jobs' details, delete held videos nobody can review."""
        await self.erase_old_details()
        await self.sweep_held()

    async def erase_old_details(self) -> int:
        """Blank the details of jobs that ended more than `keep_job_details_days` ago."""
        cutoff = self._clock() - self._keep
        total = 0
        for _ in range(ERASE_BATCHES_PER_SWEEP):
            erased = await self._jobs.erase_details(cutoff, limit=ERASE_BATCH)
            total += len(erased)
            if len(erased) < ERASE_BATCH:
                break
        if total:
            log.info("blanked the prompts and links of %d old jobs", total)
        return total

    async def sweep_held(self) -> list[str]:
        """Delete held videos nobody can review any more; the ids of their jobs."""
        held = self._moderation.held
        files = await asyncio.to_thread(held.waiting)
        dropped: list[str] = []
        checks = 0
        for job_id, path in files:
            job = await self._jobs.get(job_id)
            waiting = job is not None and job.meta.review is Review.PENDING
            if not waiting:
                if await asyncio.to_thread(_age, path) >= FRESH_HELD_SECONDS:
                    held.drop(job_id)
                    dropped.append(job_id)
                continue
            assert job is not None
            if job.message_id is not None:
                if self.messages is None or checks >= HELD_CHECKS_PER_SWEEP:
                    continue
                checks += 1
                if not await self.messages.gone(job.channel_id, job.message_id):
                    continue
            await self._jobs.advance(job.id, job.state, meta=job.meta.but(review=Review.REMOVED))
            held.drop(job_id)
            dropped.append(job_id)
            log.info("held video deleted: its review message is gone", extra={"job_id": job_id})
        return dropped

    async def forget_member(self, guild_id: int, user_id: int, *, by: int) -> Forgotten:
        """Erase a member from this server's records (see the module's docstring)."""
        pseudonym = new_pseudonym()
        strikes = self._moderation.strikes
        try:
            async with self._db.transaction() as tx:
                holds = await self._ledger.anonymise_member(
                    guild_id, user_id, pseudonym, by=by, tx=tx
                )
                jobs = await self._jobs.anonymise(guild_id, user_id, pseudonym, tx=tx)
                await strikes.anonymise(guild_id, user_id, pseudonym, tx=tx)
        except (MemberBusy, JobsRunning):
            raise ForgetRefused("busy") from None
        strikes.forget(guild_id, user_id)
        videos = 0
        for job in jobs:
            if self._moderation.held.find(job.id) is not None:
                self._moderation.held.drop(job.id)
                videos += 1
        # The member's id is not logged: that is what was erased.
        log.info(
            "a member was forgotten: %d jobs, %d holds, %d held videos",
            len(jobs),
            holds,
            videos,
            extra={"guild_id": guild_id, "user_id": by},
        )
        return Forgotten(len(jobs), holds, videos)


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


__all__ = ["ForgetRefused", "Forgotten", "MessageCheck", "Privacy"]
