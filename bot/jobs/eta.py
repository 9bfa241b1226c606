"""Learned generation times: how long Atlas takes for one (model, resolution, duration).

Every job that succeeds teaches the weighted mean and spread of its generation time, per
(model, resolution, duration), in two memories:

- the long one, stored in `eta_stats` (a restart keeps it), weighs each job by its age (half
  of it forgotten every `HALF_LIFE_SECONDS`), not by its rank: a burst's jobs, which finish
  short ones first and long ones last, all count alike, so its end does not skew it;
- the short one, in memory, follows the last dozen jobs, so a model that got faster moves
  the first poll forward at once.

The poll schedule waits until just before the expected finish (the earlier of the two
memories' estimates) and polls tightly around it: a handful of Atlas calls per job instead of
one every few seconds, and the member still hears within seconds that the video is ready. A
combination never seen falls back to the catalogue's estimate, with a wide spread.

A burst of a kind never seen would have every job poll tightly from that guess onward: most
of those polls only hear "still running". Instead a few of its jobs, the scouts, poll that
way; the others wait until the end of the guess's window, planning again every tight interval
(no Atlas call), and move forward as soon as a scout's job teaches the kind's time.

Longer than most modules: the two memories, the scouts and the schedules made from them are
read together (each step of a schedule depends on all three).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.atlas.models import Prediction
from bot.atlas.schedule import PollSchedule
from bot.db.errors import DatabaseError
from bot.db.store import Conn, Store
from bot.settings import PollingConfig

log = logging.getLogger(__name__)

Key = tuple[str, str, int]
"""(model id, resolution, duration in seconds)."""

EARLY_SPREADS = 2.0
"""The first poll lands this many spreads before the mean (plus one tight interval)."""

LATE_SPREADS = 3.0
"""Tight polling lasts until this many spreads after the mean; then `[polling] interval`."""

HALF_LIFE_SECONDS = 3600.0
"""The long memory weighs a job half as much as a new one after this long."""

ALPHA = 0.1
"""The short memory's weight for one new job (before 1/ALPHA jobs: a plain average)."""

MIN_SAMPLES = 3
"""Fewer (weighted) jobs than this: the spread is at least `PRIOR_SPREAD` of the mean."""

PRIOR_SPREAD = 0.25
"""Spread, as a fraction of the mean, assumed before enough observations."""

MIN_SPREAD = 0.02
"""Spread floor, as a fraction of the mean (a run of equal times must not freeze it)."""

OUTLIER_SPREADS = 4.0
OUTLIER_FRACTION = 0.5
"""An observation further from the mean than OUTLIER_SPREADS spreads and OUTLIER_FRACTION of
the mean (a job timed across a restart, a stall) is clamped to that distance."""

PLAUSIBLE_SLACK_SECONDS = 1.0
"""Atlas's own timing may exceed ours by this much (rounding) and still be believed."""

EARLIEST_FIRST_POLL = 0.25
"""The first poll never comes before this fraction of the expected time."""

SCOUTS = 10
"""Jobs of a kind never seen that poll from the catalogue's guess onward; the others of a
burst wait for what the first of these teaches (see the module docstring)."""


@dataclass(frozen=True)
class EtaTuning:
    """The learning and scheduling constants, as one value (tests and the bench vary them)."""

    early_spreads: float = EARLY_SPREADS
    late_spreads: float = LATE_SPREADS
    half_life_seconds: float = HALF_LIFE_SECONDS
    alpha: float = ALPHA
    min_samples: int = MIN_SAMPLES
    prior_spread: float = PRIOR_SPREAD
    min_spread: float = MIN_SPREAD
    outlier_spreads: float = OUTLIER_SPREADS
    outlier_fraction: float = OUTLIER_FRACTION
    earliest_first_poll: float = EARLIEST_FIRST_POLL


DEFAULT_TUNING = EtaTuning()


