"""What members see of jobs beyond their own message: a server's line (/queue), and the rules
for removing a finished job's message."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.catalogue import Catalogue
from bot.jobs.record import JobRecord, JobState

Stage = Literal["approval", "waiting", "running"]


@dataclass(frozen=True)
class QueueEntry:
    """One unfinished job of a server: `position` in the line (1 = next) while it waits."""

    job_id: str
    user_id: int
    model_label: str
    stage: Stage
    position: int | None
    elapsed_seconds: float


class DeleteRefused(Exception):
    """A job's message may not be deleted: `reason` is "unknown", "not_yours" or
    "not_finished"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def model_label(catalogue: Catalogue, model_id: str) -> str:
    """The model's name as members know it (its id if it left the catalogue)."""
    return catalogue.label_of(model_id)


def queue_entries(
    jobs: Iterable[JobRecord],
    catalogue: Catalogue,
    *,
    now: datetime,
    awaiting_approval: Callable[[str], bool],
    position: Callable[[str], int | None],
) -> list[QueueEntry]:
    """The jobs that wait (for an admin or for a slot) or run, oldest first.

    Uncertain jobs are left out: they wait for an admin's reckoning, not for their turn.
    """
    entries = []
    for job in jobs:
        if job.state.is_terminal or job.state is JobState.UNCERTAIN:
            continue
        place = position(job.id)
        stage: Stage
        if awaiting_approval(job.id):
            stage = "approval"
        elif place is not None:
            stage = "waiting"
        else:
            stage = "running"
        entries.append(
            QueueEntry(
                job_id=job.id,
                user_id=job.user_id,
                model_label=model_label(catalogue, job.model),
                stage=stage,
                position=place,
                elapsed_seconds=max(0.0, (now - job.created_at).total_seconds()),
            )
        )
    return entries
