"""One prepared job's run, from its queue slot to its end.

    wait for a slot -> upload images -> submitting (hold pinned) -> submit
    -> submitted(prediction id) -> generating -> capture + downloading -> deliver -> delivered
    any failure before Atlas may have started the job -> release + failed / rejected / expired

`JobRunner` owns these steps and the endings (failed, uncertain); the job service prepares
the job, waits for an admin's approval and keeps the task. Every state change that moves
money commits in the same transaction as the job row, so the row and the ledger never
disagree. Atlas does not bill failed or timed-out jobs, so those holds are released; a submit
whose fate is unknown keeps its hold as *uncertain* for an admin.

Longer than most modules on purpose: the path from slot to settlement reads top to bottom in
one place, where the order of the money steps can be checked. What stands apart already lives
apart: the line (`line`), the inputs (`inputs`), the output fetched and fitted (`outputs`),
the restart (`recovery`) and what happens before the hold (`preparation`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from bot.atlas import (
    AtlasError,
    AuthenticationError,
    BadRequest,
    ContentRejected,
    InsufficientBalance,
    JobFailed,
    JobTimedOut,
    NotFound,
    PayloadTooLarge,
    Prediction,
    PredictionState,
    RateLimited,
    expected_seconds,
)
from bot.guilds.delivery import DeliveryMode
from bot.jobs.callbacks import StoredCall
from bot.jobs.context import JobContext
from bot.jobs.eta import generation_seconds
from bot.jobs.inputs import upload_images
from bot.jobs.line import PlacesShown, Ticket
from bot.jobs.media import MediaError
from bot.jobs.orders import ValidatedOrder
from bot.jobs.outputs import Stage, link_expiry
from bot.jobs.progress import FailureReason, JobStatus, JobView, Progress
from bot.jobs.record import JobMeta, JobState, SentVideo
from bot.jobs.requests import generate_request
from bot.jobs.store import IllegalTransition
from bot.ledger import SettlementConflict
from bot.operator import CapturedJob

# Logged as the job service: one logger for a job's whole life (as in bot.ledger's modules).
log = logging.getLogger("bot.jobs.service")


@dataclass(frozen=True)
class PreparedJob:
    """A job whose money is held and whose row exists; ready to run."""

    job_id: str
    order: ValidatedOrder
    view: JobView
    approval_timeout: float | None = None
    """Seconds to wait for an admin's approval before running; None: no approval needed."""


