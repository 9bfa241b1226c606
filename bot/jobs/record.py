"""A stored job: where it stands (`JobState`) and its typed metadata (`JobMeta`).

`JobMeta` is everything a job carries besides its columns: the options it was made with (the
ones Atlas gets), where its video goes and went, and who approved, reviewed or deleted it. It is
stored as the row's JSON `params`, with the same keys as ever, so rows written by earlier
versions read back unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.db.schema import TERMINAL_JOB_STATES
from bot.guilds.delivery import DeliveryTarget, Posted
from bot.safety.held import Review

DEFAULT_LOCALE = "en-US"


class JobState(StrEnum):
    """Where a job stands; forward-only in this order."""

    QUOTED = "quoted"
    HELD = "held"
    UPLOADING = "uploading"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    GENERATING = "generating"
    DOWNLOADING = "downloading"
    DELIVERED = "delivered"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    UNCERTAIN = "uncertain"

    @property
    def is_terminal(self) -> bool:
        """True for the states a job never leaves (UNCERTAIN waits for an admin)."""
        return self.value in TERMINAL_JOB_STATES

    @property
    def never_submitted(self) -> bool:
        """The job never reached Atlas: nothing can be billed, its hold may be released."""
        return self in (JobState.QUOTED, JobState.HELD, JobState.UPLOADING)


_ORDER = {state: index for index, state in enumerate(JobState)}


class LinkReason(StrEnum):
    """Why a delivered job gave the member Atlas's link instead of the file."""

    NO_OUTPUT = "no_output"
    """Atlas finished the job but named no file."""
    TOO_BIG_TO_FETCH = "too_big_to_fetch"
    """Larger than `[delivery] max_download_mb`: never downloaded."""
    DOWNLOAD_FAILED = "download_failed"
    """Atlas's storage did not hand the file over, even after retries."""
    CANNOT_FIT = "cannot_fit"
    """Even the lowest allowed rendition would be over the destination's limit."""
    UNREADABLE = "unreadable"
    """Over the limit, and the encoder could not read it."""
    ENCODER_FAILED = "encoder_failed"
    """Over the limit, and the encoder failed or ran out of time."""
    NO_ENCODER = "no_encoder"
    """Over the limit, and this bot has no encoder."""
    REFUSED = "refused"
    """Discord refused the upload (over the limit after all)."""


@dataclass(frozen=True)
class SentVideo:
    """What reached Discord of Atlas's output: its size, what was attached (a smaller
    rendition when `compressed`), the limit it had to fit, or why only the link went."""

    original_bytes: int | None = None
    attached_bytes: int | None = None
    width: int | None = None
    height: int | None = None
    compressed: bool = False
    limit_bytes: int | None = None
    link: LinkReason | None = None

    @property
    def attached(self) -> bool:
        """A file went with the message."""
        return self.link is None and self.attached_bytes is not None

    def to_params(self) -> dict[str, Any]:
        """The JSON form kept in the job's params (only what is known)."""
        stored = {
            "original_bytes": self.original_bytes,
            "attached_bytes": self.attached_bytes,
            "width": self.width,
            "height": self.height,
            "limit_bytes": self.limit_bytes,
            "link": None if self.link is None else self.link.value,
        }
        kept: dict[str, Any] = {key: value for key, value in stored.items() if value is not None}
        if self.compressed:
            kept["compressed"] = True
        return kept

    @classmethod
    def from_params(cls, stored: Any) -> SentVideo | None:
        """Read the stored form; None when nothing (readable) was stored."""
        if not isinstance(stored, Mapping):
            return None
        try:
            link = None if stored.get("link") is None else LinkReason(stored["link"])
        except ValueError:
            link = LinkReason.REFUSED
        return cls(
            original_bytes=_int_or_none(stored.get("original_bytes")),
            attached_bytes=_int_or_none(stored.get("attached_bytes")),
            width=_int_or_none(stored.get("width")),
            height=_int_or_none(stored.get("height")),
            compressed=bool(stored.get("compressed", False)),
            limit_bytes=_int_or_none(stored.get("limit_bytes")),
            link=link,
        )


