"""Flagged videos: what a server does with a video Atlas marks as sensitive, and the ones
kept on disk for a moderator (review mode)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from enum import StrEnum
from pathlib import Path

from bot.files import private_folder, tighten


class FlaggedOutputs(StrEnum):
    """What happens to a video Atlas flags as sensitive."""

    SPOILER = "spoiler"
    REVIEW = "review"


class Review(StrEnum):
    """Where a held video stands (`params["review"]` of its job)."""

    PENDING = "pending"
    APPROVED = "approved"
    REMOVED = "removed"


class HeldVideos:
    """Flagged videos waiting for a moderator, one file per job in `folder` (owner-only)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, job_id: str) -> Path:
        """Where the job's held video is (or would be)."""
        return self.folder / f"{job_id}.mp4"

    async def keep(self, job_id: str, video: Path) -> Path:
        """Move a downloaded video into the folder; its new path."""
        target = self.path(job_id)

        def move() -> None:
            private_folder(self.folder)
            shutil.move(video, target)
            tighten(target)

        await asyncio.to_thread(move)
        return target

    def find(self, job_id: str) -> Path | None:
        """The held video, if it is on disk."""
        path = self.path(job_id)
        return path if path.is_file() else None

    def waiting(self) -> list[tuple[str, Path]]:
        """Every held video on disk, by job id (blocking: run it in a thread)."""
        if not self.folder.is_dir():
            return []
        return sorted((path.stem, path) for path in self.folder.glob("*.mp4"))

    def drop(self, job_id: str) -> None:
        """Delete a held video (approved and delivered, or removed)."""
        with contextlib.suppress(FileNotFoundError):
            self.path(job_id).unlink()
