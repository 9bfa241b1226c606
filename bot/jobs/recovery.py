"""After a restart, and for admins: settle or resume unfinished jobs.

`Recovery.recover` runs once at start-up: a job that never reached Atlas gets its money back,
one caught mid-submit is kept *uncertain* (its hold pinned) for an admin, and one Atlas
accepted is followed again to its original message. `sweep` is the periodic upkeep, and
`uncertain_jobs` / `resolve` let an admin settle what the bot cannot know.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from bot.atlas import AtlasError
from bot.jobs.context import JobContext
from bot.jobs.lifecycle import JobRunner
from bot.jobs.orders import order_of
from bot.jobs.progress import FailureReason, JobStatus, JobView, Progress
from bot.jobs.record import JobRecord, JobState

# Logged as the job service: one logger for a job's whole life (as in bot.ledger's modules).
log = logging.getLogger("bot.jobs.service")

Launch = Callable[[str, Progress, JobView, Awaitable[None]], asyncio.Task[None]]
"""Runs a job's work as a guarded background task the service can stop (`JobService`)."""


@dataclass
class RecoveryReport:
    """What start-up recovery did, by job id."""

    resumed: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    expired_holds: int = 0


class Recovery:
    """Finishes what an earlier run began, and settles uncertain jobs."""

    def __init__(
        self,
        ctx: JobContext,
        *,
        runner: JobRunner,
        view_of: Callable[[JobRecord], JobView],
        launch: Launch,
    ) -> None:
        self._settings = ctx.settings
        self._db = ctx.db
        self._ledger = ctx.ledger
        self._jobs = ctx.jobs
        self._clock = ctx.clock
        self._monotonic = ctx.monotonic
        self._privacy = ctx.privacy
        self._runner = runner
        self._view_of = view_of
        self._launch = launch

    async def recover(self, progress_for: Callable[[JobRecord], Progress]) -> RecoveryReport:
        """Settle or resume every unfinished job; run once at start-up, before commands.

        Idempotent: killed half-way and run again, it reaches the same end state, because each
        step is one transaction that moves the job forward (or finds it already moved).
        """
        report = RecoveryReport()
        report.expired_holds = len(await self._ledger.expire_stale_holds())
        await self.sweep()
        # Only the jobs leased to this process: its shards' and those whose lease expired.
        for job in await self._jobs.claim_unfinished():
            progress = progress_for(job)
            view = self._view_of(job)
            if job.state.never_submitted:
                # Never reached Atlas: nothing can be billed, so give the money back.
                await self._runner.settle_failure(
                    job.id, JobState.FAILED, "bot restarted before submit"
                )
                await self._runner.show(
                    progress, view.but(status=JobStatus.FAILED, failure=FailureReason.RESTARTED)
                )
                report.released.append(job.id)
            elif job.state is JobState.SUBMITTING:
                # generateVideo may have reached Atlas, but we never stored the id: no handle.
                await self._runner.mark_uncertain(
                    job.id, progress, view, AtlasError("bot stopped while submitting")
                )
                report.uncertain.append(job.id)
            elif job.prediction_id is not None and job.state is not JobState.UNCERTAIN:
                self._resume(job, progress, view)
                report.resumed.append(job.id)
        log.info(
            "recovery: %d resumed, %d released, %d uncertain, %d stale holds expired",
            len(report.resumed),
            len(report.released),
            len(report.uncertain),
            report.expired_holds,
        )
        return report

    async def sweep(self) -> None:
        """Periodic upkeep: expire stale holds, release uncertain jobs past their window, then
        blank old jobs' details and delete held videos nobody can review (`Privacy`)."""
        await self._ledger.expire_stale_holds()
        window = timedelta(hours=self._settings.budget.uncertain_release_hours)
        for job in await self._jobs.unfinished():
            if job.state is JobState.UNCERTAIN and self._clock() - job.created_at >= window:
                log.warning("uncertain job released after its window", extra={"job_id": job.id})
                await self._runner.settle_failure(
                    job.id, JobState.FAILED, "uncertain: window passed"
                )
        if self._privacy is not None:
            try:
                await self._privacy.sweep()
            except Exception:  # the money upkeep above must not wait on it
                log.exception("the privacy sweep failed; trying again at the next one")

    async def uncertain_jobs(self, guild_id: int) -> list[JobRecord]:
        """Jobs of this server whose submit outcome is unknown, for the admin to settle."""
        return [
            job
            for job in await self._jobs.unfinished()
            if job.state is JobState.UNCERTAIN and job.guild_id == guild_id
        ]

    async def resolve(self, job_id: str, guild_id: int, *, charge: bool, by: int) -> bool:
        """An admin settles an uncertain job: charge it (Atlas billed it) or release it.

        Returns False when the job is not an uncertain job of this server.
        """
        job = await self._jobs.get(job_id)
        if job is None or job.guild_id != guild_id or job.state is not JobState.UNCERTAIN:
            return False
        note = f"settled by admin {by}: {'charged' if charge else 'released'}"
        async with self._db.transaction() as tx:
            if charge:
                await self._ledger.capture(job_id, tx=tx)
            else:
                await self._ledger.release(job_id, note, tx=tx)
            await self._jobs.advance(job_id, JobState.FAILED, tx=tx, error=note)
        log.info(note, extra={"job_id": job_id})
        return True

    def _resume(self, job: JobRecord, progress: Progress, view: JobView) -> None:
        """Poll a submitted job again and deliver it to its original message."""
        assert job.prediction_id is not None
        submitted_at = job.submitted_at or job.created_at
        age = (self._clock() - submitted_at).total_seconds()
        order = order_of(job, self._settings.catalogue)
        view = view.but(status=JobStatus.GENERATING, elapsed_seconds=age, started_at=submitted_at)
        started = self._monotonic() - age
        self._launch(
            job.id,
            progress,
            view,
            self._runner.follow(job.id, job.prediction_id, order, progress, view, started),
        )


__all__ = ["Launch", "Recovery", "RecoveryReport"]
