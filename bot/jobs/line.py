"""The line: who runs next when the bot, a server or a member is at its limit of jobs in flight.

A job whose money is held waits here for a slot instead of being refused. At most
`max_in_flight` jobs run bot-wide, `per_guild` in one server and `per_user` for one member;
the others wait, and are served in turns: servers in turn (one server's burst cannot starve
another), and within a server members in turn (one member's five jobs do not block everyone
else). A member's own jobs keep their order.

A waiting job hears its place in its server's line (1 = next) whenever it changes; the place
is the order in which the turns would serve the waiting jobs now. Knows nothing of Discord or
money: the job runner holds the money and shows the place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

PlaceCallback = Callable[[int], Awaitable[None]]
"""Called with a waiting job's new place in its server's line."""


@dataclass(eq=False)
class _Waiter:
    job_id: str
    guild_id: int
    user_id: int
    on_place: PlaceCallback | None
    ready: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    place: int | None = None
    """The place it was last told (or, before anyone listens, the place it joined at)."""


PLACE_EDITS = 2
"""A waiting job's message shows its place at most this many times: when it joins the line,
and once more when the place has come down to a quarter (a live Discord timestamp says when it
is expected to start meanwhile). With the submit and the delivery edits, a job costs a small,
constant number of Discord calls, however long the line."""

PLACE_FRACTION = 4
"""A new place is worth an edit when it is at most 1/PLACE_FRACTION of the last one shown."""


class PlacesShown:
    """Decides which of a waiting job's places are worth editing its message for."""

    def __init__(
        self,
        monotonic: Callable[[], float],
        min_interval: float,
        *,
        shown: int | None = None,
    ) -> None:
        """`shown`: the place the job's first message already showed (it counts as one)."""
        self._monotonic = monotonic
        self._min_interval = min_interval
        self._last = shown
        self._last_at = monotonic() if shown is not None else 0.0
        self._edits = 0 if shown is None else 1

    def worth_showing(self, place: int) -> bool:
        """True for the first place, then for one that came down to a quarter of the last
        shown (and not within `min_interval` of the last edit); never more than PLACE_EDITS."""
        now = self._monotonic()
        if self._edits >= PLACE_EDITS:
            return False
        if self._last is not None and (
            place * PLACE_FRACTION > self._last or now - self._last_at < self._min_interval
        ):
            return False
        self._last, self._last_at, self._edits = place, now, self._edits + 1
        return True


