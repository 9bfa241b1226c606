"""Budget periods: a calendar day, week or month in the configured time zone.

Periods are computed on stored times (`bot.db.times`: integer microseconds since the epoch, UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.db.times import from_micros, to_micros

PeriodKind = Literal["day", "week", "month"]


@dataclass(frozen=True)
class Period:
    """One budget period: [start, end) in UTC; `id` also names the rule that made it."""

    start_us: int
    end_us: int
    id: str

    @property
    def start(self) -> datetime:
        """When the period began (UTC)."""
        return from_micros(self.start_us)

    @property
    def end(self) -> datetime:
        """When the next period begins, i.e. when budgets reset (UTC)."""
        return from_micros(self.end_us)


class PeriodRule:
    """Cuts time into calendar periods: midnight, Monday midnight or the 1st, local time."""

    def __init__(self, kind: PeriodKind, zone: ZoneInfo) -> None:
        self.kind = kind
        self.zone = zone
        self.key = f"{kind}:{zone.key}"
        self._last: Period | None = None

    def _local_start(self, day: date) -> date:
        if self.kind == "day":
            return day
        if self.kind == "week":
            return day - timedelta(days=day.weekday())
        return day.replace(day=1)

    def _next_start(self, start: date) -> date:
        if self.kind == "day":
            return start + timedelta(days=1)
        if self.kind == "week":
            return start + timedelta(days=7)
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)

    def _instant(self, day: date) -> int:
        # Local midnight; in a DST gap zoneinfo picks the first instant of that day.
        return to_micros(datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC))

    def period_at_micros(self, at_us: int) -> Period:
        """The period that contains the stored time `at_us`."""
        last = self._last
        if last is not None and last.start_us <= at_us < last.end_us:
            return last
        local_day = from_micros(at_us).astimezone(self.zone).date()
        start_day = self._local_start(local_day)
        start_us = self._instant(start_day)
        if at_us < start_us:  # an ambiguous or skipped midnight: step back one period
            start_day = self._local_start(start_day - timedelta(days=1))
            start_us = self._instant(start_day)
        end_us = self._instant(self._next_start(start_day))
        period = Period(start_us, end_us, f"{self.key}:{start_us}")
        self._last = period
        return period

    def period_at(self, at: datetime) -> Period:
        """The period that contains `at`."""
        return self.period_at_micros(to_micros(at))
