"""The job service: one video job's life, from the member's order to the settled ledger.

    validate -> quote -> reserve (job row + hold, one transaction: `bot.jobs.preparation`)
    -> wait for an admin's approval (if priced above the server's threshold)
    -> wait for a queue slot -> run (`bot.jobs.lifecycle.JobRunner`: upload, submit, poll,
       capture, deliver)
    after a restart -> settle or resume unfinished jobs (`bot.jobs.recovery.Recovery`)

`JobService` is the facade the Discord layer calls: it prepares jobs, starts and stops their
tasks, and cancels, lists and shows them. Every state change that moves money commits in the
same transaction as the job row, so the row and the ledger never disagree. Atlas does not
bill failed or timed-out jobs, so those holds are released; a submit whose fate is unknown
keeps its hold as *uncertain* for an admin.

Longer than most modules: it is the facade, one short method for each thing the Discord layer
asks of jobs, over the parts named above.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from bot.guilds.delivery import Posted
from bot.jobs.approval import Approvals
from bot.jobs.context import JobContext
from bot.jobs.lifecycle import JobRunner, PreparedJob
from bot.jobs.line import Ticket
from bot.jobs.offers import Offer, OfferBook
from bot.jobs.orders import JobRefused, VideoOrder
from bot.jobs.overview import DeleteRefused, QueueEntry, queue_entries
from bot.jobs.preparation import JobPreparer
from bot.jobs.progress import FailureReason, JobStatus, JobView, Progress, view_of
from bot.jobs.prompt_help import HelpAnswer, PromptHelper
from bot.jobs.record import JobRecord, JobState
from bot.jobs.recovery import Recovery, RecoveryReport
from bot.jobs.store import IllegalTransition

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 300.0
"""How often stale holds and overdue uncertain jobs are swept."""


class CancelRefused(Exception):
    """The job cannot be cancelled: `reason` is "not_yours", "too_late" or "unknown"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JobService:
    """Runs jobs; the Discord layer calls `prepare`, then `run` with a `Progress` sink."""

    def __init__(
        self,
        ctx: JobContext,
        *,
        offers: OfferBook,
        approvals: Approvals | None = None,
    ) -> None:
        self._settings = ctx.settings
        self._db = ctx.db
        self._ledger = ctx.ledger
        self._jobs = ctx.jobs
        self._clock = ctx.clock
        self._simulated = ctx.simulated
        self._line = ctx.line
        self._callbacks = ctx.callbacks
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._unrun: dict[str, Ticket] = {}
        """Places in line of prepared jobs not yet run (their first message being sent)."""
        self._upkeep: list[asyncio.Task[None]] = []
        self._moderation = ctx.moderation
        self._offers = offers
        self._approvals = approvals or Approvals()
        self._preparer = JobPreparer(
            ctx, offers=offers, approvals=self._approvals, view_of=self.view_of
        )
        self._runner = JobRunner(ctx)
        self._helper = PromptHelper(ctx, self._runner)
        self._recovery = Recovery(
            ctx, runner=self._runner, view_of=self.view_of, launch=self._launch
        )

    # -- upkeep ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the upkeep loops (renew this process's job leases, sweep stale holds), and
        hear Atlas's calls about our jobs, kept by any process (webhooks on)."""
        if self._callbacks is not None:
            await self._callbacks.listen(self._recovery.on_call, catch_up=self._recovery.catch_up)
        self._upkeep = [
            asyncio.create_task(self._renew_leases(), name="leases"),
            asyncio.create_task(self._sweep_now_and_then(), name="sweep"),
        ]

    async def _renew_leases(self) -> None:
        """Keep the leases of the jobs this process follows (see `JobStore`)."""
        while True:
            await asyncio.sleep(self._jobs.lease_seconds / 3)
            try:
                await self._jobs.renew_leases()
            except Exception:
                log.exception("could not renew the job leases; trying again")

    async def _sweep_now_and_then(self) -> None:
        """Expire stale holds and overdue uncertain jobs now and then."""
        while True:
            await asyncio.sleep(SWEEP_EVERY_SECONDS)
            try:
                await self.sweep()
            except Exception:
                log.exception("periodic sweep failed; trying again later")

    # -- before money moves -------------------------------------------------------------

    async def prepare(self, order: VideoOrder) -> PreparedJob:
        """`prepare_batch` for one video."""
        return (await self.prepare_batch(replace(order, count=1)))[0]

    async def prepare_batch(self, order: VideoOrder) -> list[PreparedJob]:
        """Hold `order` (see `JobPreparer.hold`: all its videos or none, `JobRefused` with
        nothing held), and give each job its place in line."""
        prepared = await self._preparer.hold(order)
        return [await self._in_line(job) for job in prepared]

    async def _in_line(self, job: PreparedJob) -> PreparedJob:
        """Take the job's place in line now, in the order members asked, and show it in the
        job's first message (no edit needed for it). A job awaiting approval joins later."""
        if job.approval_timeout is not None:
            return job
        order = job.order.order
        ticket = self._line.join(job.job_id, order.guild_id, order.user_id)
        self._unrun[job.job_id] = ticket  # until `run` takes it, or `discard` gives it back
        if ticket.place is None:
            return job
        starts_at = await self._runner.start_estimate(job, ticket.place)
        view = job.view.but(queue_position=ticket.place, starts_at=starts_at)
        return replace(job, view=view)

    async def improve_prompt(
        self, order: VideoOrder, *, helps_job: str | None = None
    ) -> HelpAnswer:
        """Ask the chat model for a richer prompt than `order.prompt`, charged to the member's
        budget by its tokens (`JobRefused`: not now, nothing charged). `helps_job`: the job
        whose prompt it is (Use and Edit start from that job's options)."""
        return await self._helper.improve(order, helps_job=helps_job)

    def take_offer(self, token: str, user_id: int) -> Offer:
        """The cheaper order a refusal offered this member (`OfferGone`: taken or expired)."""
        return self._offers.take(token, user_id)

    async def attach_message(self, job_id: str, message_id: int) -> None:
        """Remember which Discord message shows the job (for edits after a restart)."""
        await self._jobs.attach_message(job_id, message_id)

    async def delivered_to(self, job_id: str) -> Posted | None:
        """Where the job's video was already posted away from its channel, if it was."""
        job = await self._jobs.get(job_id)
        return None if job is None else job.meta.delivered_to

    async def note_delivery(self, job_id: str, posted: Posted) -> None:
        """Remember where the video was posted, so a retry after a restart does not post it
        twice (see `bot.guilds.delivery.DeliveryJournal`)."""
        job = await self._jobs.get(job_id)
        if job is not None:
            await self._jobs.advance(job_id, job.state, meta=job.meta.but(delivered_to=posted))

    # -- running -------------------------------------------------------------------------

    def run(self, job: PreparedJob, progress: Progress) -> asyncio.Task[None]:
        """Run the job in the background; the task never raises (failures are reported)."""
        return self._launch(job.job_id, progress, job.view, self._execute(job, progress))

    def _launch(
        self, job_id: str, progress: Progress, view: JobView, work: Awaitable[None]
    ) -> asyncio.Task[None]:
        """Run `work` as the job's guarded task, kept until it ends so `close` can stop it.

        One task per job: a job this process already follows is not started twice (e.g. by
        a second recovery), and the work offered again is dropped."""
        running = self._tasks.get(job_id)
        if running is not None and not running.done():
            if inspect.iscoroutine(work):
                work.close()
            return running
        task = asyncio.create_task(
            self._guarded(job_id, progress, view, work), name=f"job-{job_id}"
        )
        self._tasks[job_id] = task
        task.add_done_callback(lambda done: self._forget(job_id, done))
        return task

    def _forget(self, job_id: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(job_id) is task:
            del self._tasks[job_id]

    async def _guarded(
        self, job_id: str, progress: Progress, view: JobView, work: Awaitable[None]
    ) -> None:
        """Run `work`; an unexpected error settles a job that never reached Atlas and is logged.

        A job that may have reached Atlas keeps its state (and hold) for the next recovery.
        """
        try:
            await work
        except asyncio.CancelledError:
            # Cancelled by the member (already settled) or by shutdown (recovered on restart).
            raise
        except Exception:
            log.exception("job crashed", extra={"job_id": job_id})
            record = await self._jobs.get(job_id)
            if record is not None and record.state in (JobState.HELD, JobState.UPLOADING):
                await self._runner.settle_failure(job_id, JobState.FAILED, "internal error")
                await self._runner.show(
                    progress, view.but(status=JobStatus.FAILED, failure=FailureReason.INTERNAL)
                )

    async def _execute(self, job: PreparedJob, progress: Progress) -> None:
        if job.approval_timeout is not None:
            approved = await self._await_approval(job, progress)
            if approved is None:
                return
            job = approved
        await self._runner.run(job, progress, self._unrun.pop(job.job_id, None))

    async def _await_approval(self, job: PreparedJob, progress: Progress) -> PreparedJob | None:
        """Wait for an admin's yes; a no, or no answer in time, releases the hold."""
        assert job.approval_timeout is not None
        decision = await self._approvals.wait(job.job_id, job.approval_timeout)
        try:
            if decision is not None and decision.approved:
                order = replace(job.order, meta=job.order.meta.but(approved_by=decision.by))
                await self._jobs.advance(
                    job.job_id, JobState.HELD, expect=(JobState.HELD,), meta=order.meta
                )
                log.info("job approved", extra={"job_id": job.job_id, "user_id": decision.by})
                view = job.view.but(status=JobStatus.QUEUED, approval_deadline=None)
                await self._runner.show(progress, view)
                return replace(job, order=order, view=view)
            if decision is None:
                state, reason = JobState.EXPIRED, FailureReason.APPROVAL_TIMED_OUT
                detail = "no admin approved it in time"
            else:
                state, reason = JobState.CANCELLED, FailureReason.APPROVAL_DENIED
                detail = f"denied by admin {decision.by}"
            async with self._db.transaction() as tx:
                await self._jobs.advance(
                    job.job_id, state, tx=tx, expect=(JobState.HELD,), error=detail
                )
                await self._ledger.release(job.job_id, detail, tx=tx)
        except IllegalTransition:
            return None  # the member cancelled meanwhile (and the hold went with it)
        log.info("job not approved: %s", detail, extra={"job_id": job.job_id})
        await self._runner.show(
            progress,
            job.view.but(status=JobStatus.FAILED, failure=reason, approval_deadline=None),
        )
        return None

    def decide(self, job_id: str, guild_id: int, *, approved: bool, by: int) -> None:
        """An admin approves or denies a job waiting in this server (`DecisionRefused`: none)."""
        self._approvals.decide(job_id, guild_id, approved=approved, by=by)

    async def cancel(self, job_id: str, user_id: int, *, guild_id: int | None = None) -> JobView:
        """Cancel a job that has not reached Atlas; only its requester may, from its server.
        Releases the hold."""
        job = await self.job(job_id, guild_id)
        if job is None:
            raise CancelRefused("unknown")
        if job.user_id != user_id:
            raise CancelRefused("not_yours")
        if not await self._abandon(job_id, "cancelled"):
            raise CancelRefused("too_late")
        log.info("job cancelled", extra={"job_id": job_id, "user_id": user_id})
        return self.view_of(job).but(status=JobStatus.CANCELLED)

    async def discard(self, job_id: str, reason: str) -> None:
        """Drop a job that never got going (e.g. its Discord message could not be sent)."""
        await self._abandon(job_id, reason)

    async def _abandon(self, job_id: str, reason: str) -> bool:
        """Cancel and release, only if the job has not started submitting; stop its task."""
        try:
            async with self._db.transaction() as tx:
                await self._jobs.advance(
                    job_id,
                    JobState.CANCELLED,
                    tx=tx,
                    expect=(JobState.HELD, JobState.UPLOADING),
                    error=reason,
                )
                await self._ledger.release(job_id, reason, tx=tx)
        except IllegalTransition:
            return False
        ticket = self._unrun.pop(job_id, None)
        if ticket is not None:
            ticket.leave()
        self._approvals.close(job_id)
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()
        return True

    def in_flight(self, guild_id: int) -> tuple[int, int]:
        """(running, waiting in line) for this server, now."""
        return self._line.running_in(guild_id), self._line.waiting_in(guild_id)

    async def queue_of(self, guild_id: int) -> list[QueueEntry]:
        """This server's jobs waiting for approval, in line or running, oldest first."""
        jobs = [job for job in await self._jobs.unfinished() if job.guild_id == guild_id]
        return queue_entries(
            jobs,
            self._settings.catalogue,
            now=self._clock(),
            awaiting_approval=self._approvals.waiting,
            position=self._line.place,
        )

    async def delete_message(
        self,
        job_id: str,
        user_id: int,
        *,
        moderator: bool,
        remove: Callable[[], Awaitable[None]],
        guild_id: int | None = None,
    ) -> None:
        """Delete an ended job's message (requester or moderator only; `DeleteRefused`).

        `remove` deletes it on Discord; the job row and its ledger entries stay, the row
        noting who deleted the message.
        """
        job = await self.job(job_id, guild_id)
        if job is None:
            raise DeleteRefused("unknown")
        if job.user_id != user_id and not moderator:
            raise DeleteRefused("not_yours")
        if not job.state.is_terminal:
            raise DeleteRefused("not_finished")
        await remove()
        await self._jobs.advance(job_id, job.state, meta=job.meta.but(deleted_by=user_id))
        log.info("job message deleted", extra={"job_id": job_id, "user_id": user_id})

    def view_of(self, job: JobRecord) -> JobView:
        """The member's view of a stored job (for buttons and for jobs resumed after a restart)."""
        return view_of(job, self._settings.catalogue, simulated=self._simulated)

    # -- after a restart (see `bot.jobs.recovery`) -----------------------------------------

    async def recover(self, progress_for: Callable[[JobRecord], Progress]) -> RecoveryReport:
        """Settle or resume every unfinished job; run once at start-up, before commands."""
        return await self._recovery.recover(progress_for)

    async def sweep(self) -> None:
        """Periodic upkeep: expire stale holds, release uncertain jobs past their window."""
        await self._recovery.sweep()

    async def confirmed_by_call(self, guild_id: int, since: datetime) -> int:
        """Jobs of this server since `since` whose submit's answer was lost and that Atlas's
        call found again (delivered and charged as any other), for the admin's report."""
        return await self._jobs.confirmed_by_call(guild_id, since)

    async def uncertain_jobs(self, guild_id: int) -> list[JobRecord]:
        """Jobs of this server whose submit outcome is unknown, for the admin to settle."""
        return await self._recovery.uncertain_jobs(guild_id)

    async def resolve(self, job_id: str, guild_id: int, *, charge: bool, by: int) -> bool:
        """An admin settles an uncertain job: charge it (Atlas billed it) or release it.

        Returns False when the job is not an uncertain job of this server.
        """
        return await self._recovery.resolve(job_id, guild_id, charge=charge, by=by)

    async def job(self, job_id: str, guild_id: int | None = None) -> JobRecord | None:
        """The stored job, for buttons that act on it; with `guild_id` (the server a click
        came from), None unless the job belongs to that server: a button never acts on, or
        tells about, another server's job."""
        job = await self._jobs.get(job_id)
        if job is None or (guild_id is not None and job.guild_id != guild_id):
            return None
        return job

    async def close(self) -> None:
        """Stop the upkeep and the running jobs; their rows stay as they are, for recovery on
        the next start."""
        await self._line.close()  # first: no job freed by this shutdown starts another
        for ticket in self._unrun.values():
            ticket.leave()
        self._unrun.clear()
        for task in self._upkeep:
            task.cancel()
        tasks = [*self._upkeep, *self._tasks.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._moderation.close()


__all__ = [
    "CancelRefused",
    "JobRefused",
    "JobService",
    "PreparedJob",
    "RecoveryReport",
    "VideoOrder",
]