@dataclass(frozen=True)
class EtaStats:
    """What one memory learned for one key: the (weighted) number of jobs it rests on, their
    weighted mean and variance (s, s²), and when it last learned (wall-clock seconds)."""

    count: float
    mean: float
    var: float
    at: float = 0.0

    def enough(self, tuning: EtaTuning) -> bool:
        """Rests on at least `min_samples` jobs (weights rounded: 3 jobs of a minute ago do)."""
        return self.count >= tuning.min_samples - 0.5

    def spread(self, tuning: EtaTuning) -> float:
        """The standard deviation to plan with: widened while few jobs were seen."""
        spread = math.sqrt(max(self.var, 0.0))
        if not self.enough(tuning):
            spread = max(spread, tuning.prior_spread * self.mean)
        return max(spread, tuning.min_spread * self.mean)

    def aged(self, now: float, tuning: EtaTuning) -> EtaStats:
        """The long memory's stats at `now`: older jobs weigh less (mean and spread stay)."""
        age = max(0.0, now - self.at)
        return EtaStats(
            self.count * 0.5 ** (age / tuning.half_life_seconds), self.mean, self.var, now
        )

    def updated(self, seconds: float, tuning: EtaTuning, *, now: float | None = None) -> EtaStats:
        """These stats after one more job (an incremental weighted mean and variance): weighed
        by age when `now` is given (the long memory), else by rank (the short memory)."""
        current = self.aged(now, tuning) if now is not None else self
        if current.enough(tuning):
            reach = max(
                tuning.outlier_spreads * current.spread(tuning),
                tuning.outlier_fraction * current.mean,
            )
            seconds = min(max(seconds, current.mean - reach), current.mean + reach)
        count = current.count + 1
        weight = 1.0 / count if now is not None else max(tuning.alpha, 1.0 / count)
        diff = seconds - current.mean
        step = weight * diff
        return EtaStats(
            count, current.mean + step, (1.0 - weight) * (current.var + diff * step), current.at
        )


@dataclass(frozen=True)
class LearnedSchedule(PollSchedule):
    """A poll schedule around a learned finish: one poll at `first_poll_seconds`, then every
    `tight_interval_seconds` until `tight_until_seconds`, then every `interval_seconds`."""

    first_poll_seconds: float = 0.0
    tight_interval_seconds: float = 2.5
    tight_until_seconds: float = 0.0
    waits_for_scouts: bool = False
    """A kind never seen, and this job no scout: its first poll waits for what they learn."""

    def next_delay(self, elapsed: float, polls_done: int) -> float:
        """Seconds to wait before the next poll; never past the total timeout."""
        remaining = self.total_timeout_seconds - elapsed
        if remaining <= 0:
            return 0.0
        # Before the first poll, or before a first poll that moved later since (re-planned).
        if polls_done == 0 or elapsed < self.first_poll_seconds:
            delay = max(0.0, self.first_poll_seconds - elapsed)
        elif elapsed < self.tight_until_seconds:
            delay = self.tight_interval_seconds
        else:
            delay = self.interval_seconds
        return min(delay, remaining)

    def safety_net(self, interval_seconds: float) -> LearnedSchedule:
        """The schedule when a webhook says when the job ends: no poll before the latest the
        job is expected to end, then one every `interval_seconds`, in case the call is lost."""
        return replace(
            self,
            first_poll_seconds=max(self.first_poll_seconds, self.tight_until_seconds),
            tight_until_seconds=0.0,
            interval_seconds=interval_seconds,
        )


@dataclass(frozen=True)
class LiveSchedule(PollSchedule):
    """A schedule planned afresh before every poll, from what has been learned by then.

    Jobs of the same kind that finish while this one runs move its next poll: in a burst of a
    kind never seen, the jobs that start later, and those still running when the first ones
    end, poll like warm ones instead of tightly from the catalogue's guess onward. The fields
    inherited from `PollSchedule` are those of the plan at the start.
    """

    plan: Callable[[], PollSchedule] = PollSchedule

    def next_delay(self, elapsed: float, polls_done: int) -> float:
        """The current plan's delay before the next poll."""
        return self.plan().next_delay(elapsed, polls_done)

    def recheck_seconds(self) -> float | None:
        """While the plan waits for the scouts, every tight interval (see the module
        docstring); once the kind is learned, never (the plan holds until the next poll)."""
        plan = self.plan()
        if isinstance(plan, LearnedSchedule) and plan.waits_for_scouts:
            return plan.tight_interval_seconds
        return None