def can_move(current: JobState, new: JobState) -> bool:
    """Whether a job may go from `current` to `new` (same state: yes, to update fields)."""
    if new is current:
        return True
    if current.is_terminal:
        return False
    if current is JobState.UNCERTAIN:
        # An admin settles it, or Atlas's call names its prediction: followed again.
        return new.is_terminal or new is JobState.SUBMITTED
    return _ORDER[new] > _ORDER[current]


@dataclass(frozen=True)
class JobMeta:
    """A job's options and bookkeeping (the row's `params`)."""

    prompt: str
    duration: int
    aspect_ratio: str
    resolution: str
    seed: int
    role_ids: tuple[int, ...] = ()
    """The member's roles when the job was made (their limit may come from one)."""
    image_count: int = 0
    image_urls: tuple[str, ...] = ()
    """Atlas URLs of the uploaded images (a re-roll reuses them)."""
    locale: str = DEFAULT_LOCALE
    """The member's Discord language: a job resumed after a restart still speaks it."""
    delivery: DeliveryTarget = field(default_factory=DeliveryTarget)
    """Where the video goes, decided when the job was made."""
    delivered_to: Posted | None = None
    """Where the video was posted away from its channel (so a retry does not post twice)."""
    approved_by: int | None = None
    deleted_by: int | None = None
    review: Review | None = None
    """A flagged video held for a moderator: where the review stands."""
    reviewed_by: int | None = None
    output_url: str | None = None
    """Atlas's link to a held video (to deliver it once approved)."""
    batch: tuple[int, int] | None = None
    """(this video's number, how many) when one command asked for several."""
    upload_limit: int | None = None
    """The largest file the job's server accepted when it was asked for (the interaction's
    `attachment_size_limit`): a job resumed after a restart fits its video to it."""
    sent: SentVideo | None = None
    """What reached Discord of the output (sizes, compressed or not, or why the link)."""
    confirmed_by_call: bool = False
    """Its submit's answer was lost (uncertain), and Atlas's webhook call named it after all."""
    charged_by_admin: bool = False
    """An uncertain job an admin settled as billed (Atlas ran it; no video came to us): it
    ended failed for the member, and its hold was captured, not released."""
    erased: bool = False
    """The prompt, links and roles were blanked (retention, or the member was forgotten)."""
    video_url: str | None = None
    """Atlas's URL of the job's input video (extend, edit, upscale), uploaded before the hold."""
    input_seconds: float | None = None
    """How long the input video is (what an edit or an upscale is priced on)."""
    source_job: str | None = None
    """The finished video's job this one continues, edits or upscales."""
    last_image_url: str | None = None
    """Atlas's URL of the image the video ends on (first and last frame)."""
    loop: bool = False
    """The video ends on its first image (a loop)."""
    helps_job: str | None = None
    """A prompt helper's job: the job whose prompt it improved (None: a prompt typed anew)."""
    answer: str | None = None
    """A prompt helper's job: the improved prompt."""
    tokens: tuple[int, int] | None = None
    """A prompt helper's job: (prompt, completion) tokens Atlas billed."""

    def but(self, **changes: Any) -> JobMeta:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def without_details(self) -> JobMeta:
        """The job as retention keeps it: options and bookkeeping, no prompt, no links, no
        roles (the money rows keep what was charged)."""
        return replace(
            self,
            prompt="",
            role_ids=(),
            image_urls=(),
            output_url=None,
            video_url=None,
            last_image_url=None,
            answer=None,
            erased=True,
        )

    def to_json(self) -> dict[str, Any]:
        """The stored form: the same keys as the untyped params of earlier versions."""
        stored: dict[str, Any] = {
            "prompt": self.prompt,
            "duration": self.duration,
            "aspect_ratio": self.aspect_ratio,
            "resolution": self.resolution,
            "seed": self.seed,
            "role_ids": list(self.role_ids),
            "image_count": self.image_count,
            "image_urls": list(self.image_urls),
            "locale": self.locale,
            "delivery": self.delivery.to_params(),
        }
        optional = {
            "delivered_to": None if self.delivered_to is None else self.delivered_to.to_params(),
            "approved_by": self.approved_by,
            "deleted_by": self.deleted_by,
            "review": None if self.review is None else self.review.value,
            "reviewed_by": self.reviewed_by,
            "batch": None if self.batch is None else list(self.batch),
            "upload_limit": self.upload_limit,
            "sent": None if self.sent is None else self.sent.to_params(),
            "confirmed_by_call": True if self.confirmed_by_call else None,
            "charged_by_admin": True if self.charged_by_admin else None,
            "video_url": self.video_url,
            "input_seconds": self.input_seconds,
            "source_job": self.source_job,
            "last_image_url": self.last_image_url,
            "loop": True if self.loop else None,
            "helps_job": self.helps_job,
            "answer": self.answer,
            "tokens": None if self.tokens is None else list(self.tokens),
        }
        stored.update({key: value for key, value in optional.items() if value is not None})
        if self.erased:
            stored["erased"] = True
        if self.review is not None:
            stored["output_url"] = self.output_url  # kept even when None: the link was missing
        return stored

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> JobMeta:
        """Read the stored form, also as rows of earlier versions wrote it."""
        review = stored.get("review")
        return cls(
            prompt=str(stored["prompt"]),
            duration=int(stored["duration"]),
            aspect_ratio=str(stored["aspect_ratio"]),
            resolution=str(stored["resolution"]),
            seed=int(stored["seed"]),
            role_ids=tuple(int(role) for role in stored.get("role_ids", ())),
            image_count=int(stored.get("image_count", 0)),
            image_urls=tuple(str(url) for url in stored.get("image_urls", ())),
            locale=str(stored.get("locale", DEFAULT_LOCALE)),
            delivery=DeliveryTarget.from_params(stored.get("delivery")),
            delivered_to=Posted.from_params(stored.get("delivered_to")),
            approved_by=_int_or_none(stored.get("approved_by")),
            deleted_by=_int_or_none(stored.get("deleted_by")),
            review=None if review is None else Review(review),
            reviewed_by=_int_or_none(stored.get("reviewed_by")),
            output_url=stored.get("output_url"),
            batch=_pair(stored.get("batch")),
            upload_limit=_int_or_none(stored.get("upload_limit")),
            sent=SentVideo.from_params(stored.get("sent")),
            confirmed_by_call=bool(stored.get("confirmed_by_call", False)),
            charged_by_admin=bool(stored.get("charged_by_admin", False)),
            erased=bool(stored.get("erased", False)),
            video_url=_str_or_none(stored.get("video_url")),
            input_seconds=_float_or_none(stored.get("input_seconds")),
            source_job=_str_or_none(stored.get("source_job")),
            last_image_url=_str_or_none(stored.get("last_image_url")),
            loop=bool(stored.get("loop", False)),
            helps_job=_str_or_none(stored.get("helps_job")),
            answer=_str_or_none(stored.get("answer")),
            tokens=_pair(stored.get("tokens")),
        )


def _pair(value: Any) -> tuple[int, int] | None:
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    return int(value[0]), int(value[1])


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class JobRecord:
    """One row of the job table. Times are timezone-aware UTC; money is micro-dollars."""

    id: str
    user_id: int
    guild_id: int
    channel_id: int
    message_id: int | None
    model: str
    meta: JobMeta
    state: JobState
    prediction_id: str | None
    quote: int
    actual_price: int | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None

    @classmethod
    def held(
        cls,
        *,
        user_id: int,
        guild_id: int,
        channel_id: int,
        model: str,
        meta: JobMeta,
        quote: int,
        now: datetime,
    ) -> JobRecord:
        """A new job whose price `quote` is about to be held (the row written with the hold)."""
        return cls(
            id=uuid.uuid4().hex,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            message_id=None,
            model=model,
            meta=meta,
            state=JobState.HELD,
            prediction_id=None,
            quote=quote,
            actual_price=None,
            error=None,
            created_at=now,
            updated_at=now,
            submitted_at=None,
        )


__all__ = [
    "DEFAULT_LOCALE",
    "JobMeta",
    "JobRecord",
    "JobState",
    "LinkReason",
    "SentVideo",
    "can_move",
]
