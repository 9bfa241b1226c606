"""Holding the Atlas simulator's requests at a gate, and a seeded storm of Atlas faults.

`Gates` is an aiohttp middleware installed *inside* the simulator's own one (so a held request
is already recorded, counted and authorised): a test closes the gate of a route, waits until
the bot's request is parked there, kills the bot, then opens the gate. That pins the bot at an
exact stage without sleeping. `FaultStorm` answers a seeded fraction of requests with
429/500/503 or a dropped connection, through the simulator's own fault path.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from aiohttp import web

from bot.sim import AtlasSimulator
from bot.sim.simulator import FaultStatus

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Gate:
    """One closed route: requests wait at it (before or after the handler) until `open()`."""

    route: str
    after_handler: bool
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: int = 0

    def open(self) -> None:
        """Let every waiting and later request through."""
        self.opened.set()


class Gates:
    """Per-route gates on one simulator; install before the simulator starts."""

    def __init__(self) -> None:
        self._gates: dict[str, Gate] = {}

    def install(self, sim: AtlasSimulator) -> None:
        """Add the gate middleware to the (not yet started) simulator's app."""
        sim.app.middlewares.append(self._middleware)

    def close(self, route: str, *, after_handler: bool = False) -> Gate:
        """Hold the next requests to `route` ("submit", "poll", "upload", "download", ...).

        `after_handler`: the simulator acts (e.g. creates the job) but the answer waits,
        like a reply lost on its way back.
        """
        gate = Gate(route, after_handler)
        self._gates[route] = gate
        return gate

    def open_all(self) -> None:
        """Open every gate (at the end of a test, so no handler stays parked)."""
        for gate in self._gates.values():
            gate.open()
        self._gates.clear()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        gate = self._gates.get(request.match_info.route.name or "")
        if gate is None or gate.opened.is_set():
            return await handler(request)
        gate.arrived += 1
        if gate.after_handler:
            response = await handler(request)
            await gate.opened.wait()
            return response
        await gate.opened.wait()
        return await handler(request)


ALL_STATUSES: tuple[FaultStatus, ...] = (429, 500, 503, "drop", "created-500")
ALL_ENDPOINTS = ("submit", "poll", "upload", "download")


class FaultStorm:
    """Fails a seeded `rate` of the simulator's requests with one of `statuses`.

    It plugs into the simulator's own fault hook, so faults behave exactly as `fail_next`
    ones do: a dropped submit is dropped after Atlas created the job (only the answer is
    lost), a status fault answers in Atlas's error shape without acting.
    """

    def __init__(
        self,
        *,
        rate: float,
        seed: int,
        statuses: Sequence[FaultStatus] = ALL_STATUSES,
        endpoints: Sequence[str] = ALL_ENDPOINTS,
    ) -> None:
        self.rate = rate
        self.statuses = tuple(statuses)
        self.endpoints = frozenset(endpoints)
        self.injected: Counter[tuple[str, FaultStatus]] = Counter()
        self.seen: Counter[str] = Counter()
        self.active = True
        self._rng = random.Random(seed)

    def install(self, sim: AtlasSimulator) -> None:
        """Route the simulator's fault decisions through the storm (scripted faults first)."""
        scripted = sim._take_fault

        def take(endpoint: str) -> FaultStatus | None:
            planned = scripted(endpoint)
            if planned is not None or not self.active or endpoint not in self.endpoints:
                return planned
            self.seen[endpoint] += 1
            if self._rng.random() >= self.rate:
                return None
            status = self._rng.choice(self.statuses)
            self.injected[(endpoint, status)] += 1
            return status

        sim._take_fault = take  # type: ignore[method-assign]


def created_by_prompt(sim: AtlasSimulator) -> Counter[str]:
    """How many jobs Atlas *created* per prompt (what could be billed), unlike
    `sim.submits_by_prompt`, which also counts submits refused with 429/503 and retried."""
    return Counter(job.prompt for job in sim.jobs.values())