@dataclass
class EtaModel:
    """The learned times in memory: no I/O, so it is easy to test and to reason about.

    `stats` is the long memory (what `Eta` stores), `recent` the short one.
    """

    tuning: EtaTuning = DEFAULT_TUNING
    stats: dict[Key, EtaStats] = field(default_factory=dict)
    recent: dict[Key, EtaStats] = field(default_factory=dict)
    scouts: dict[Key, list[float]] = field(default_factory=dict)
    """When each scout of a kind never seen started (see `scout`)."""

    def known(self, key: Key) -> bool:
        """Whether any job of this kind has taught its time."""
        return key in self.stats or key in self.recent

    def scout(self, key: Key, default: float, now: float) -> bool:
        """Whether a job of `key` starting now is one of its scouts: the kind was never seen
        and fewer than SCOUTS scouts are within the guess's window (a scout whose job
        failed frees its place when that window ends)."""
        if self.known(key):
            self.scouts.pop(key, None)
            return False
        window = default * (1.0 + self.tuning.late_spreads * self.tuning.prior_spread)
        started = [at for at in self.scouts.get(key, ()) if now - at < window]
        if len(started) >= SCOUTS:
            self.scouts[key] = started
            return False
        self.scouts[key] = [*started, now]
        return True

    def _planned(self, key: Key, default: float, now: float) -> list[tuple[float, float]]:
        """(mean, spread) of each memory that knows `key`, else of the default."""
        plans = []
        known = self.stats.get(key)
        if known is not None:
            aged = known.aged(now, self.tuning)
            plans.append((aged.mean, aged.spread(self.tuning)))
        recent = self.recent.get(key)
        if recent is not None:
            plans.append((recent.mean, recent.spread(self.tuning)))
        return plans or [(default, self.tuning.prior_spread * default)]

    def expected(
        self, model: str, resolution: str, duration: int, default: float, *, now: float
    ) -> float:
        """Expected seconds from submit to completion; `default` for a combination never seen."""
        return self._planned((model, resolution, duration), default, now)[0][0]

    def observe(
        self, model: str, resolution: str, duration: int, seconds: float, *, now: float
    ) -> EtaStats | None:
        """Learn from one job that took `seconds` to generate; the long memory's new stats
        (None for an impossible time, which teaches nothing)."""
        key = (model, resolution, duration)
        if not math.isfinite(seconds) or seconds <= 0:
            return None
        empty = EtaStats(0.0, 0.0, 0.0, now)
        # A restart starts the short memory from the long one.
        recent = self.recent.get(key) or self.stats.get(key, empty)
        self.recent[key] = recent.updated(seconds, self.tuning)
        self.stats[key] = new = self.stats.get(key, empty).updated(seconds, self.tuning, now=now)
        return new

    def schedule(
        self,
        model: str,
        resolution: str,
        duration: int,
        default: float,
        polling: PollingConfig | None = None,
        *,
        now: float,
        scout: bool = True,
    ) -> LearnedSchedule:
        """When to poll a new job of this kind: first just before the expected finish (the
        earlier of the memories' answers), then tightly around it, then at the configured
        interval if it runs long. A kind never seen: so for a scout (the default), while the
        others wait until the end of the guess's tight window (`waits_for_scouts`)."""
        key = (model, resolution, duration)
        plans = self._planned(key, default, now)
        polling = polling or PollingConfig()
        interval = polling.interval_seconds
        # `[polling] tight_interval_seconds`, never slower than the configured interval.
        tight = min(polling.tight_interval_seconds, interval)
        tuning = self.tuning
        # Jobs finishing before the first poll wait at most about one tight interval more.
        first = min(
            min(
                mean,
                max(
                    tuning.earliest_first_poll * mean, mean - tuning.early_spreads * spread + tight
                ),
            )
            for mean, spread in plans
        )
        tight_until = max(mean + tuning.late_spreads * spread for mean, spread in plans)
        waits = not scout and not self.known(key)
        return LearnedSchedule(
            expected_seconds=plans[0][0],
            interval_seconds=interval,
            total_timeout_seconds=polling.total_timeout_seconds,
            not_registered_grace_seconds=polling.not_registered_grace_seconds,
            first_poll_seconds=tight_until if waits else first,
            tight_interval_seconds=tight,
            tight_until_seconds=tight_until,
            waits_for_scouts=waits,
        )


def generation_seconds(prediction: Prediction, measured: float) -> float:
    """How long Atlas took: its own `completed_at - created_at` when both are readable and
    plausible, else `measured` (our submit -> the poll that saw it done).

    Atlas's timing is the better teacher: ours is late by up to one poll interval, and a job
    that ended before the first poll is only seen at that poll, which would pull the learned
    time later and later (each late first poll hiding more early finishes).
    """
    try:
        created = datetime.fromisoformat(prediction.created_at or "")
        completed = datetime.fromisoformat(prediction.completed_at or "")
        atlas = (completed - created).total_seconds()
    except (TypeError, ValueError):  # missing, unreadable, or naive mixed with aware
        return measured
    # Atlas started after our submit and finished before our poll: never longer than ours.
    if 0 < atlas <= measured + PLAUSIBLE_SLACK_SECONDS:
        return atlas
    return measured


# -- persistence ------------------------------------------------------------------------------

