"""How a running job reports to the member: a `JobView` snapshot pushed to a `Progress` sink.

The job service knows nothing of Discord; the Discord layer implements `Progress` by editing
the member's message. Like replicate's prediction events, each snapshot is complete, so a sink
can render it without remembering earlier ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from bot.catalogue import MAKER_KINDS, Catalogue, ModelKind
from bot.jobs.record import JobRecord, JobState, SentVideo
from bot.safety.held import Review


class JobStatus(StrEnum):
    """What the member sees of a job's state."""

    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    UPLOADING = "uploading"
    SUBMITTED = "submitted"
    GENERATING = "generating"
    DOWNLOADING = "downloading"
    COMPRESSING = "compressing"
    """The video is over the destination's upload limit: a smaller rendition is being made
    (the job row stays `downloading`)."""
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNCERTAIN = "uncertain"
    HELD_FOR_REVIEW = "held_for_review"
    """Atlas flagged the video; it waits for a moderator (the server's review mode)."""
    REMOVED = "removed"
    """A moderator removed a flagged video."""

    @property
    def is_final(self) -> bool:
        """No further update follows."""
        return self in (
            JobStatus.DELIVERED,
            JobStatus.FAILED,
            JobStatus.CANCELLED,
            JobStatus.UNCERTAIN,
            JobStatus.HELD_FOR_REVIEW,
            JobStatus.REMOVED,
        )


class FailureReason(StrEnum):
    """Why a job did not produce a video, in words the member understands (see bot/i18n)."""

    CONTENT_REJECTED = "content_rejected"
    CONTENT_REJECTED_PAUSED = "content_rejected_paused"
    """Rejected, and the member's access is now paused (too many rejections in a day)."""
    ATLAS_UNAVAILABLE = "atlas_unavailable"
    ATLAS_BUSY = "atlas_busy"
    ATLAS_KEY_REJECTED = "atlas_key_rejected"
    ATLAS_NO_BALANCE = "atlas_no_balance"
    ATLAS_REFUSED = "atlas_refused"
    IMAGE_UNUSABLE = "image_unusable"
    TIMED_OUT = "timed_out"
    HOLD_EXPIRED = "hold_expired"
    RESTARTED = "restarted"
    APPROVAL_DENIED = "approval_denied"
    APPROVAL_TIMED_OUT = "approval_timed_out"
    GENERATION_FAILED = "generation_failed"
    INTERNAL = "internal"

    @property
    def is_input(self) -> bool:
        """The member's input caused it (an image that is not one, a prompt Atlas refused as
        bad or rejected by its moderation): the same input fails the same way, so the member
        is offered Edit prompt rather than Re-roll."""
        return self in _INPUT_FAILURES


_INPUT_FAILURES = frozenset(
    {
        FailureReason.IMAGE_UNUSABLE,
        FailureReason.ATLAS_REFUSED,
        FailureReason.CONTENT_REJECTED,
        FailureReason.CONTENT_REJECTED_PAUSED,
    }
)


@dataclass(frozen=True)
class JobView:
    """Everything the member's message shows about one job, at one moment."""

    job_id: str
    requester_id: int
    prompt: str
    model_label: str
    duration: int
    resolution: str
    aspect_ratio: str
    seed: int
    image_count: int
    quote: int
    status: JobStatus = JobStatus.QUEUED
    elapsed_seconds: float = 0.0
    """How long generation took (shown when delivered)."""
    expected_seconds: float = 60.0
    """How long such a video usually takes (learned from past jobs, else the catalogue's)."""
    started_at: datetime | None = None
    """When Atlas got the job: shown as a live Discord timestamp while it generates."""
    charged: int | None = None
    remaining: int | None = None
    resets_at: datetime | None = None
    failure: FailureReason | None = None
    failure_detail: str | None = None
    video_url: str | None = None
    simulated: bool = False
    queue_position: int | None = None
    """Place in the server's line while the job waits for a slot."""
    starts_at: datetime | None = None
    """When a waiting job is expected to start: shown as a live Discord timestamp."""
    approval_deadline: datetime | None = None
    batch: tuple[int, int] | None = None
    """(this video's number, how many) when one command asked for several."""
    confirmed_by_call: bool = False
    """The submit's answer was lost, and Atlas's call confirmed the job after all."""
    flagged: bool = False
    """Atlas marked the output as sensitive (`has_nsfw_contents`): shown behind a spoiler."""
    sent: SentVideo | None = None
    """What reached Discord of the output: attached as it is, compressed, or the link (why)."""
    link_expires_at: datetime | None = None
    """Until when Atlas keeps the original behind `video_url`: a live Discord timestamp."""
    retry_until: datetime | None = None
    """While downloading: the output's download failed and is tried again until then."""
    encoder_ahead: int | None = None
    """While compressing: the videos ahead of this one for the encoder (being encoded and
    waiting); None once it is encoding."""
    in_dm: bool = False
    """The video goes by direct message (whose upload limit is not the server's)."""
    kind: str = ModelKind.TEXT_TO_VIDEO.value
    """What the job makes (`ModelKind`): an extension, an edit and an upscale show so."""
    input_seconds: float | None = None
    """How long the input video is (extend, edit, upscale)."""
    last_frame: str = ""
    """ "image" (it ends on a given image), "loop" (on its first), or "" (neither)."""
    follow_ups: tuple[str, ...] = ()
    """What a finished video offers beside Re-roll ("extend", "vedit", "upscale", "improve"):
    the catalogue has a model for it."""

    @property
    def cancellable(self) -> bool:
        """The job has not reached Atlas yet, so its requester may still cancel it."""
        return self.status in (JobStatus.AWAITING_APPROVAL, JobStatus.QUEUED, JobStatus.UPLOADING)

    @property
    def rerollable(self) -> bool:
        """Running the same input again (Re-roll) could give a video: not after a failure the
        input caused (see `FailureReason.is_input`)."""
        failed_by_input = self.failure is not None and self.failure.is_input
        return not (self.status is JobStatus.FAILED and failed_by_input)

    @property
    def made_anew(self) -> bool:
        """A video /video or /animate makes (its Copy command exists), not one made from
        another video."""
        return self.kind in MAKER_KINDS

    def but(self, **changes: Any) -> JobView:
        """A copy with some fields changed."""
        return replace(self, **changes)


