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
from bot.jobs.lifecycle import JobRunner, PreparedJob, captured_job
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

    requeued: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    """Uncertain jobs Atlas's call named: followed again."""
    """Jobs that were waiting in line, back in it in their order."""
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
        self._guild_settings = ctx.guild_settings
        self._privacy = ctx.privacy
        self._runner = runner
        self._view_of = view_of
        self._launch = launch
        self._alerts = ctx.alerts
        self._metrics = ctx.metrics
        self._callbacks = ctx.callbacks
        self._atlas = ctx.atlas
        self._progress_for: Callable[[JobRecord], Progress] | None = None

    async def recover(self, progress_for: Callable[[JobRecord], Progress]) -> RecoveryReport:
        """Settle or resume every unfinished job; run once at start-up, before commands.

        Idempotent: killed half-way and run again, it reaches the same end state, because each
        step is one transaction that moves the job forward (or finds it already moved).
        """
        report = RecoveryReport()
        self._progress_for = progress_for
        report.expired_holds = len(await self._ledger.expire_stale_holds())
        await self.sweep()
        # Only the jobs leased to this process: its shards' and those whose lease expired.
        for job in await self._jobs.claim_unfinished():
            progress = progress_for(job)
            view = self._view_of(job)
            if job.state is JobState.HELD and await self._may_wait_again(job):
                # It was waiting in line (its price held): it takes its place again.
                self._requeue(job, progress, view)
                report.requeued.append(job.id)
            elif job.state.never_submitted:
                # Never reached Atlas: nothing can be billed, so give the money back.
                await self._runner.settle_failure(
                    job.id, JobState.FAILED, "bot restarted before submit"
                )
                await self._runner.show(
                    progress, view.but(status=JobStatus.FAILED, failure=FailureReason.RESTARTED)
                )
                report.released.append(job.id)
            elif job.state is JobState.SUBMITTING and await self._adopt_if_called(job):
                report.confirmed.append(job.id)
            elif job.state is JobState.SUBMITTING:
                # generateVideo may have reached Atlas, but we never stored the id: no handle.
                await self._runner.mark_uncertain(
                    job.id, progress, view, AtlasError("bot stopped while submitting")
                )
                report.uncertain.append(job.id)
            elif job.state is JobState.UNCERTAIN:
                if await self._adopt_if_called(job):  # Atlas's call came after all
                    report.confirmed.append(job.id)
            elif job.prediction_id is not None:
                await self._resume(job, progress, view)
                report.resumed.append(job.id)
        log.info(
            "recovery: %d back in line, %d resumed, %d released, %d uncertain, "
            "%d stale holds expired",
            len(report.requeued),
            len(report.resumed),
            len(report.released),
            len(report.uncertain),
            report.expired_holds,
        )
        return report

    async def sweep(self) -> None:
        """Periodic upkeep: expire stale holds, follow uncertain jobs Atlas's call named (in
        case the signal was missed), release uncertain jobs past their window, then blank old
        jobs' details and delete held videos nobody can review (`Privacy`)."""
        await self._ledger.expire_stale_holds()
        window = timedelta(hours=self._settings.budget.uncertain_release_hours)
        for job in await self._jobs.unfinished():
            if job.state is not JobState.UNCERTAIN:
                continue
            if await self._mine(job.id) and await self._adopt_if_called(job):
                continue
            if self._clock() - job.created_at >= window:
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
            # Failed for the member either way (no video came); charged: the hold was captured.
            meta = job.meta.but(charged_by_admin=charge)
            await self._jobs.advance(job_id, JobState.FAILED, tx=tx, error=note, meta=meta)
        log.info(note, extra={"job_id": job_id})
        if charge:  # Atlas billed it after all: it counts like any capture
            if self._metrics is not None:
                self._metrics.job_captured(job.model, job.guild_id, job.quote)
            if self._alerts is not None:
                self._alerts.captured(captured_job(job.guild_id, job.user_id, job.meta))
        return True

    async def _may_wait_again(self, job: JobRecord) -> bool:
        """A held job goes back in line if its member saw it waiting: it has a message, and
        it was not waiting for an admin's yes (that question was in memory, and the admin
        never answered). A job without a message failed in the member's eyes: released."""
        if job.message_id is None:
            return False
        guild = await self._guild_settings.get(job.guild_id)
        return job.meta.approved_by is not None or not guild.needs_approval(job.quote)

    def _requeue(self, job: JobRecord, progress: Progress, view: JobView) -> None:
        """Put a job that waited in line before the restart back in it, in its order."""
        prepared = PreparedJob(job.id, order_of(job, self._settings.catalogue), view)
        self._launch(job.id, progress, view, self._runner.run(prepared, progress))

    async def on_call(self, job_id: str) -> None:
        """Atlas's call about a job was kept (by any process): if this process follows the
        job, wake its wait, or follow it again if its submit's answer had been lost."""
        job = await self._jobs.get(job_id)
        if job is None or job.state.is_terminal or not await self._mine(job_id):
            return
        if job.prediction_id is not None:
            await self._notify_called(job)
        elif job.state is JobState.UNCERTAIN:
            await self._adopt_if_called(job)
        # SUBMITTING: the submit path itself looks for the call once its answer is known.

    async def catch_up(self) -> None:
        """After a while this process could not hear the other processes: act on the calls
        kept meanwhile for the jobs it follows."""
        if self._callbacks is None:
            return
        for job_id in await self._callbacks.unfinished_called():
            await self.on_call(job_id)

    async def _mine(self, job_id: str) -> bool:
        lease = await self._jobs.lease(job_id)
        return lease is not None and lease.owner == self._jobs.owner

    async def _notify_called(self, job: JobRecord) -> None:
        """Hand a kept call to the wait of the job's prediction (no poll needed)."""
        if self._callbacks is None or self._atlas.notices is None:
            return
        call = await self._callbacks.stored(job.id)
        if call is not None and call.prediction_id == job.prediction_id:
            self._atlas.notices.notify(call.prediction_id, call.prediction)

    async def _adopt_if_called(self, job: JobRecord) -> bool:
        """Follow a job whose submit's answer was lost, from Atlas's kept call; False when
        no call was kept (or it is not ours to show)."""
        if self._callbacks is None or self._progress_for is None:
            return False
        call = await self._callbacks.stored(job.id)
        if call is None:
            return False
        progress = self._progress_for(job)
        view = self._view_of(job)
        order = order_of(job, self._settings.catalogue)
        self._launch(
            job.id, progress, view, self._runner.adopt(job.id, call, order, progress, view)
        )
        return True

    async def _resume(self, job: JobRecord, progress: Progress, view: JobView) -> None:
        """Poll a submitted job again and deliver it to its original message (at once, without
        a poll, when Atlas's call about it was kept meanwhile, by any process)."""
        assert job.prediction_id is not None
        await self._notify_called(job)
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
