"""Jobs counted for the dashboard: a `JobStore` watcher that turns stored moves into metrics.

Every path a job takes (a member's run, a cancel, an approval, recovery after a restart)
moves its row through `JobStore`, so watching the rows counts them all without a hook in
each path. Times come from the rows themselves (the store's clock).
"""

from __future__ import annotations

from bot.jobs.record import JobRecord, JobState
from bot.metrics import Metrics


class JobMeter:
    """Counts jobs started and ended, their durations, and the money held and captured."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def __call__(self, before: JobState | None, job: JobRecord) -> None:
        """A `JobWatcher`: one stored move."""
        metrics = self._metrics
        if before is None:
            metrics.job_started(job.model, job.guild_id, job.quote)
            return
        if before is job.state or before is JobState.UNCERTAIN:
            return  # a field changed, or an uncertain job (already counted) was settled
        # A video is captured as it starts downloading; a prompt helper's answer as it is
        # delivered, straight from submitting.
        captured = job.state is JobState.DOWNLOADING or (
            job.state is JobState.DELIVERED and before is JobState.SUBMITTING
        )
        if captured:
            # Captured in the same transaction: Atlas's price when it gave one.
            price = job.actual_price if job.actual_price is not None else job.quote
            metrics.job_captured(job.model, job.guild_id, price)
            if job.submitted_at is not None:
                seconds = (job.updated_at - job.submitted_at).total_seconds()
                metrics.job_generated(job.model, seconds)
        if job.state.is_terminal or job.state is JobState.UNCERTAIN:
            seconds = (job.updated_at - job.created_at).total_seconds()
            metrics.job_ended(job.model, job.guild_id, job.state.value, seconds)


__all__ = ["JobMeter"]
