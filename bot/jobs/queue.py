"""A fair limit on jobs in flight: first come, first served, with each waiter's position.

The job service takes a slot before a job reaches out to Atlas (upload, submit, poll, deliver)
and gives it back at the end, so one busy server cannot run more at once than the operator
allows; waiting members see their place in line.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

PositionCallback = Callable[[int], Awaitable[None]]


@dataclass
class _Waiter:
    job_id: str
    ready: asyncio.Future[None]
    on_position: PositionCallback


class JobQueue:
    """At most `capacity` jobs hold a slot; the others wait in arrival order."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._running = 0
        self._waiting: deque[_Waiter] = deque()

    @property
    def running(self) -> int:
        """Jobs holding a slot now."""
        return self._running

    @property
    def waiting(self) -> int:
        """Jobs in line for a slot."""
        return len(self._waiting)

    def position(self, job_id: str) -> int | None:
        """1 for the next job to run, or None when the job is not waiting."""
        for index, waiter in enumerate(self._waiting, start=1):
            if waiter.job_id == job_id:
                return index
        return None

    @contextlib.asynccontextmanager
    async def slot(self, job_id: str, on_position: PositionCallback) -> AsyncIterator[None]:
        """Hold a slot for the body; while waiting, `on_position(n)` hears each new place."""
        if self._running < self.capacity and not self._waiting:
            self._running += 1
        else:
            waiter = _Waiter(job_id, asyncio.get_running_loop().create_future(), on_position)
            self._waiting.append(waiter)
            await on_position(len(self._waiting))
            try:
                await waiter.ready
            except asyncio.CancelledError:
                if waiter.ready.done() and not waiter.ready.cancelled():
                    self._release()  # the slot was handed over just as we were cancelled
                else:
                    self._waiting.remove(waiter)
                    await self._announce()
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        self._running -= 1
        while self._waiting and self._running < self.capacity:
            waiter = self._waiting.popleft()
            self._running += 1
            waiter.ready.set_result(None)
        if self._waiting:
            # Tell the others they moved up, without making the releasing job wait for Discord.
            task = asyncio.get_running_loop().create_task(self._announce())
            _background.add(task)
            task.add_done_callback(_background.discard)

    async def _announce(self) -> None:
        for waiter in list(self._waiting):
            # Each edit may wait for Discord: a job that got its slot meanwhile (and may have
            # shown "Generating" or even "Done") must never be shown an old place afterwards.
            place = self.position(waiter.job_id)
            if place is None:
                continue
            with contextlib.suppress(Exception):
                await waiter.on_position(place)


_background: set[asyncio.Task[None]] = set()
