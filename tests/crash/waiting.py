"""Waiting on things that do not signal (the simulator, the database, a child process)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

POLL_SECONDS = 0.005


async def until(
    ready: Callable[[], bool | Awaitable[bool]],
    what: str,
    timeout: float = 10,
    *,
    details: Callable[[], str] = lambda: "",
) -> None:
    """Poll `ready()` (sync or async) until it holds; AssertionError naming `what` after
    `timeout` seconds, with `details()` appended."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = ready()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{details()}")
        await asyncio.sleep(POLL_SECONDS)
