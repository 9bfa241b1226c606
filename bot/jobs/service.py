"""The job service: one video job's life, from the member's order to the settled ledger.

    validate -> quote -> reserve (job row + hold, one transaction)
    -> upload images -> submitting (hold pinned) -> submit -> submitted(prediction id)
    -> generating -> capture + downloading -> deliver -> delivered
    any failure before Atlas may have started the job -> release + failed / rejected / expired

Every state change that moves money commits in the same transaction as the job row, so the
row and the ledger never disagree. Atlas does not bill failed or timed-out jobs, so those
holds are released; a submit whose fate is unknown keeps its hold as *uncertain* for an admin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from bot.atlas import (
    AtlasClient,
    AtlasConnectionError,
    AtlasError,
    AtlasStatusError,
    AuthenticationError,
    BadRequest,
    ContentRejected,
    InsufficientBalance,
    JobFailed,
    JobTimedOut,
    NotFound,
    OutputTooLarge,
    PayloadTooLarge,
    Prediction,
    PredictionState,
    RateLimited,
    UnexpectedResponse,
    VideoRequest,
    expected_seconds,
)
from bot.catalogue import ModelKind
from bot.jobs.approval import Approvals
from bot.jobs.delivery import Posted, delivery_for
from bot.jobs.eta import Eta, generation_seconds
from bot.jobs.guild_settings import GuildSettingsStore
from bot.jobs.media import AttachmentFetcher, MediaError
from bot.jobs.moderation import Moderation
from bot.jobs.offers import MONEY_LIMITS, BudgetRefused, OfferBook
from bot.jobs.orders import JobRefused, ValidatedOrder, VideoOrder, validate_order
from bot.jobs.overview import DeleteRefused, QueueEntry, queue_entries
from bot.jobs.progress import FailureReason, JobStatus, JobView, Progress
from bot.jobs.queue import JobQueue
from bot.jobs.store import IllegalTransition, JobRecord, JobState, JobStore
from bot.ledger import (
    BudgetExceeded,
    DatabaseUnavailable,
    Ledger,
    SettlementConflict,
    Store,
)
from bot.settings import Settings

log = logging.getLogger(__name__)

_T = TypeVar("_T")

REFRESH_SECONDS = 5.0
"""A job waiting in line shows its new place at most this often."""
NOTICE_AFTER_SECONDS = 1.0
"""A step shorter than this (e.g. downloading a small video) gets no edit of its own."""
"""While a job generates, the member's message is refreshed at most this often."""

# Submit errors that prove Atlas did not start the job (so nothing can be billed).
_SUBMIT_REFUSED_STATUSES = frozenset({400, 401, 402, 403, 404, 413, 422, 429, 451, 503})


@dataclass
class RecoveryReport:
    """What start-up recovery did, by job id."""

    resumed: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    expired_holds: int = 0