# `count` holds the long memory's age-weighted number of jobs, rounded (the column is an
# integer): in memory it stays exact, and a restart only shifts an old job's weight by <= 1/2.
_SELECT = "SELECT model, resolution, duration, count, mean, var, updated_at FROM eta_stats"
_UPSERT = (
    "INSERT INTO eta_stats (model, resolution, duration, count, mean, var, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (model, resolution, duration) DO UPDATE SET"
    " count = excluded.count, mean = excluded.mean, var = excluded.var,"
    " updated_at = excluded.updated_at"
)


async def _load(conn: Conn) -> dict[Key, EtaStats]:
    return {
        (model, resolution, int(duration)): EtaStats(
            float(count), float(mean), float(var), updated_us / 1_000_000
        )
        for model, resolution, duration, count, mean, var, updated_us in await conn.fetchall(
            _SELECT
        )
    }


class Eta:
    """The learned model, its long memory persisted in the bot's database (`eta_stats`).

    Reads come from memory (loaded once, on first use); each observation is written through
    the database's group commit. Ages are counted on `wall_clock`, which spans restarts. A
    database problem never fails a job: it is logged and the schedule falls back to what is in
    memory (or the catalogue default).
    """

    def __init__(
        self,
        db: Store,
        *,
        tuning: EtaTuning | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._model = EtaModel(tuning or DEFAULT_TUNING)
        self._wall_clock = wall_clock
        self._loaded = False
        self._loading = asyncio.Lock()

    @property
    def model(self) -> EtaModel:
        """The in-memory model (after `load`)."""
        return self._model

    async def load(self) -> Mapping[Key, EtaStats]:
        """Read the stored stats (once; later calls return what is in memory)."""
        async with self._loading:
            if not self._loaded:
                try:
                    stored = await self._db.read(_load)
                except DatabaseError as exc:
                    log.warning("learned generation times unavailable: %s", exc)
                    stored = {}
                # Observations made meanwhile (none, normally) are newer than the stored rows.
                self._model.stats = stored | self._model.stats
                self._loaded = True
        return self._model.stats

    async def expected(self, model: str, resolution: str, duration: int, default: float) -> float:
        """Expected seconds from submit to completion; `default` for a combination never seen."""
        if not self._loaded:
            await self.load()
        return self._model.expected(model, resolution, duration, default, now=self._wall_clock())

    async def schedule(
        self,
        model: str,
        resolution: str,
        duration: int,
        default: float,
        polling: PollingConfig | None = None,
    ) -> LearnedSchedule:
        """The poll schedule for a job just submitted (see `EtaModel.schedule`)."""
        if not self._loaded:
            await self.load()
        return self._model.schedule(
            model, resolution, duration, default, polling, now=self._wall_clock()
        )

    async def live_schedule(
        self,
        model: str,
        resolution: str,
        duration: int,
        default: float,
        polling: PollingConfig | None = None,
        *,
        safety_net_seconds: float | None = None,
    ) -> LiveSchedule:
        """A schedule for a job just submitted, planned again before each poll from what has
        been learned meanwhile (see `LiveSchedule`); with `safety_net_seconds` (webhooks), only
        a safety net around the latest expected end."""
        if not self._loaded:
            await self.load()

        # Polls are what a webhook saves: with one, no job needs to scout.
        scout = safety_net_seconds is not None or self._model.scout(
            (model, resolution, duration), default, self._wall_clock()
        )

        def plan() -> LearnedSchedule:
            planned = self._model.schedule(
                model, resolution, duration, default, polling, now=self._wall_clock(), scout=scout
            )
            return planned if safety_net_seconds is None else planned.safety_net(safety_net_seconds)

        first = plan()
        return LiveSchedule(
            expected_seconds=first.expected_seconds,
            interval_seconds=first.interval_seconds,
            total_timeout_seconds=first.total_timeout_seconds,
            not_registered_grace_seconds=first.not_registered_grace_seconds,
            plan=plan,
        )

    async def observe(self, model: str, resolution: str, duration: int, seconds: float) -> None:
        """Learn from a job that succeeded after `seconds`, and store it; never raises."""
        if not self._loaded:
            await self.load()
        stats = self._model.observe(model, resolution, duration, seconds, now=self._wall_clock())
        if stats is None:
            return
        count = max(1, round(stats.count))
        row = (model, resolution, duration, count, stats.mean, stats.var)
        updated_us = int(stats.at * 1_000_000)
        try:
            await self._db.run(lambda conn: conn.execute(_UPSERT, (*row, updated_us)))
        except DatabaseError as exc:
            log.warning("could not store a learned generation time: %s", exc)


__all__ = [
    "DEFAULT_TUNING",
    "Eta",
    "EtaModel",
    "EtaStats",
    "EtaTuning",
    "LearnedSchedule",
    "LiveSchedule",
    "generation_seconds",
]
