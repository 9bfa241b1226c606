"""Keeping the bot's own-token calls under Discord's global limit (50 requests per second).

discord.py learns a route's limits from Discord's headers and waits them out, but it learns
the global limit only from a 429, and Discord counts 429s toward its invalid-request ban. A
long line whose interaction tokens expired moves every edit onto the bot's token: the pacer
spaces those calls out before they are sent. Interaction callbacks and interaction webhook
edits go through discord.py's webhook adapter, not `HTTPClient.request`, and are exempt from
the global limit (as Discord exempts them): the pacer never sees them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import discord

GLOBAL_LIMIT_PER_SECOND = 50
PACED_PER_SECOND = 40.0
"""What the pacer allows, under Discord's 50 for headroom (other clients of the same bot)."""
BURST = 5
"""Calls that may go at once after a quiet moment."""


class RequestPacer:
    """A token bucket shared by every call it paces: `rate` per second, `burst` at once."""

    def __init__(
        self,
        rate: float = PACED_PER_SECOND,
        burst: int = BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("the pacer needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._turn = asyncio.Lock()  # waiters go in arrival order

    async def acquire(self) -> None:
        """Wait until one more call fits the rate."""
        async with self._turn:
            while True:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
                self._at = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


def pace_requests(http: discord.http.HTTPClient, pacer: RequestPacer) -> None:
    """Make every bot-token REST call of `http` wait for `pacer` first."""
    send = http.request

    async def paced(route: discord.http.Route, **kwargs: Any) -> Any:
        await pacer.acquire()
        return await send(route, **kwargs)

    http.request = paced  # type: ignore[method-assign]


__all__ = ["BURST", "GLOBAL_LIMIT_PER_SECOND", "PACED_PER_SECOND", "RequestPacer", "pace_requests"]