@dataclass(frozen=True)
class PreparedJob:
    """A job whose money is held and whose row exists; ready to run."""

    job_id: str
    order: ValidatedOrder
    view: JobView
    approval_timeout: float | None = None
    """Seconds to wait for an admin's approval before running; None: no approval needed."""


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
        self._atlas = atlas
        self._db = db
        self._ledger = ledger
        self._jobs = jobs
        self._fetcher = fetcher
        self._clock = clock
        self._monotonic = monotonic
        self._refresh_seconds = refresh_seconds
        self._notice_after_seconds = notice_after_seconds
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
        view = self._initial_view(job_id, validated)
        if not guild.needs_approval(validated.price):
            return PreparedJob(job_id, validated, view)
        # Decided before the hold could expire, so an approved job never finds it released.
        ttl = self._settings.budget.hold_ttl_seconds
        timeout = min(guild.approval_timeout, max(ttl - 60.0, ttl / 2))
        deadline = now + timedelta(seconds=timeout)
        self._approvals.open(job_id, order.guild_id, deadline)
        view = view.but(status=JobStatus.AWAITING_APPROVAL, approval_deadline=deadline)
        return PreparedJob(job_id, validated, view, approval_timeout=timeout)

    def _initial_view(self, job_id: str, validated: ValidatedOrder) -> JobView:
        return JobView(
            job_id=job_id,
            requester_id=validated.order.user_id,
            prompt=validated.params["prompt"],
            model_label=validated.model.label,
            duration=validated.duration,
            resolution=validated.resolution,
            aspect_ratio=validated.aspect_ratio,
            seed=validated.seed,
            image_count=validated.params["image_count"],
            quote=validated.price,
            expected_seconds=validated.model.expected_seconds,
            simulated=self._simulated,
        )

    async def attach_message(self, job_id: str, message_id: int) -> None:
        """Remember which Discord message shows the job (for edits after a restart)."""
        await self._jobs.attach_message(job_id, message_id)

    async def delivered_to(self, job_id: str) -> Posted | None:
        """Where the job's video was already posted away from its channel, if it was."""
        job = await self._jobs.get(job_id)
        return None if job is None else Posted.from_params(job.params.get("delivered_to"))

    async def note_delivery(self, job_id: str, posted: Posted) -> None:
        """Remember where the video was posted, so a retry after a restart does not post it
        twice (see `bot.jobs.delivery.DeliveryJournal`)."""
        job = await self._jobs.get(job_id)
        if job is not None:
            params = {**job.params, "delivered_to": posted.to_params()}
            await self._jobs.advance(job_id, job.state, params=params)

    # -- running -------------------------------------------------------------------------

    def start(self, job: PreparedJob, progress: Progress) -> asyncio.Task[None]:
        """Run the job in the background; the task never raises (failures are reported)."""
        task = asyncio.create_task(
            self._guarded(job.job_id, progress, job.view, self._execute(job, progress)),
            name=f"job-{job.job_id}",
        )
        self._tasks[job.job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job.job_id, None))
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
                await self._settle_failure(job_id, JobState.FAILED, "internal error")
                await self._show(
                    progress, view.but(status=JobStatus.FAILED, failure=FailureReason.INTERNAL)
                )

    async def _execute(self, job: PreparedJob, progress: Progress) -> None:
        if job.approval_timeout is not None:
            approved = await self._await_approval(job, progress)
            if approved is None:
                return
            job = approved
        last_shown = -self._refresh_seconds

        async def on_position(position: int) -> None:
            # Places change often in a long line: refresh at most once per `refresh_seconds`.
            nonlocal last_shown
            now = self._monotonic()
            if now - last_shown >= self._refresh_seconds:
                last_shown = now
                await self._show(progress, job.view.but(queue_position=position))

        async with self._queue.slot(job.job_id, on_position):
            await self._run_in_slot(job, progress)

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
                await self._show(progress, view)
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
        await self._show(
            progress,
            job.view.but(status=JobStatus.FAILED, failure=reason, approval_deadline=None),
        )
        return None

    def decide(self, job_id: str, guild_id: int, *, approved: bool, by: int) -> None:
        """An admin approves or denies a job waiting in this server (`DecisionRefused`: none)."""
        self._approvals.decide(job_id, guild_id, approved=approved, by=by)

    async def _run_in_slot(self, job: PreparedJob, progress: Progress) -> None:
        order = job.order
        view = job.view
        image_urls = list(order.params["image_urls"])
        if order.model.kind is ModelKind.IMAGE_TO_VIDEO and not image_urls:
            view = view.but(status=JobStatus.UPLOADING)
            await self._jobs.advance(job.job_id, JobState.UPLOADING)
            await self._show(progress, view)
            try:
                image_urls = await self._upload_images(order)
            except (MediaError, AtlasError) as exc:
                reason = FailureReason.IMAGE_UNUSABLE
                if isinstance(exc, AtlasError):
                    reason = _failure_reason(exc)
                await self._fail(job.job_id, progress, view, reason, JobState.FAILED, str(exc))
                return
            order.params["image_urls"] = image_urls
        # The point of no return: once generateVideo may have reached Atlas, the hold is pinned.
        try:
            async with self._db.transaction() as tx:
                await self._jobs.advance(
                    job.job_id, JobState.SUBMITTING, tx=tx, params=order.params
                )
                await self._ledger.pin(job.job_id, tx=tx)
        except IllegalTransition:
            log.info("job cancelled before submit", extra={"job_id": job.job_id})
            return
        except SettlementConflict:
            # The hold expired (or was released) while the job waited: never submit unpaid.
            await self._fail(
                job.job_id,
                progress,
                view,
                FailureReason.HOLD_EXPIRED,
                JobState.FAILED,
                "hold released before submit",
            )
            return
        request = VideoRequest(
            model=order.model.id,
            prompt=order.params["prompt"],
            duration=order.duration,
            aspect_ratio=order.aspect_ratio,
            resolution=order.resolution,
            seed=order.seed,
            images=image_urls,
            aspect_ratio_param=order.model.aspect_ratio_param,
            images_param=order.model.images_param,
        )
        try:
            prediction_id = await self._atlas.submit(request)
        except AtlasError as exc:
            if _submit_may_have_started(exc):
                await self._mark_uncertain(job.job_id, progress, view, exc)
            else:
                await self._fail(
                    job.job_id, progress, view, _failure_reason(exc), JobState.FAILED, str(exc)
                )
            return
        submitted_at = self._monotonic()
        await self._jobs.advance(
            job.job_id, JobState.SUBMITTED, prediction_id=prediction_id, submitted_at=self._clock()
        )
        log.info("job submitted", extra={"job_id": job.job_id, "prediction_id": prediction_id})
        view = view.but(started_at=self._clock())
        await self._follow(job.job_id, prediction_id, order, progress, view, submitted_at)

    async def _upload_images(self, order: ValidatedOrder) -> list[str]:
        urls: list[str] = []
        with tempfile.TemporaryDirectory(prefix="atlas-bot-") as folder:
            for index, image in enumerate(order.order.images):
                path = Path(folder) / f"image-{index}"
                content_type = await self._fetcher.fetch_image(image.url, path)
                filename = f"image-{index}.{content_type.rsplit('/', 1)[1]}"
                urls.append(
                    await self._atlas.upload_media(
                        path, filename=filename, content_type=content_type
                    )
                )
        return urls

    async def _follow(
        self,
        job_id: str,
        prediction_id: str,
        order: ValidatedOrder,
        progress: Progress,
        view: JobView,
        submitted_at: float,
    ) -> None:
        """Show the job as generating, poll until Atlas finishes, then settle.

        The message is edited once here, not on a timer: it shows when generation started as
        a Discord timestamp, which the member's client counts up live, and how long such a
        video usually takes (learned from past jobs).
        """
        started = submitted_at
        seen_running = False

        async def on_update(prediction: Prediction) -> None:
            nonlocal seen_running
            if prediction.state is PredictionState.IN_PROGRESS and not seen_running:
                seen_running = True
                await self._jobs.advance(job_id, JobState.GENERATING)

        schedule = await self._eta.schedule(
            order.model.id,
            order.resolution,
            order.duration,
            default=expected_seconds(
                order.model, resolution=order.resolution, duration=order.duration
            ),
            polling=self._settings.polling,
        )
        current = view.but(
            status=JobStatus.GENERATING,
            started_at=view.started_at or self._clock(),
            expected_seconds=schedule.expected_seconds,
        )
        await self._show(progress, current)
        try:
            prediction = await self._atlas.wait(
                prediction_id, schedule=schedule, on_update=on_update
            )
        except (JobFailed, JobTimedOut, NotFound) as exc:
            reason, state = _ending_without_video(exc)
            rejected = isinstance(exc, ContentRejected)
            strike = await self.moderation.record_rejection(job_id) if rejected else None
            if strike is not None and strike.paused:
                reason = FailureReason.CONTENT_REJECTED_PAUSED
            await self._fail(job_id, progress, current, reason, state, str(exc))
            if strike is not None:
                await self.moderation.announce_rejection(job_id, strike)
            return
        except AtlasError as exc:
            # E.g. the key was revoked mid-job: the job may still run, and bill, at Atlas.
            await self._mark_uncertain(job_id, progress, current, exc)
            return
        generated_in = self._monotonic() - started
        await self._eta.observe(
            order.model.id,
            order.resolution,
            order.duration,
            generation_seconds(prediction, generated_in),
        )
        await self._deliver(
            job_id, prediction, order, progress, current.but(elapsed_seconds=generated_in)
        )

    async def _deliver(
        self,
        job_id: str,
        prediction: Prediction,
        order: ValidatedOrder,
        progress: Progress,
        view: JobView,
    ) -> None:
        # Atlas billed the job: capture first, whatever happens to the delivery.
        async with self._db.transaction() as tx:
            settlement = await self._ledger.capture(job_id, prediction.price, tx=tx)
            await self._jobs.advance(
                job_id, JobState.DOWNLOADING, tx=tx, actual_price=prediction.price
            )
        summary = await self._ledger.summary(
            order.order.user_id, order.order.guild_id, order.order.role_ids
        )
        url = prediction.outputs[0] if prediction.outputs else None
        view = view.but(
            status=JobStatus.DOWNLOADING,
            charged=settlement.amount,
            remaining=summary.remaining,
            resets_at=summary.resets_at,
            video_url=url,
        )
        # Atlas marked the output as sensitive: a spoiler, or held for a moderator.
        done = view.but(status=JobStatus.DELIVERED, flagged=any(prediction.has_nsfw_contents))
        held = done.flagged and await self.moderation.holds_flagged(order.order.guild_id)
        with tempfile.TemporaryDirectory(prefix="atlas-bot-") as folder:
            video: Path | None = None
            if url is not None:
                target = Path(folder) / f"{job_id}.mp4"
                fetched = await self._notice_if_slow(
                    self._fetch_output(job_id, url, target, progress.upload_limit),
                    lambda: self._show(progress, view),
                )
                video = target if fetched else None
            if held:
                record = await self.moderation.hold(job_id, video, url)
                await self._show(progress, done.but(status=JobStatus.HELD_FOR_REVIEW))
                await self.moderation.announce(
                    record.guild_id, "held", user_id=record.user_id, job=record
                )
                return
            await self._show(progress, done, video)
        await self._jobs.advance(job_id, JobState.DELIVERED)
        log.info("job delivered", extra={"job_id": job_id, "charged": settlement.amount})

    async def _fetch_output(self, job_id: str, url: str, target: Path, max_bytes: int) -> bool:
        """Download the video to `target`; False when it is too big to attach or unreachable
        (the member then gets the link)."""
        try:
            await self._atlas.download(url, target, max_bytes=max_bytes)
        except OutputTooLarge:
            return False
        except AtlasError as exc:
            log.warning("output download failed: %s", exc, extra={"job_id": job_id})
            return False
        return True

    async def _notice_if_slow(
        self, work: Coroutine[Any, Any, _T], notice: Callable[[], Awaitable[None]]
    ) -> _T:
        """Await `work`; only if it takes longer than `notice_after_seconds`, run `notice` (an
        edit saying what is going on) meanwhile. A quick step costs no Discord edit."""
        task = asyncio.create_task(work)
        try:
            done, _ = await asyncio.wait({task}, timeout=self._notice_after_seconds)
            if not done:
                await notice()
            return await task
        finally:
            task.cancel()

    # -- endings -------------------------------------------------------------------------

    async def _fail(
        self,
        job_id: str,
        progress: Progress,
        view: JobView,
        reason: FailureReason,
        state: JobState,
        detail: str,
    ) -> None:
        await self._settle_failure(job_id, state, detail)
        log.info("job %s: %s", state, detail, extra={"job_id": job_id})
        await self._show(
            progress, view.but(status=JobStatus.FAILED, failure=reason, failure_detail=detail)
        )

    async def _settle_failure(self, job_id: str, state: JobState, detail: str) -> None:
        async with self._db.transaction() as tx:
            await self._ledger.release(job_id, state.value, tx=tx)
            await self._jobs.advance(job_id, state, tx=tx, error=detail[:500])

    async def _mark_uncertain(
        self, job_id: str, progress: Progress, view: JobView, exc: AtlasError
    ) -> None:
        """Atlas may have started the job but never told us its id: keep the hold for an admin."""
        await self._jobs.advance(job_id, JobState.UNCERTAIN, error=str(exc)[:500])
        # A hold that may be billed must not expire by itself (pinned already after submit).
        with contextlib.suppress(SettlementConflict):
            await self._ledger.pin(job_id)
        log.warning(
            "submit outcome unknown; hold kept for reconciliation: %s",
            exc,
            extra={"job_id": job_id},
        )
        await self._show(progress, view.but(status=JobStatus.UNCERTAIN))

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

    # -- after a restart -------------------------------------------------------------------

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
            view = self.view_of(job)
            if job.state in (JobState.QUOTED, JobState.HELD, JobState.UPLOADING):
                # Never reached Atlas: nothing can be billed, so give the money back.
                await self._settle_failure(job.id, JobState.FAILED, "bot restarted before submit")
                await self._show(
                    progress, view.but(status=JobStatus.FAILED, failure=FailureReason.RESTARTED)
                )
                report.released.append(job.id)
            elif job.state is JobState.SUBMITTING:
                # generateVideo may have reached Atlas, but we never stored the id: no handle.
                await self._mark_uncertain(
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
        """Periodic upkeep: expire stale holds, release uncertain jobs past their window."""
        await self._ledger.expire_stale_holds()
        window = timedelta(hours=self._settings.budget.uncertain_release_hours)
        for job in await self._jobs.unfinished():
            if job.state is JobState.UNCERTAIN and self._clock() - job.created_at >= window:
                log.warning("uncertain job released after its window", extra={"job_id": job.id})
                await self._settle_failure(job.id, JobState.FAILED, "uncertain: window passed")

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
        order = self._order_of(job)
        view = view.but(status=JobStatus.GENERATING, elapsed_seconds=age, started_at=submitted_at)
        started = self._monotonic() - age
        task = asyncio.create_task(
            self._guarded(
                job.id,
                progress,
                view,
                self._follow(job.id, job.prediction_id, order, progress, view, started),
            ),
            name=f"job-{job.id}",
        )
        self._tasks[job.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job.id, None))

    def _order_of(self, job: JobRecord) -> ValidatedOrder:
        params = job.params
        model = self._settings.catalogue.get(job.model)
        order = VideoOrder(
            user_id=job.user_id,
            guild_id=job.guild_id,
            channel_id=job.channel_id,
            prompt=params["prompt"],
            kind=model.kind,
            role_ids=tuple(params.get("role_ids", ())),
            model_id=job.model,
            image_urls=tuple(params.get("image_urls", ())),
            locale=params.get("locale", "en-US"),
        )
        return ValidatedOrder(
            order,
            model,
            params["duration"],
            params["aspect_ratio"],
            params["resolution"],
            params["seed"],
            job.quote,
            params,
        )

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

    async def _show(self, progress: Progress, view: JobView, video: Path | None = None) -> None:
        """Push a snapshot; a failing Discord edit never breaks the job (or its money)."""
        try:
            await progress.show(view, video)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not update the member's message", extra={"job_id": view.job_id})