class JobRunner:
    """Carries one job at a time through Atlas and the ledger; shared by all jobs."""

    def __init__(self, ctx: JobContext) -> None:
        self._settings = ctx.settings
        self._atlas = ctx.atlas
        self._db = ctx.db
        self._ledger = ctx.ledger
        self._jobs = ctx.jobs
        self._fetcher = ctx.fetcher
        self._outputs = ctx.outputs
        self._eta = ctx.eta
        self._moderation = ctx.moderation
        self._line = ctx.line
        self._clock = ctx.clock
        self._monotonic = ctx.monotonic
        self._refresh_seconds = ctx.refresh_seconds
        self._notice_after_seconds = ctx.notice_after_seconds
        self._callbacks = ctx.callbacks
        self._alerts = ctx.alerts

    # -- wait in line, submit ------------------------------------------------------------

    async def run(self, job: PreparedJob, progress: Progress, ticket: Ticket | None = None) -> None:
        """Wait in line for a slot (showing the job's place when it changes meaningfully),
        then carry the job to its end. `ticket`: the place it took when it was prepared (its
        first message showed it); without one, it joins the line now."""
        places = PlacesShown(self._monotonic, self._refresh_seconds, shown=job.view.queue_position)
        order = job.order.order

        async def on_place(place: int) -> None:
            if places.worth_showing(place):
                starts_at = await self.start_estimate(job, place)
                await self.show(progress, job.view.but(queue_position=place, starts_at=starts_at))

        # Joined before any await, so jobs resumed after a restart keep their order.
        if ticket is None:
            ticket = self._line.join(job.job_id, order.guild_id, order.user_id)
        ticket.listen(on_place)
        try:
            # However long the line, the price stays held: a pinned hold never expires.
            await self._ledger.pin(job.job_id)
        except SettlementConflict:
            ticket.leave()
            await self.fail(
                job.job_id,
                progress,
                job.view,
                FailureReason.HOLD_EXPIRED,
                JobState.FAILED,
                "hold released before the job could wait in line",
            )
            return
        except BaseException:
            ticket.leave()
            raise
        async with ticket:
            await self._run_in_slot(job, progress)

    async def start_estimate(self, job: PreparedJob, place: int) -> datetime:
        """When a job at `place` in its server's line may start: the jobs ahead run
        `per_guild` at a time, each about as long as this one is expected to take."""
        order = job.order
        expected = await self._eta.expected(
            order.model.id,
            order.resolution,
            order.duration,
            expected_seconds(order.model, resolution=order.resolution, duration=order.duration),
        )
        slots = max(1, min(self._line.capacity, self._line.per_guild))
        rounds = -(-place // slots)  # ceil: the jobs ahead leave `slots` at a time
        return self._clock() + timedelta(seconds=rounds * expected)

    async def _run_in_slot(self, job: PreparedJob, progress: Progress) -> None:
        """Upload, submit and follow the job; it holds a queue slot throughout."""
        order = job.order
        view = job.view.but(queue_position=None, starts_at=None)  # out of the line now
        image_urls = list(order.meta.image_urls)
        last_image = order.order.last_image if order.meta.last_image_url is None else None
        if order.model.takes_images and (not image_urls or last_image is not None):
            view = view.but(status=JobStatus.UPLOADING)
            await self._jobs.advance(job.job_id, JobState.UPLOADING)
            await self.show(progress, view)
            try:
                meta = await upload_images(order, self._fetcher, self._atlas)
            except (MediaError, AtlasError) as exc:
                reason = FailureReason.IMAGE_UNUSABLE
                if isinstance(exc, AtlasError):
                    reason = _failure_reason(exc)
                await self.fail(job.job_id, progress, view, reason, JobState.FAILED, str(exc))
                return
            order = replace(order, meta=meta)
            image_urls = list(meta.image_urls)
        if order.meta.loop and image_urls:  # a loop ends on its first image
            order = replace(order, meta=order.meta.but(last_image_url=image_urls[0]))
        # The point of no return: once generateVideo may have reached Atlas, the hold is pinned.
        try:
            async with self._db.transaction() as tx:
                await self._jobs.advance(job.job_id, JobState.SUBMITTING, tx=tx, meta=order.meta)
                await self._ledger.pin(job.job_id, tx=tx)
        except IllegalTransition:
            log.info("job cancelled before submit", extra={"job_id": job.job_id})
            return
        except SettlementConflict:
            # The hold expired (or was released) while the job waited: never submit unpaid.
            await self.fail(
                job.job_id,
                progress,
                view,
                FailureReason.HOLD_EXPIRED,
                JobState.FAILED,
                "hold released before submit",
            )
            return
        request = generate_request(
            order,
            image_urls=image_urls,
            last_image_url=order.meta.last_image_url,
            # A URL naming this job: Atlas's call reaches it even if the submit's answer is lost.
            webhook_url=None if self._callbacks is None else self._callbacks.url_for(job.job_id),
        )
        try:
            prediction_id = await self._atlas.submit(request)
        except AtlasError as exc:
            if exc.submit_may_have_started:
                # Atlas may have the job: keep its hold. Its call, if one came (or comes while
                # it is marked uncertain), names the prediction: then it is followed as usual.
                if not await self.adopt_if_called(job.job_id, order, progress, view):
                    await self.mark_uncertain(job.job_id, progress, view, exc)
                    await self.adopt_if_called(job.job_id, order, progress, view)
            else:
                await self.fail(
                    job.job_id, progress, view, _failure_reason(exc), JobState.FAILED, str(exc)
                )
            return
        submitted_at = self._monotonic()
        await self._jobs.advance(
            job.job_id, JobState.SUBMITTED, prediction_id=prediction_id, submitted_at=self._clock()
        )
        log.info("job submitted", extra={"job_id": job.job_id, "prediction_id": prediction_id})
        view = view.but(started_at=self._clock())
        await self.follow(job.job_id, prediction_id, order, progress, view, submitted_at)

    async def adopt_if_called(
        self, job_id: str, order: ValidatedOrder, progress: Progress, view: JobView
    ) -> bool:
        """Follow a job whose submit's answer was lost if Atlas's call about it was kept;
        False when no call came (yet)."""
        if self._callbacks is None:
            return False
        call = await self._callbacks.stored(job_id)
        if call is None:
            return False
        await self.adopt(job_id, call, order, progress, view)
        return True

    async def adopt(
        self,
        job_id: str,
        call: StoredCall,
        order: ValidatedOrder,
        progress: Progress,
        view: JobView,
    ) -> None:
        """Atlas's call named the prediction of a job whose submit's answer was lost: store
        the id and follow the job as any other (its hold was kept: it is captured once)."""
        try:
            job = await self._jobs.get(job_id)
            if job is None:
                return
            job = await self._jobs.advance(
                job_id,
                JobState.SUBMITTED,
                expect=(JobState.SUBMITTING, JobState.UNCERTAIN),
                prediction_id=call.prediction_id,
                meta=job.meta.but(confirmed_by_call=True),
            )
        except IllegalTransition:
            return  # settled or adopted meanwhile: nothing more to do here
        log.info(
            "Atlas's call confirmed a job whose submit answer was lost",
            extra={"job_id": job_id, "prediction_id": call.prediction_id},
        )
        if self._atlas.notices is not None:  # the call's outcome: no poll needed
            self._atlas.notices.notify(call.prediction_id, call.prediction)
        age = (self._clock() - job.created_at).total_seconds()
        view = view.but(confirmed_by_call=True, started_at=job.created_at)
        await self.follow(
            job_id, call.prediction_id, order, progress, view, self._monotonic() - age
        )

    # -- follow and deliver --------------------------------------------------------------

    async def follow(
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

        polling = self._settings.polling
        schedule = await self._eta.live_schedule(
            order.model.id,
            order.resolution,
            order.duration,
            default=expected_seconds(
                order.model, resolution=order.resolution, duration=order.duration
            ),
            polling=polling,
            # Atlas calls back: poll only in case it does not.
            safety_net_seconds=(
                polling.webhook_safety_interval_seconds if self._atlas.notices is not None else None
            ),
        )
        current = view.but(
            status=JobStatus.GENERATING,
            started_at=view.started_at or self._clock(),
            expected_seconds=schedule.expected_seconds,
        )
        await self.show(progress, current)
        try:
            prediction = await self._atlas.wait(
                prediction_id, schedule=schedule, on_update=on_update
            )
        except (JobFailed, JobTimedOut, NotFound) as exc:
            reason, state = _ending_without_video(exc)
            rejected = isinstance(exc, ContentRejected)
            strike = await self._moderation.record_rejection(job_id) if rejected else None
            if strike is not None and strike.paused:
                reason = FailureReason.CONTENT_REJECTED_PAUSED
            await self.fail(job_id, progress, current, reason, state, str(exc))
            if strike is not None:
                await self._moderation.announce_rejection(job_id, strike)
            return
        except AtlasError as exc:
            # E.g. the key was revoked mid-job: the job may still run, and bill, at Atlas.
            await self.mark_uncertain(job_id, progress, current, exc)
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
        # Atlas billed the job: capture first, whatever happens to the delivery. Run again
        # after a restart (the job still `downloading`), the capture finds it done already.
        async with self._db.transaction() as tx:
            settlement = await self._ledger.capture(job_id, prediction.price, tx=tx)
            await self._jobs.advance(
                job_id, JobState.DOWNLOADING, tx=tx, actual_price=prediction.price
            )
        summary = await self._ledger.summary(
            order.order.user_id, order.order.guild_id, order.order.role_ids
        )
        if self._alerts is not None:
            self._alerts.captured(
                captured_job(order.order.guild_id, order.order.user_id, order.meta)
            )
        url = prediction.outputs[0] if prediction.outputs else None
        view = view.but(
            status=JobStatus.DOWNLOADING,
            charged=settlement.amount,
            remaining=summary.remaining,
            resets_at=summary.resets_at,
            video_url=url,
            link_expires_at=link_expiry(prediction.completed_at, self._clock()),
            in_dm=order.meta.delivery.mode is DeliveryMode.DM,
        )
        # Atlas marked the output as sensitive: a spoiler, or held for a moderator.
        done = view.but(status=JobStatus.DELIVERED, flagged=any(prediction.has_nsfw_contents))
        held = done.flagged and await self._moderation.holds_flagged(order.order.guild_id)

        async def show_stage(stage: Stage) -> None:
            await self.show(progress, stage.shown_on(view, self._clock()))

        async with self._outputs.deliver(
            job_id, url, progress.upload_limit, show_stage, notice_after=self._notice_after_seconds
        ) as ready:
            done = done.but(sent=ready.sent)
            await self._note_sent(job_id, ready.sent)
            if held:
                record = await self._moderation.hold(job_id, ready.video, url)
                await self.show(progress, done.but(status=JobStatus.HELD_FOR_REVIEW))
                await self._moderation.announce(
                    record.guild_id, "held", user_id=record.user_id, job=record
                )
                return
            await self.show(progress, done, ready.video)
            await self._jobs.advance(job_id, JobState.DELIVERED)
        log.info("job delivered", extra={"job_id": job_id, "charged": settlement.amount})

    async def _note_sent(self, job_id: str, sent: SentVideo) -> None:
        """Keep what reaches Discord of the output with the job (Info shows both sizes)."""
        job = await self._jobs.get(job_id)
        if job is not None:
            await self._jobs.advance(job_id, job.state, meta=job.meta.but(sent=sent))

    # -- endings -------------------------------------------------------------------------

    async def fail(
        self,
        job_id: str,
        progress: Progress,
        view: JobView,
        reason: FailureReason,
        state: JobState,
        detail: str,
    ) -> None:
        """End a job that Atlas did not bill: release its hold and tell the member why."""
        await self.settle_failure(job_id, state, detail)
        log.info("job %s: %s", state, detail, extra={"job_id": job_id})
        await self.show(
            progress, view.but(status=JobStatus.FAILED, failure=reason, failure_detail=detail)
        )

    async def settle_failure(self, job_id: str, state: JobState, detail: str) -> None:
        """Release the hold and end the job row in `state`, in one transaction."""
        async with self._db.transaction() as tx:
            await self._ledger.release(job_id, state.value, tx=tx)
            await self._jobs.advance(job_id, state, tx=tx, error=detail[:500])

    async def mark_uncertain(
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
        await self.show(progress, view.but(status=JobStatus.UNCERTAIN))

    async def show(self, progress: Progress, view: JobView, video: Path | None = None) -> None:
        """Push a snapshot; a failing Discord edit never breaks the job (or its money)."""
        try:
            await progress.show(view, video)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not update the member's message", extra={"job_id": view.job_id})


def captured_job(guild_id: int, user_id: int, meta: JobMeta) -> CapturedJob:
    """What the budget alerts need of a job whose money was captured."""
    return CapturedJob(guild_id, user_id, meta.role_ids, meta.locale)


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


__all__ = ["JobRunner", "PreparedJob"]
