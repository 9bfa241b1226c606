"""Budget forecast: at the pace of this period's spend, when does the money run out?

The pace is what was spent since the period began divided by the time gone by (at least a day,
so a first video in the period's first minutes does not forecast a ruin by lunchtime). The
daily spend behind the chart is the ledger's captures summed per calendar day in the budget's
time zone, read from an index for just that member (or server) and those days: /budget never
reads the whole server's period. Integer micro-dollars throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.db.times import to_micros
from bot.ledger import Ledger
from bot.ledger.periods import PeriodRule
from bot.money import Micros
from bot.settings import BudgetConfig

DAY_US = 86_400_000_000
MIN_PACE_WINDOW_US = DAY_US
"""The pace divides by at least this much time."""


@dataclass(frozen=True)
class Forecast:
    """Where a budget is heading. `runs_out_at` is None when it lasts until `resets_at`
    (or nothing was spent); `used_up` when nothing is left now."""

    spent: Micros
    remaining: Micros
    daily_pace: Micros
    runs_out_at: datetime | None
    resets_at: datetime
    used_up: bool


@dataclass(frozen=True)
class DaySpend:
    """What was spent on one calendar day of the period (in the budget's time zone)."""

    day: date
    amount: Micros


@dataclass(frozen=True)
class Outlook:
    """A forecast and the daily spend of the period so far, for one member or one server."""

    forecast: Forecast
    days: list[DaySpend]
    today: date


def forecast(
    *,
    spent: Micros,
    remaining: Micros,
    period_start: datetime,
    resets_at: datetime,
    now: datetime,
) -> Forecast:
    """Extrapolate this period's spend: `remaining` runs out after remaining / pace."""
    elapsed_us = max(to_micros(now) - to_micros(period_start), MIN_PACE_WINDOW_US)
    pace = spent * DAY_US // elapsed_us
    used_up = remaining <= 0
    runs_out_at: datetime | None = None
    if used_up:
        runs_out_at = now
    elif spent > 0:
        at = now + timedelta(microseconds=remaining * elapsed_us // spent)
        runs_out_at = at if at < resets_at else None
    return Forecast(spent, max(0, remaining), pace, runs_out_at, resets_at, used_up)


def _days(start: datetime, end: datetime, zone: ZoneInfo) -> list[date]:
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


async def daily_spend(
    ledger: Ledger,
    *,
    guild_id: int,
    user_id: int | None,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> list[DaySpend]:
    """Captured spend per calendar day in [start, end): the member's, or (None) the server's."""
    days = _days(start, end, zone)
    windows = [
        (max(start, _midnight(day, zone)), min(end, _midnight(day + timedelta(days=1), zone)))
        for day in days
    ]
    amounts = await ledger.spend_by_window(guild_id, user_id, windows)
    return [DaySpend(day, amount) for day, amount in zip(days, amounts, strict=True)]


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """When `day` begins in `zone` (in a DST gap, zoneinfo's first instant of that day)."""
    return datetime.combine(day, time(0), tzinfo=zone)


async def outlook(
    ledger: Ledger,
    budget: BudgetConfig,
    *,
    guild_id: int,
    user_id: int | None,
    spent: Micros,
    remaining: Micros,
    now: datetime,
) -> Outlook:
    """The forecast and daily spend of the current period, for a member or (None) the server."""
    period = PeriodRule(budget.period, budget.zone).period_at(now)
    days = await daily_spend(
        ledger,
        guild_id=guild_id,
        user_id=user_id,
        start=period.start,
        end=period.end,
        zone=budget.zone,
    )
    ahead = forecast(
        spent=spent,
        remaining=remaining,
        period_start=period.start,
        resets_at=period.end,
        now=now,
    )
    return Outlook(ahead, days, now.astimezone(budget.zone).date())


__all__ = ["DaySpend", "Forecast", "Outlook", "daily_spend", "forecast", "outlook"]