STATUS_OF: dict[JobState, JobStatus] = {
    JobState.QUOTED: JobStatus.QUEUED,
    JobState.HELD: JobStatus.QUEUED,
    JobState.UPLOADING: JobStatus.UPLOADING,
    JobState.SUBMITTING: JobStatus.SUBMITTED,
    JobState.SUBMITTED: JobStatus.SUBMITTED,
    JobState.GENERATING: JobStatus.GENERATING,
    JobState.DOWNLOADING: JobStatus.DOWNLOADING,
    JobState.DELIVERED: JobStatus.DELIVERED,
    JobState.FAILED: JobStatus.FAILED,
    JobState.REJECTED: JobStatus.FAILED,
    JobState.CANCELLED: JobStatus.CANCELLED,
    JobState.EXPIRED: JobStatus.FAILED,
    JobState.UNCERTAIN: JobStatus.UNCERTAIN,
}
"""What a member is shown of each stored state (the one place the two meet)."""

_REVIEWED: dict[Review, JobStatus] = {
    Review.PENDING: JobStatus.HELD_FOR_REVIEW,
    Review.APPROVED: JobStatus.DELIVERED,
    Review.REMOVED: JobStatus.REMOVED,
}


def view_of(job: JobRecord, catalogue: Catalogue, *, simulated: bool = False) -> JobView:
    """The member's view of a stored job, its status from its state (and a flagged video's
    review): for buttons, and for jobs resumed after a restart."""
    meta = job.meta
    label = catalogue.label_of(job.model)
    expected = catalogue.expected_seconds_of(job.model)
    status = STATUS_OF[job.state] if meta.review is None else _REVIEWED[meta.review]
    kind = catalogue.get(job.model).kind if job.model in catalogue else ModelKind.TEXT_TO_VIDEO
    last_frame = "loop" if meta.loop else "image" if meta.last_image_url is not None else ""
    return JobView(
        job_id=job.id,
        requester_id=job.user_id,
        prompt=meta.prompt,
        model_label=label,
        duration=meta.duration,
        resolution=meta.resolution,
        aspect_ratio=meta.aspect_ratio,
        seed=meta.seed,
        image_count=meta.image_count,
        quote=job.quote,
        status=status,
        expected_seconds=expected,
        simulated=simulated,
        flagged=meta.review is not None,
        batch=meta.batch,
        sent=meta.sent,
        confirmed_by_call=meta.confirmed_by_call,
        kind=kind.value,
        input_seconds=meta.input_seconds,
        last_frame=last_frame,
        follow_ups=follow_ups(catalogue, has_prompt=bool(meta.prompt)),
    )


_FOLLOW_UPS = (
    (ModelKind.VIDEO_EXTEND, "extend"),
    (ModelKind.VIDEO_EDIT, "vedit"),
    (ModelKind.UPSCALE, "upscale"),
)


def follow_ups(catalogue: Catalogue, *, has_prompt: bool) -> tuple[str, ...]:
    """What a finished video may lead to, as the catalogue offers it: an extension, an edit,
    an upscale (models of that kind), and a better prompt (a chat model; a prompt to improve)."""
    offered = [action for kind, action in _FOLLOW_UPS if catalogue.of_kind(kind)]
    if catalogue.llms and has_prompt:
        offered.append("improve")
    return tuple(offered)


class Progress(Protocol):
    """Where a job's snapshots go (the member's Discord message)."""

    @property
    def upload_limit(self) -> int:
        """The largest file, in bytes, the destination accepts."""
        ...

    async def show(self, view: JobView, video: Path | None = None) -> None:
        """Render `view`; with `video`, attach that file (the job is delivered)."""
        ...
