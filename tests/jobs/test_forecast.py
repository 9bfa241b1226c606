"""The budget forecast: pace, when the money runs out, and the chart of daily spend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.exts.budget._chart import BAR, HEIGHT, PACE, PLOT, TODAY, WIDTH, spend_chart_png
from bot.jobs.forecast import DaySpend, forecast
from tests.png_reader import read_png

MARCH = datetime(2025, 3, 1, tzinfo=UTC)
APRIL = datetime(2025, 4, 1, tzinfo=UTC)


def test_the_pace_so_far_says_when_the_budget_runs_out() -> None:
    now = MARCH + timedelta(days=4)  # USD 2.00 spent in 4 days: 0.50 a day
    ahead = forecast(
        spent=2_000_000, remaining=1_000_000, period_start=MARCH, resets_at=APRIL, now=now
    )
    assert ahead.daily_pace == 500_000
    assert ahead.runs_out_at == now + timedelta(days=2)
    assert not ahead.used_up


def test_a_budget_that_lasts_past_the_reset_has_no_end_date() -> None:
    ahead = forecast(
        spent=1_000_000,
        remaining=40_000_000,
        period_start=MARCH,
        resets_at=APRIL,
        now=MARCH + timedelta(days=10),
    )
    assert ahead.runs_out_at is None
    assert ahead.daily_pace == 100_000


def test_nothing_spent_forecasts_nothing_and_a_used_up_budget_ends_now() -> None:
    now = MARCH + timedelta(days=3)
    idle = forecast(spent=0, remaining=5_000_000, period_start=MARCH, resets_at=APRIL, now=now)
    assert (idle.daily_pace, idle.runs_out_at, idle.used_up) == (0, None, False)
    gone = forecast(spent=5_000_000, remaining=0, period_start=MARCH, resets_at=APRIL, now=now)
    assert gone.used_up
    assert gone.runs_out_at == now


def test_the_first_hour_of_a_period_counts_as_a_whole_day_of_pace() -> None:
    now = MARCH + timedelta(minutes=30)
    ahead = forecast(
        spent=1_000_000, remaining=4_000_000, period_start=MARCH, resets_at=APRIL, now=now
    )
    assert ahead.daily_pace == 1_000_000, "not USD 48 a day"
    assert ahead.runs_out_at == now + timedelta(days=4)


def test_the_chart_is_a_small_png_with_one_bar_per_day_that_spent() -> None:
    days = [DaySpend(date(2025, 3, d), 0) for d in range(1, 32)]
    days[2] = DaySpend(date(2025, 3, 3), 1_000_000)
    days[4] = DaySpend(date(2025, 3, 5), 600_000)
    data = spend_chart_png(days, today=date(2025, 3, 5), budget=5_000_000)
    assert 500 < len(data) < 100_000
    assert read_png(data).width == WIDTH
    assert read_png(data).height == HEIGHT
    picture = read_png(data, PLOT)
    bars = picture.columns_with(BAR)
    today = picture.columns_with(TODAY)
    assert bars, "a bar for the 3rd"
    assert today, "a brighter one for today, the 5th"
    assert max(bars) < min(today), "the 3rd comes before the 5th"
    assert picture.columns_with(PACE), "the even-pace line"
    tall = [y for y in range(picture.height) if picture.pixel(bars[0], y) == bytes(BAR)]
    short = [y for y in range(picture.height) if picture.pixel(today[0], y) == bytes(TODAY)]
    assert len(tall) > len(short), "USD 1.00 stands taller than USD 0.60"


def test_a_single_day_period_draws_one_bar() -> None:
    picture = read_png(
        spend_chart_png([DaySpend(date(2025, 3, 5), 300_000)], today=date(2025, 3, 5), budget=None),
        PLOT,
    )
    assert picture.columns_with(TODAY)
    assert not picture.columns_with(PACE)
