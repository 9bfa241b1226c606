"""What a member attaches, checked before anything is held: images and videos from Discord's
description of them (type, size, pixels, host), and a video's length once it has been read.

Each refusal is a `JobRefused` whose key names the message (bot/i18n) and says what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.catalogue import ModelSpec
from bot.settings import AttachmentsConfig
from bot.transcode.sniff import VIDEO_TYPES

LENGTH_SLACK_SECONDS = 0.05
"""Containers round a video's length: a "10 s" clip may say 10.02 s."""


class JobRefused(Exception):
    """The request cannot run; nothing was reserved. `key` names the message, `params` fill it."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class ImageInput:
    """An image attachment as Discord describes it, before anything is downloaded."""

    url: str
    filename: str
    content_type: str | None
    size: int
    width: int | None
    height: int | None


@dataclass(frozen=True)
class VideoInput:
    """A video as Discord describes it (a member's attachment, or the current attachment of a
    finished video's message), before anything is downloaded."""

    url: str
    filename: str
    content_type: str | None
    size: int


def check_images(
    model: ModelSpec,
    rules: AttachmentsConfig,
    images: Sequence[ImageInput],
    *,
    count: int,
    last_image: ImageInput | None = None,
    loop_and_last: bool = False,
) -> None:
    """A job's images (`count` of them, `images` the ones still on Discord, and the image to
    end on), from Discord's metadata alone, before downloading anything."""
    if not model.kind.takes_images:
        return
    if count == 0:
        raise JobRefused("refused.no_images")
    if count > model.max_images:
        raise JobRefused("refused.too_many_images", model=model.label, max=model.max_images)
    if loop_and_last:
        raise JobRefused("refused.loop_and_last_image")
    for image in (*images, *(() if last_image is None else (last_image,))):
        _check_image(image, rules)


def _check_image(image: ImageInput, rules: AttachmentsConfig) -> None:
    if image.size <= 0:
        raise JobRefused("refused.image_empty", filename=image.filename)
    content_type = (image.content_type or "").split(";")[0].strip().lower()
    if content_type not in rules.content_types:
        raise JobRefused("refused.image_type", filename=image.filename)
    if image.size > rules.max_bytes:
        raise JobRefused(
            "refused.image_too_big",
            filename=image.filename,
            max_mb=rules.max_bytes // 1_000_000,
        )
    # Discord measures every image it can read: no size in pixels, no readable image.
    if not image.width or not image.height:
        raise JobRefused("refused.image_unreadable", filename=image.filename)
    if min(image.width, image.height) < rules.min_side_px:
        raise JobRefused(
            "refused.image_too_small", filename=image.filename, min_px=rules.min_side_px
        )
    if urlsplit(image.url).hostname not in rules.allowed_hosts:
        raise JobRefused("refused.image_host", filename=image.filename)


def video_byte_limit(model: ModelSpec, rules: AttachmentsConfig) -> int:
    """The largest input video the bot downloads for `model`: the attachment limit, and the
    model's own when it is lower."""
    own = model.max_input_bytes
    return rules.max_bytes if own is None else min(rules.max_bytes, own)


def check_video(
    model: ModelSpec,
    rules: AttachmentsConfig,
    video: VideoInput | None,
    *,
    known: bool,
    seconds: float | None,
    added: int,
) -> None:
    """A job that starts from a video: from Discord's description of it (type, size, host),
    then, once read (`seconds`), its length against what the model takes. `known`: Atlas
    already has the video (a re-roll)."""
    if not model.kind.takes_video:
        return
    if video is None and not known:
        raise JobRefused("refused.no_video")
    limit = video_byte_limit(model, rules)
    if video is not None:
        if video.size <= 0:
            raise JobRefused("refused.video_empty", filename=video.filename)
        content_type = (video.content_type or "").split(";")[0].strip().lower()
        if content_type not in VIDEO_TYPES:
            raise JobRefused("refused.video_type", filename=video.filename)
        if video.size > limit:
            raise JobRefused(
                "refused.video_too_big", filename=video.filename, max_mb=limit // 1_000_000
            )
        if urlsplit(video.url).hostname not in rules.allowed_hosts:
            raise JobRefused("refused.video_host", filename=video.filename)
    if seconds is not None:
        name = video.filename if video is not None else "video"
        check_video_length(model, seconds, filename=name, added=added, max_bytes=limit)


def check_video_length(
    model: ModelSpec, seconds: float, *, filename: str, added: int, max_bytes: int
) -> None:
    """Refuse an input video the model does not take: too long, too short, or (an extension)
    too long once extended; each refusal says what is allowed."""
    longest, shortest = model.max_input_seconds, model.min_input_seconds
    shown = seconds_text(seconds)
    if longest is not None and seconds > longest + LENGTH_SLACK_SECONDS:
        raise JobRefused(
            "refused.video_too_long",
            filename=filename,
            length=shown,
            max=seconds_text(longest),
            max_mb=max_bytes // 1_000_000,
            model=model.label,
        )
    if shortest is not None and seconds < shortest - LENGTH_SLACK_SECONDS:
        raise JobRefused(
            "refused.video_too_short",
            filename=filename,
            length=shown,
            min=seconds_text(shortest),
            model=model.label,
        )
    total = model.max_total_seconds
    if total is not None and model.durations and seconds + added > total + LENGTH_SLACK_SECONDS:
        room = max(0, math.floor(total - seconds + LENGTH_SLACK_SECONDS))
        raise JobRefused(
            "refused.extend_too_long",
            length=shown,
            added=added,
            max=seconds_text(total),
            room=room,
            model=model.label,
        )


def seconds_text(seconds: float) -> str:
    """ "45" or "7.5": whole seconds without a decimal."""
    return f"{round(seconds, 1):g}"


__all__ = [
    "LENGTH_SLACK_SECONDS",
    "ImageInput",
    "JobRefused",
    "VideoInput",
    "check_images",
    "check_video",
    "check_video_length",
    "seconds_text",
    "video_byte_limit",
]
