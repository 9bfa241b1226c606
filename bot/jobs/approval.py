"""Jobs that wait for an admin's yes or no before they run (the server's approval threshold).

The job service opens a request once the job's hold exists and waits on it, with a timeout,
before the job takes its place in line; an admin's click decides it. Nothing here is stored:
after a restart a waiting job is released like any job that never reached Atlas.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Decision:
    """An admin's answer: `approved` or not, and who gave it."""

    approved: bool
    by: int


class DecisionRefused(Exception):
    """The job is not waiting for an approval in this server: `reason` is "unknown"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Request:
    guild_id: int
    deadline: datetime
    answer: asyncio.Future[Decision]


class Approvals:
    """The open approval requests of this process, by job id."""

    def __init__(self) -> None:
        self._open: dict[str, _Request] = {}

    def open(self, job_id: str, guild_id: int, deadline: datetime) -> None:
        """Start waiting for a decision on `job_id` (before anyone can click)."""
        future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._open[job_id] = _Request(guild_id, deadline, future)

    def waiting(self, job_id: str) -> bool:
        """The job waits for an admin's decision."""
        request = self._open.get(job_id)
        return request is not None and not request.answer.done()

    def deadline(self, job_id: str) -> datetime | None:
        """When the job stops waiting, if it waits."""
        request = self._open.get(job_id)
        return request.deadline if request is not None else None

    def decide(self, job_id: str, guild_id: int, *, approved: bool, by: int) -> None:
        """Record an admin's answer; `DecisionRefused` if the job waits for none here."""
        request = self._open.get(job_id)
        if request is None or request.guild_id != guild_id or request.answer.done():
            raise DecisionRefused("unknown")
        request.answer.set_result(Decision(approved, by))

    async def wait(self, job_id: str, timeout: float) -> Decision | None:
        """The decision, or None when nobody decided within `timeout` seconds."""
        request = self._open.get(job_id)
        if request is None:
            raise DecisionRefused("unknown")
        try:
            return await asyncio.wait_for(asyncio.shield(request.answer), max(timeout, 0.0))
        except TimeoutError:
            # An answer that lands in the same instant as the timeout still counts.
            if request.answer.done():
                return request.answer.result()
            return None
        finally:
            self.close(job_id)

    def close(self, job_id: str) -> None:
        """Stop waiting (the job ended, was cancelled or decided); later clicks are refused."""
        request = self._open.pop(job_id, None)
        if request is not None and not request.answer.done():
            request.answer.cancel()
