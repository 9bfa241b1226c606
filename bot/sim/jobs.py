"""Simulated jobs and the scripts that shape them: how a job moves and what it reports."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any, Literal

Outcome = Literal["complete", "fail", "reject", "stuck"]

CONTENT_MODERATION_CODE = 1039
GENERIC_FAILURE_CODE = 1001


def sample_video() -> bytes:
    """The tiny playable MP4 every completed job points at."""
    return resources.files("bot.sim").joinpath("assets/sample.mp4").read_bytes()


def video_chunks(size: int | None, chunk: int = 256 * 1024) -> tuple[int, Iterator[bytes]]:
    """(length, chunks) of an output of `size` bytes: the sample MP4, padded with an MP4
    `free` box so that a big output stays a valid, playable file."""
    sample = sample_video()
    if size is None or size <= len(sample) + 8:
        return len(sample), iter([sample])
    padding = size - len(sample)

    def chunks() -> Iterator[bytes]:
        yield sample + struct.pack(">I", padding) + b"free"
        left = padding - 8
        while left > 0:
            step = min(chunk, left)
            yield bytes(step)
            left -= step

    return size, chunks()


def damaged_chunks(size: int, chunk: int = 256 * 1024) -> tuple[int, Iterator[bytes]]:
    """(length, chunks) of `size` bytes that begin like an MP4 and are not one (no `moov`,
    no stream): an output no decoder can read, as a storage fault at Atlas would make."""
    head = struct.pack(">I", 24) + b"ftypisom" + bytes(4) + b"isommp41"
    pattern = bytes(range(256)) * (chunk // 256)

    def chunks() -> Iterator[bytes]:
        yield head[:size]
        left = size - len(head)
        while left > 0:
            step = min(chunk, left)
            yield pattern[:step]
            left -= step

    return size, chunks()


@dataclass(frozen=True)
class Script:
    """How jobs whose prompt contains `marker` behave."""

    marker: str
    outcome: Outcome = "complete"
    nsfw: bool = False
    output_bytes: int | None = None
    generation_seconds: float | None = None
    damaged: bool = False
    """The output is `output_bytes` (default 1 MB) of something no decoder can read."""


@dataclass
class SimJob:
    """One accepted `generateVideo` call."""

    id: str
    model: str
    prompt: str
    body: dict[str, Any]
    created: float
    generation_seconds: float
    outcome: Outcome = "complete"
    nsfw: bool = False
    output_bytes: int | None = None
    damaged: bool = False
    forced_done: bool = False
    input_seconds: float | None = None
    """How long its input video is (extend, edit, upscale), when the simulator can tell."""
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def status(self, now: float) -> str:
        """`starting -> processing -> completed | failed` on the simulated clock."""
        elapsed = now - self.created
        running = self.outcome == "stuck" or elapsed < self.generation_seconds
        if running and not self.forced_done:
            return "starting" if elapsed < self.generation_seconds / 4 else "processing"
        return "completed" if self.outcome in ("complete", "stuck") else "failed"

    def data(self, now: float, *, origin: str, price_usd: str | None) -> dict[str, Any]:
        """The `data` object of a poll answer, as Atlas shapes it."""
        status = self.status(now)
        done = status in ("completed", "failed")
        data: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "status": status,
            "outputs": [],
            "error": "",
            "error_code": None,
            "has_nsfw_contents": [],
            "created_at": self.created_at.isoformat(),
            "completed_at": None,
            "urls": {"get": f"{origin}/api/v1/model/prediction/{self.id}"},
            "metrics": {},
        }
        if done:
            finished = self.created_at + timedelta(seconds=self.generation_seconds)
            data["completed_at"] = finished.isoformat()
            data["metrics"] = {"predict_time": self.generation_seconds}
        if status == "completed":
            data["outputs"] = [f"{origin}/media/outputs/{self.id}.mp4"]
            data["has_nsfw_contents"] = [self.nsfw]
            if price_usd is not None:
                data["price"] = float(Decimal(price_usd))
        elif status == "failed":
            if self.outcome == "reject":
                data["error"] = "The content was rejected by content moderation."
                data["error_code"] = CONTENT_MODERATION_CODE
            else:
                data["error"] = "Generation failed: internal model error."
                data["error_code"] = GENERIC_FAILURE_CODE
        return data
