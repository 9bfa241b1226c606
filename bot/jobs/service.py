"""The job service: one video job's life, from the member's order to the settled ledger.

    validate -> quote -> reserve (job row + hold, one transaction)
    -> wait for an admin's approval (if priced above the server's threshold)
    -> wait for a queue slot -> run (`bot.jobs.lifecycle.JobRunner`: upload, submit, poll,
       capture, deliver)
    after a restart -> settle or resume unfinished jobs (`bot.jobs.recovery.Recovery`)

`JobService` is the facade the Discord layer calls: it prepares jobs, starts and stops their
tasks, and cancels, lists and shows them. Every state change that moves money commits in the
same transaction as the job row, so the row and the ledger never disagree. Atlas does not
bill failed or timed-out jobs, so those holds are released; a submit whose fate is unknown
keeps its hold as *uncertain* for an admin.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.atlas import AtlasClient
from bot.db import DatabaseUnavailable, Store
from bot.guilds.delivery import Posted, delivery_for
from bot.guilds.settings import GuildSettingsStore
from bot.jobs.approval import Approvals
from bot.jobs.eta import Eta
from bot.jobs.lifecycle import JobRunner, PreparedJob
from bot.jobs.media import AttachmentFetcher
from bot.jobs.moderation import Moderation
from bot.jobs.offers import MONEY_LIMITS, BudgetRefused, OfferBook
from bot.jobs.orders import JobRefused, VideoOrder, validate_order
from bot.jobs.overview import DeleteRefused, QueueEntry, queue_entries
from bot.jobs.progress import FailureReason, JobStatus, JobView, Progress
from bot.jobs.queue import JobQueue
from bot.jobs.recovery import Recovery, RecoveryReport
from bot.jobs.store import IllegalTransition, JobRecord, JobState, JobStore
from bot.ledger import BudgetExceeded, Ledger
from bot.settings import Settings

log = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0
"""A job waiting in line shows its new place at most this often."""
NOTICE_AFTER_SECONDS = 1.0
"""A step shorter than this (e.g. downloading a small video) gets no edit of its own."""


class CancelRefused(Exception):
    """The job cannot be cancelled: `reason` is "not_yours", "too_late" or "unknown"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JobService:
    """Runs jobs; the Discord layer calls `prepare`, then `start` with a `Progress` sink."""

    def __init__(
        self,
        *,
        settings: Settings,
        atlas: AtlasClient,
        db: Store,
        ledger: Ledger,
        jobs: JobStore,
        fetcher: AttachmentFetcher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        refresh_seconds: float = REFRESH_SECONDS,
        notice_after_seconds: float = NOTICE_AFTER_SECONDS,
        simulated: bool = False,
        guild_settings: GuildSettingsStore | None = None,
    ) -> None:
        self._settings = settings
        self._db = db
        self._ledger = ledger
        self._jobs = jobs
        self._clock = clock
        self._simulated = simulated
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._queue = JobQueue(settings.jobs.max_in_flight)
        self._eta = Eta(db)  # learned generation times: when to poll
        self.guild_settings = guild_settings or GuildSettingsStore(
            db, settings.catalogue, clock=clock
        )
        self._approvals = Approvals()
        # Safety (#11): prompt rules, pauses, flagged videos; held ones beside the database.
        self.moderation = Moderation(
            db,
            self.guild_settings,
            jobs,
            held_folder=settings.env.database_path.parent / "held",
            clock=clock,
        )
        self.offers = OfferBook(settings.catalogue, monotonic=monotonic)
        self._runner = JobRunner(
            settings=settings,
            atlas=atlas,
            db=db,
            ledger=ledger,
            jobs=jobs,
            fetcher=fetcher,
            eta=self._eta,
            moderation=self.moderation,
            queue=self._queue,
            clock=clock,
            monotonic=monotonic,
            refresh_seconds=refresh_seconds,
            notice_after_seconds=notice_after_seconds,
        )
        self._recovery = Recovery(
            settings=settings,
            db=db,
            ledger=ledger,
            jobs=jobs,
            runner=self._runner,
            clock=clock,
            monotonic=monotonic,
            view_of=self.view_of,
            launch=self._launch,
        )

    # -- before money moves -------------------------------------------------------------

    async def prepare(self, order: VideoOrder) -> PreparedJob:
        """Validate and quote `order`, then create its job row and hold in one transaction.

        Raises `JobRefused` (bad input, the server's settings, or a limit: nothing is held)
        with a message key. A job priced above the server's approval threshold is prepared
        waiting for an admin (`approval_timeout` set).
        """
        guild = await self.guild_settings.get(order.guild_id)
        if not guild.allows_channel(order.channel_id):
            raise JobRefused("refused.wrong_channel", channel_ids=guild.channel_ids)
        await self.moderation.screen(guild, order)  # age-restricted channels, pauses, rules
        validated = validate_order(order, self._settings, guild)
        # Where the video goes is decided now and kept with the job, for a restart to follow.
        validated.params["delivery"] = delivery_for(guild, order.channel_id).to_params()
        job_id = uuid.uuid4().hex
        now = self._clock()
        record = JobRecord(
            id=job_id,
            user_id=order.user_id,
            guild_id=order.guild_id,
            channel_id=order.channel_id,
            message_id=None,
            model=validated.model.id,
            params=validated.params,
            state=JobState.HELD,
            prediction_id=None,
            quote=validated.price,
            actual_price=None,
            error=None,
            created_at=now,
            updated_at=now,
            submitted_at=None,
        )
        try:
            async with self._db.transaction() as tx:
                await self._jobs.create(record, tx=tx)
                await self._ledger.reserve(
                    job_id, order.user_id, order.guild_id, order.role_ids, validated.price, tx=tx
                )
        except BudgetExceeded as exc:
            # A cheaper video that fits what is left, as a button beside the refusal.
            offer = None
            if exc.limit in MONEY_LIMITS:
                offer = self.offers.propose(validated, guild, exc.remaining)
            raise BudgetRefused(
                f"refused.budget.{exc.limit}",
                offer,
                needed=exc.needed,
                remaining=exc.remaining,
                resets_at=exc.resets_at,
            ) from None
        except DatabaseUnavailable as exc:
            # The ledger cannot take the hold (locked, disk full): nothing was reserved.
            log.error("cannot reserve: %s", exc, extra={"job_id": job_id})
            raise JobRefused("refused.ledger_busy") from None
        log.info(
            "job held",
            extra={"job_id": job_id, "user_id": order.user_id, "guild_id": order.guild_id},
        )
        view = self.view_of(record)
        if not guild.needs_approval(validated.price):
            return PreparedJob(job_id, validated, view)
        # Decided before the hold could expire, so an approved job never finds it released.
        ttl = self._settings.budget.hold_ttl_seconds
        timeout = min(guild.approval_timeout, max(ttl - 60.0, ttl / 2))
        deadline = now + timedelta(seconds=timeout)
        self._approvals.open(job_id, order.guild_id, deadline)
        view = view.but(status=JobStatus.AWAITING_APPROVAL, approval_deadline=deadline)
        return PreparedJob(job_id, validated, view, approval_timeout=timeout)

    async def attach_message(self, job_id: str, message_id: int) -> None:
        """Remember which Discord message shows the job (for edits after a restart)."""
        await self._jobs.attach_message(job_id, message_id)

    async def delivered_to(self, job_id: str) -> Posted | None:
        """Where the job's video was already posted away from its channel, if it was."""
        job = await self._jobs.get(job_id)
        return None if job is None else Posted.from_params(job.params.get("delivered_to"))

    async def note_delivery(self, job_id: str, posted: Posted) -> None:
        """Remember where the video was posted, so a retry after a restart does not post it
        twice (see `bot.guilds.delivery.DeliveryJournal`)."""
        job = await self._jobs.get(job_id)
        if job is not None:
            params = {**job.params, "delivered_to": posted.to_params()}
            await self._jobs.advance(job_id, job.state, params=params)

    # -- running -------------------------------------------------------------------------

    def start(self, job: PreparedJob, progress: Progress) -> asyncio.Task[None]:
        """Run the job in the background; the task never raises (failures are reported)."""
        return self._launch(job.job_id, progress, job.view, self._execute(job, progress))

    def _launch(
        self, job_id: str, progress: Progress, view: JobView, work: Awaitable[None]
    ) -> asyncio.Task[None]:
        """Run `work` as the job's guarded task, kept until it ends so `close` can stop it."""
        task = asyncio.create_task(
            self._guarded(job_id, progress, view, work), name=f"job-{job_id}"
        )
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))
        return task

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
        await self._runner.run(job, progress)

    async def _await_approval(self, job: PreparedJob, progress: Progress) -> PreparedJob | None:
        """Wait for an admin's yes; a no, or no answer in time, releases the hold."""
        assert job.approval_timeout is not None
        decision = await self._approvals.wait(job.job_id, job.approval_timeout)
        try:
            if decision is not None and decision.approved:
                job.order.params["approved_by"] = decision.by
                await self._jobs.advance(
                    job.job_id, JobState.HELD, expect=(JobState.HELD,), params=job.order.params
                )
                log.info("job approved", extra={"job_id": job.job_id, "user_id": decision.by})
                view = job.view.but(status=JobStatus.QUEUED, approval_deadline=None)
                await self._runner.show(progress, view)
                return replace(job, view=view)
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

    async def cancel(self, job_id: str, user_id: int) -> JobView:
        """Cancel a job that has not reached Atlas; only its requester may. Releases the hold."""
        job = await self._jobs.get(job_id)
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
        self._approvals.close(job_id)
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()
        return True

    async def queue_of(self, guild_id: int) -> list[QueueEntry]:
        """This server's jobs waiting for approval, in line or running, oldest first."""
        jobs = [job for job in await self._jobs.unfinished() if job.guild_id == guild_id]
        return queue_entries(
            jobs,
            self._settings.catalogue,
            now=self._clock(),
            awaiting_approval=self._approvals.waiting,
            position=self._queue.position,
        )

    async def delete_message(
        self,
        job_id: str,
        user_id: int,
        *,
        moderator: bool,
        remove: Callable[[], Awaitable[None]],
    ) -> None:
        """Delete an ended job's message (requester or moderator only; `DeleteRefused`).

        `remove` deletes it on Discord; the job row and its ledger entries stay, the row
        noting who deleted the message.
        """
        job = await self._jobs.get(job_id)
        if job is None:
            raise DeleteRefused("unknown")
        if job.user_id != user_id and not moderator:
            raise DeleteRefused("not_yours")
        if not job.state.is_terminal:
            raise DeleteRefused("not_finished")
        await remove()
        await self._jobs.advance(job_id, job.state, params={**job.params, "deleted_by": user_id})
        log.info("job message deleted", extra={"job_id": job_id, "user_id": user_id})

    def view_of(self, job: JobRecord) -> JobView:
        """The member's view of a stored job (for buttons and for jobs resumed after a restart)."""
        params = job.params
        try:
            model = self._settings.catalogue.get(job.model)
            label, expected = model.label, model.expected_seconds
        except LookupError:
            label, expected = job.model, 60.0
        return JobView(
            job_id=job.id,
            requester_id=job.user_id,
            prompt=params["prompt"],
            model_label=label,
            duration=params["duration"],
            resolution=params["resolution"],
            aspect_ratio=params["aspect_ratio"],
            seed=params["seed"],
            image_count=params.get("image_count", 0),
            quote=job.quote,
            expected_seconds=expected,
            simulated=self._simulated,
        )

    # -- after a restart (see `bot.jobs.recovery`) -----------------------------------------

    async def recover(self, progress_for: Callable[[JobRecord], Progress]) -> RecoveryReport:
        """Settle or resume every unfinished job; run once at start-up, before commands."""
        return await self._recovery.recover(progress_for)

    async def sweep(self) -> None:
        """Periodic upkeep: expire stale holds, release uncertain jobs past their window."""
        await self._recovery.sweep()

    async def uncertain_jobs(self, guild_id: int) -> list[JobRecord]:
        """Jobs of this server whose submit outcome is unknown, for the admin to settle."""
        return await self._recovery.uncertain_jobs(guild_id)

    async def resolve(self, job_id: str, guild_id: int, *, charge: bool, by: int) -> bool:
        """An admin settles an uncertain job: charge it (Atlas billed it) or release it.

        Returns False when the job is not an uncertain job of this server.
        """
        return await self._recovery.resolve(job_id, guild_id, charge=charge, by=by)

    async def job(self, job_id: str) -> JobRecord | None:
        """The stored job, for buttons that act on it."""
        return await self._jobs.get(job_id)

    async def close(self) -> None:
        """Stop running jobs; their rows stay as they are, for recovery on the next start."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.moderation.close()


__all__ = [
    "CancelRefused",
    "JobRefused",
    "JobService",
    "PreparedJob",
    "RecoveryReport",
    "VideoOrder",
]
