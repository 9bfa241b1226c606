"""Budget periods follow the calendar in the configured time zone, DST included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.db.times import from_micros, to_micros
from bot.ledger.periods import PeriodRule


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "zone", "at", "start", "end"),
    [
        ("month", "UTC", _utc(2026, 2, 14, 9), _utc(2026, 2, 1), _utc(2026, 3, 1)),
        ("month", "UTC", _utc(2026, 12, 31, 23, 59, 59), _utc(2026, 12, 1), _utc(2027, 1, 1)),
        # Paris is UTC+1 in winter: the local month starts at 23:00 UTC the day before.
        (
            "month",
            "Europe/Paris",
            _utc(2026, 1, 31, 23, 30),
            _utc(2026, 1, 31, 23),
            _utc(2026, 2, 28, 23),
        ),
        ("week", "UTC", _utc(2026, 3, 12, 8), _utc(2026, 3, 9), _utc(2026, 3, 16)),  # Monday
        ("day", "UTC", _utc(2026, 3, 12, 8), _utc(2026, 3, 12), _utc(2026, 3, 13)),
        # New York springs forward on 2026-03-08: that local day lasts 23 hours.
        ("day", "America/New_York", _utc(2026, 3, 8, 12), _utc(2026, 3, 8, 5), _utc(2026, 3, 9, 4)),
        # ... and falls back on 2026-11-01: 25 hours.
        (
            "day",
            "America/New_York",
            _utc(2026, 11, 1, 12),
            _utc(2026, 11, 1, 4),
            _utc(2026, 11, 2, 5),
        ),
        (
            "day",
            "Asia/Kolkata",
            _utc(2026, 5, 1, 18, 29),
            _utc(2026, 4, 30, 18, 30),
            _utc(2026, 5, 1, 18, 30),
        ),
    ],
)
def test_periods_follow_local_calendar_boundaries(
    kind: str, zone: str, at: datetime, start: datetime, end: datetime
) -> None:
    period = PeriodRule(kind, ZoneInfo(zone)).period_at(at)  # type: ignore[arg-type]

    assert (period.start, period.end) == (start, end)


def test_the_last_microsecond_belongs_to_the_old_period_and_the_next_starts_anew() -> None:
    rule = PeriodRule("month", ZoneInfo("UTC"))
    boundary = _utc(2026, 4, 1)

    before = rule.period_at(boundary - timedelta(microseconds=1))
    after = rule.period_at(boundary)

    assert before.end == boundary == after.start
    assert before.id != after.id
    assert rule.period_at(boundary - timedelta(days=3)) == before  # the cache answers right


def test_period_ids_name_the_rule_so_a_changed_rule_never_reads_old_totals() -> None:
    at = _utc(2026, 3, 2)
    ids = {
        PeriodRule("month", ZoneInfo("UTC")).period_at(at).id,
        PeriodRule("week", ZoneInfo("UTC")).period_at(at).id,
        PeriodRule("month", ZoneInfo("Europe/Paris")).period_at(at).id,
    }
    assert len(ids) == 3


def test_stored_times_are_exact_microseconds_and_naive_times_are_refused() -> None:
    at = datetime(2026, 3, 10, 12, 0, 0, 123_456, tzinfo=UTC)

    assert from_micros(to_micros(at)) == at
    assert to_micros(at.astimezone(ZoneInfo("Asia/Tokyo"))) == to_micros(at)
    with pytest.raises(ValueError, match="time zone"):
        to_micros(datetime(2026, 3, 10))