def _submit_may_have_started(exc: AtlasError) -> bool:
    """Could Atlas have started (and so bill) the job, although we got no prediction id?"""
    if isinstance(exc, UnexpectedResponse):
        return True
    if isinstance(exc, AtlasConnectionError):
        return exc.sent_may_have_reached
    if isinstance(exc, AtlasStatusError) and exc.status is not None:
        return exc.status not in _SUBMIT_REFUSED_STATUSES and exc.status >= 500
    return False


def _ending_without_video(exc: AtlasError) -> tuple[FailureReason, JobState]:
    """How a job that Atlas ended without a video is recorded; Atlas bills none of these."""
    if isinstance(exc, ContentRejected):
        return FailureReason.CONTENT_REJECTED, JobState.REJECTED
    if isinstance(exc, JobTimedOut):
        return FailureReason.TIMED_OUT, JobState.EXPIRED
    # A failed job, or NotFound past the not-registered grace: Atlas never ran it.
    return FailureReason.GENERATION_FAILED, JobState.FAILED


def _failure_reason(exc: AtlasError) -> FailureReason:
    if isinstance(exc, AuthenticationError):
        return FailureReason.ATLAS_KEY_REJECTED
    if isinstance(exc, InsufficientBalance):
        return FailureReason.ATLAS_NO_BALANCE
    if isinstance(exc, RateLimited):
        return FailureReason.ATLAS_BUSY
    if isinstance(exc, BadRequest | PayloadTooLarge):
        return FailureReason.ATLAS_REFUSED
    if isinstance(exc, ContentRejected):
        return FailureReason.CONTENT_REJECTED
    return FailureReason.ATLAS_UNAVAILABLE


__all__ = ["CancelRefused", "JobRefused", "JobService", "PreparedJob", "VideoOrder"]