class Line:
    """Slots for jobs in flight, served in turns (see the module docstring)."""

    def __init__(self, max_in_flight: int, *, per_guild: int, per_user: int) -> None:
        if min(max_in_flight, per_guild, per_user) < 1:
            raise ValueError("every limit of jobs in flight must be at least 1")
        self.capacity = max_in_flight
        self.per_guild = per_guild
        self.per_user = per_user
        self._running = 0
        self._running_in: Counter[int] = Counter()
        self._running_for: Counter[tuple[int, int]] = Counter()
        # guild -> member -> that member's waiting jobs; both orders are the turn order.
        self._waiting: OrderedDict[int, OrderedDict[int, deque[_Waiter]]] = OrderedDict()
        self._by_job: dict[str, _Waiter] = {}
        self._telling: asyncio.Task[None] | None = None
        self._tell_again = False
        self._closed = False

    # -- what members and admins ask -----------------------------------------------------------

    @property
    def running(self) -> int:
        """Jobs holding a slot now, bot-wide."""
        return self._running

    @property
    def waiting(self) -> int:
        """Jobs in line, bot-wide."""
        return len(self._by_job)

    def waiting_in(self, guild_id: int) -> int:
        """Jobs in this server's line."""
        return sum(len(jobs) for jobs in self._waiting.get(guild_id, {}).values())

    def running_in(self, guild_id: int) -> int:
        """Jobs of this server holding a slot."""
        return self._running_in[guild_id]

    def place(self, job_id: str) -> int | None:
        """The job's place in its server's line (1 = next), or None when it is not waiting."""
        waiter = self._by_job.get(job_id)
        if waiter is None:
            return None
        return self._order(waiter.guild_id).index(waiter) + 1

    # -- taking a slot -------------------------------------------------------------------------

    def join(
        self, job_id: str, guild_id: int, user_id: int, on_place: PlaceCallback | None = None
    ) -> Ticket:
        """Join the line now (the place is fixed by this call's order, before any await);
        `async with` the ticket to wait for the slot and hold it, or `leave` it unused.
        While waiting, `on_place(n)` hears each new place; without it, the ticket keeps the
        place it joined at until someone `listen`s (a job whose message is not sent yet)."""
        waiter = _Waiter(job_id, guild_id, user_id, on_place)
        self._by_job[job_id] = waiter
        members = self._waiting.setdefault(guild_id, OrderedDict())
        members.setdefault(user_id, deque()).append(waiter)
        self._dispatch()
        if not waiter.ready.done():
            if on_place is None:
                waiter.place = self.place(job_id)
            self._tell_places()
        return Ticket(self, waiter)

    def _leave(self, waiter: _Waiter) -> None:
        """A waiter gives up: out of the line, or its slot back if it already had one."""
        if waiter.ready.done() and not waiter.ready.cancelled():
            self._release(waiter)
        elif self._by_job.get(waiter.job_id) is waiter:
            self._remove(waiter)
            self._tell_places()

    def _dispatch(self) -> None:
        """Start waiting jobs while slots are free: servers in turn, members in turn."""
        started = False
        # Closing: a slot freed by a job stopped at shutdown must not start another job, which
        # the same shutdown would then cut off half-way (after a restart it waits again).
        while self._running < self.capacity and not self._closed:
            waiter = self._next_runnable()
            if waiter is None:
                break
            self._remove(waiter, served=True)
            self._running += 1
            self._running_in[waiter.guild_id] += 1
            self._running_for[(waiter.guild_id, waiter.user_id)] += 1
            waiter.ready.set_result(None)
            started = True
        if started and self._by_job:
            self._tell_places()

    def _next_runnable(self) -> _Waiter | None:
        for guild_id, members in self._waiting.items():
            if self._running_in[guild_id] >= self.per_guild:
                continue
            for user_id, jobs in members.items():
                if self._running_for[(guild_id, user_id)] < self.per_user:
                    return jobs[0]
        return None

    def _remove(self, waiter: _Waiter, *, served: bool = False) -> None:
        """Take a waiter out of the line; a served one sends its member and server to the back
        of their turns."""
        del self._by_job[waiter.job_id]
        members = self._waiting[waiter.guild_id]
        jobs = members[waiter.user_id]
        jobs.remove(waiter)
        if not jobs:
            del members[waiter.user_id]
        elif served:
            members.move_to_end(waiter.user_id)
        if not members:
            del self._waiting[waiter.guild_id]
        elif served:
            self._waiting.move_to_end(waiter.guild_id)

    def _release(self, waiter: _Waiter) -> None:
        self._running -= 1
        self._running_in[waiter.guild_id] -= 1
        self._running_for[(waiter.guild_id, waiter.user_id)] -= 1
        if not self._running_in[waiter.guild_id]:
            del self._running_in[waiter.guild_id]
        if not self._running_for[(waiter.guild_id, waiter.user_id)]:
            del self._running_for[(waiter.guild_id, waiter.user_id)]
        self._dispatch()

    # -- places --------------------------------------------------------------------------------

    def _order(self, guild_id: int) -> list[_Waiter]:
        """The server's waiting jobs in the order the turns would serve them: each member's
        first job in turn order, then each one's second, and so on."""
        queues = [list(jobs) for jobs in self._waiting.get(guild_id, {}).values()]
        order: list[_Waiter] = []
        for depth in range(max(map(len, queues), default=0)):
            order.extend(jobs[depth] for jobs in queues if depth < len(jobs))
        return order

    def _tell_places(self) -> None:
        """Tell every waiting job whose place changed its new place, in the background, so
        neither the arriving nor the releasing job waits for the members' messages."""
        if self._telling is not None and not self._telling.done():
            self._tell_again = True  # the running round starts over with the newest places
            return
        self._telling = asyncio.get_running_loop().create_task(self._tell_rounds())

    async def _tell_rounds(self) -> None:
        while True:
            self._tell_again = False
            for guild_id in list(self._waiting):
                for place, waiter in enumerate(self._order(guild_id), start=1):
                    if self._tell_again:
                        break
                    # Read afresh: a job served meanwhile is never told an old place.
                    if waiter.place == place or self._by_job.get(waiter.job_id) is not waiter:
                        continue
                    if waiter.on_place is None:
                        continue  # told when someone listens
                    waiter.place = place
                    try:
                        await waiter.on_place(place)
                    except Exception:
                        log.exception(
                            "could not tell a job its place", extra={"job_id": waiter.job_id}
                        )
            if not self._tell_again:
                return

    async def close(self) -> None:
        """Start no more jobs and stop telling places (the job service stops the jobs)."""
        self._closed = True
        if self._telling is not None:
            self._telling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._telling


class Ticket:
    """A place in the line: `async with` it to wait for the slot and hold it for the body."""

    def __init__(self, line: Line, waiter: _Waiter) -> None:
        self._line = line
        self._waiter = waiter
        self._done = False

    async def __aenter__(self) -> None:
        try:
            await asyncio.shield(self._waiter.ready)
        except asyncio.CancelledError:
            self.leave()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self.leave()

    @property
    def place(self) -> int | None:
        """The place it joined at (or was last told), or None once it has its slot."""
        return None if self._waiter.ready.done() else self._waiter.place

    def listen(self, on_place: PlaceCallback) -> None:
        """From now on `on_place(n)` hears each new place, starting with any change since
        the place it joined at."""
        self._waiter.on_place = on_place
        if not self._waiter.ready.done():
            self._line._tell_places()

    def leave(self) -> None:
        """Give the place (or the slot) back; once, whatever calls it."""
        if not self._done:
            self._done = True
            self._line._leave(self._waiter)


__all__ = ["PLACE_EDITS", "Line", "PlaceCallback", "PlacesShown", "Ticket"]
