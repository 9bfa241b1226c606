"""Learned generation times: what the model learns from finished jobs, the poll schedule it
gives a new job, and what survives a restart in the database (on both engines)."""

from __future__ import annotations

import logging
import math
import random

import pytest

from bot.atlas import PollSchedule, Prediction
from bot.jobs.eta import (
    SCOUTS,
    Eta,
    EtaModel,
    EtaStats,
    EtaTuning,
    LearnedSchedule,
    generation_seconds,
)
from bot.settings import PollingConfig
from tests.engines import Target, peek, target

__all__ = ["target"]

GEMINI = "google/gemini-omni-flash/text-to-video-developer"
SEEDANCE = "bytedance/seedance-2.0/text-to-video"
POLLING = PollingConfig(
    interval_seconds=3, total_timeout_seconds=600, not_registered_grace_seconds=30
)


def polls_until(schedule: PollSchedule, finish: float) -> tuple[int, float]:
    """(polls made, seconds from `finish` to the poll that saw it) under `schedule`."""
    elapsed, polls = 0.0, 0
    while True:
        elapsed += schedule.next_delay(elapsed, polls)
        polls += 1
        if elapsed >= finish:
            return polls, elapsed - finish


KEY = (GEMINI, "1080p", 8)
HOUR = 3600.0


def learned(
    model: EtaModel, times: list[float], key: tuple[str, str, int] = KEY, *, at: float = 0.0
) -> EtaModel:
    """`model` after jobs of `key` took `times`, all learned at `at`."""
    for seconds in times:
        model.observe(*key, seconds, now=at)
    return model


def first_poll(
    model: EtaModel,
    key: tuple[str, str, int] = KEY,
    *,
    now: float,
    polling: PollingConfig = POLLING,
) -> float:
    return model.schedule(*key, default=60, polling=polling, now=now).first_poll_seconds


def tight(seconds: float) -> PollingConfig:
    """The test's polling config with `[polling] tight_interval_seconds` set."""
    return POLLING.model_copy(update={"tight_interval_seconds": seconds})


# -- the model -------------------------------------------------------------------------------


def test_a_combination_never_seen_uses_the_default_with_a_wide_spread() -> None:
    model = EtaModel()
    assert model.expected(*KEY, default=60, now=0) == 60
    schedule = model.schedule(*KEY, default=60, polling=POLLING, now=0)
    # Spread 25 % of 60 s: first poll 2 spreads early, plus one tight interval.
    assert schedule.first_poll_seconds == pytest.approx(60 - 2 * 15 + 2.5)
    assert schedule.tight_interval_seconds == 2.5
    assert schedule.tight_until_seconds == pytest.approx(60 + 3 * 15)
    assert (schedule.total_timeout_seconds, schedule.not_registered_grace_seconds) == (600, 30)


def test_first_observations_are_averaged_and_the_spread_stays_wide_until_three() -> None:
    model = learned(EtaModel(), [50, 70])
    stats = model.stats[KEY]
    assert (stats.count, stats.mean) == (2, 60)
    assert stats.var == pytest.approx(100)  # population variance of 50 and 70
    tuning = model.tuning
    assert stats.spread(tuning) == pytest.approx(15)  # still the prior: 25 % of 60
    learned(model, [60])
    assert model.stats[KEY].spread(tuning) == pytest.approx(math.sqrt(200 / 3))


def test_it_learns_each_combination_apart() -> None:
    rng = random.Random(7)
    model = learned(EtaModel(), [rng.uniform(48, 72) for _ in range(50)])
    learned(model, [rng.uniform(20, 30) for _ in range(50)], (GEMINI, "720p", 4))
    assert model.expected(*KEY, default=10, now=60) == pytest.approx(60, abs=2)
    assert model.expected(GEMINI, "720p", 4, default=10, now=60) == pytest.approx(25, abs=1)
    assert model.expected(SEEDANCE, "720p", 5, default=42, now=60) == 42
    spread = model.stats[KEY].spread(model.tuning)
    assert spread == pytest.approx(24 / math.sqrt(12), rel=0.2)  # a uniform's deviation


def test_the_end_of_a_burst_does_not_push_the_next_first_poll_late() -> None:
    """1,000 jobs submitted within 10 s finish short ones first and long ones last: the
    last dozen to finish are the longest, yet the next job's first poll stays early enough."""
    rng = random.Random(5)
    submits = [(rng.uniform(0, 10), rng.uniform(24, 36)) for _ in range(1_000)]
    model = EtaModel()
    for submitted, took in sorted(submits, key=lambda job: job[0] + job[1]):
        model.observe(*KEY, took, now=submitted + took)
    assert model.recent[KEY].mean > 32, "the short memory saw only the burst's long tail"
    stats = model.stats[KEY]
    assert stats.mean == pytest.approx(30, abs=0.5)
    assert stats.spread(model.tuning) == pytest.approx(12 / math.sqrt(12), rel=0.1)
    assert first_poll(model, now=50, polling=tight(1.25)) <= 24 + 1.25


def test_a_model_that_got_faster_moves_the_first_poll_forward_within_a_dozen_jobs() -> None:
    rng = random.Random(11)
    model = learned(EtaModel(), [rng.uniform(57, 63) for _ in range(300)])
    assert first_poll(model, now=300) > 55
    learned(model, [rng.uniform(38, 42) for _ in range(12)], at=300)
    assert model.expected(*KEY, default=1, now=312) > 55, "the long memory moves slowly"
    assert first_poll(model, now=312) <= 38 + 2.5


def test_old_knowledge_fades_back_to_a_wide_spread() -> None:
    model = learned(EtaModel(), [59.0, 60.0, 61.0] * 7)
    assert model.stats[KEY].count == 21
    assert first_poll(model, now=0) == pytest.approx(60)  # steady: right at the mean
    later = model.stats[KEY].aged(4 * HOUR, model.tuning)
    assert later.count == pytest.approx(21 / 16)  # four half-lives
    assert later.spread(model.tuning) == pytest.approx(15)  # fewer than 3 jobs' worth: prior
    model.recent.clear()  # as after a restart: only the stored long memory is left
    assert first_poll(model, now=4 * HOUR) == pytest.approx(60 - 2 * 15 + 2.5)


def test_an_outlier_moves_the_mean_only_a_little() -> None:
    model = learned(EtaModel(), [58.0, 60.0, 62.0] * 10)
    before = model.stats[KEY]
    model.observe(*KEY, 3_600, now=0)  # e.g. a job timed across an hour-long outage
    after = model.stats[KEY]
    tuning = model.tuning
    spreads = tuning.outlier_spreads * before.spread(tuning)
    reach = max(spreads, tuning.outlier_fraction * before.mean)
    assert reach == pytest.approx(30, abs=0.1)  # half the mean: wider than 4 spreads here
    assert after.mean == pytest.approx(before.mean + reach / 31)
    assert after.mean < 62


@pytest.mark.parametrize("seconds", [0.0, -1.0, math.nan, math.inf])
def test_impossible_times_teach_nothing(seconds: float) -> None:
    model = EtaModel()
    assert model.observe(*KEY, seconds, now=0) is None
    assert (model.stats, model.recent) == ({}, {})


def test_the_updates_are_the_incremental_weighted_mean_and_variance() -> None:
    tuning = EtaTuning(alpha=0.5, min_samples=1, half_life_seconds=HOUR)
    # By rank (the short memory): weight max(alpha, 1/5) = 0.5; diff 4, step 2.
    assert EtaStats(4, 10.0, 4.0).updated(14.0, tuning) == EtaStats(5, 12.0, 6.0)
    # By age (the long memory): 6 jobs an hour ago weigh 3, so the new one weighs 1/4.
    aged = EtaStats(6, 10.0, 4.0, at=0.0).updated(14.0, tuning, now=HOUR)
    assert aged == EtaStats(4, 11.0, 6.0, at=HOUR)


def done(created_at: str | None, completed_at: str | None) -> Prediction:
    return Prediction.model_validate(
        {"id": "p1", "status": "completed", "created_at": created_at, "completed_at": completed_at}
    )


@pytest.mark.parametrize(
    ("created", "completed", "measured", "learned_seconds"),
    [
        ("2026-03-10T12:00:00+00:00", "2026-03-10T12:00:58.5+00:00", 61.0, 58.5),
        ("2026-03-10T12:00:00Z", "2026-03-10T12:01:00.4Z", 60.0, 60.4),  # rounding: believed
        (None, "2026-03-10T12:00:58+00:00", 61.0, 61.0),  # missing: ours
        ("yesterday", "today", 61.0, 61.0),  # unreadable: ours
        ("2026-03-10T12:00:00", "2026-03-10T12:00:58+00:00", 61.0, 61.0),  # naive vs aware
        ("2026-03-10T12:00:00+00:00", "2026-03-10T12:00:00+00:00", 61.0, 61.0),  # zero
        ("2026-03-10T12:00:00+00:00", "2026-03-10T12:05:00+00:00", 61.0, 61.0),  # > ours
    ],
)
def test_atlas_timing_is_learned_when_it_is_believable(
    created: str | None, completed: str | None, measured: float, learned_seconds: float
) -> None:
    assert generation_seconds(done(created, completed), measured) == pytest.approx(learned_seconds)


# -- the schedule ------------------------------------------------------------------------------


def test_the_schedule_polls_once_early_then_tightly_then_at_the_configured_interval() -> None:
    schedule = LearnedSchedule(
        interval_seconds=3,
        total_timeout_seconds=100,
        first_poll_seconds=50,
        tight_interval_seconds=1,
        tight_until_seconds=70,
    )
    assert schedule.next_delay(0.2, 0) == pytest.approx(49.8)
    assert schedule.next_delay(60, 0) == 0  # already late for the first poll
    assert schedule.next_delay(55, 3) == 1
    assert schedule.next_delay(70.5, 9) == 3
    assert schedule.next_delay(99, 20) == 1  # never past the total timeout
    assert schedule.next_delay(100, 21) == 0


def test_with_webhooks_the_first_poll_waits_for_the_latest_expected_end() -> None:
    schedule = LearnedSchedule(
        interval_seconds=3,
        total_timeout_seconds=600,
        first_poll_seconds=50,
        tight_interval_seconds=1,
        tight_until_seconds=70,
    ).safety_net(30)
    assert schedule.next_delay(0.2, 0) == pytest.approx(69.8), "no poll before 70 s"
    assert schedule.next_delay(70, 1) == 30, "then only a slow safety net"
    assert schedule.next_delay(590, 9) == 10, "never past the total timeout"


def test_tight_polling_is_never_slower_than_the_configured_interval() -> None:
    fast = PollingConfig(
        interval_seconds=0.02, total_timeout_seconds=5, not_registered_grace_seconds=2
    )
    schedule = EtaModel().schedule(*KEY, default=0.05, polling=fast, now=0)
    assert schedule.tight_interval_seconds == 0.02
    assert schedule.interval_seconds == 0.02
    assert 0 < schedule.first_poll_seconds <= 0.05


def test_the_first_poll_stays_between_a_quarter_of_the_mean_and_the_mean() -> None:
    wild = learned(EtaModel(), [10.0, 110.0] * 5)  # spread 50: 2 spreads below is under 0
    assert first_poll(wild, now=10) == pytest.approx(15)
    steady = learned(EtaModel(), [60.0] * 5)
    assert first_poll(steady, now=5, polling=tight(30)) == pytest.approx(60)


def test_learned_polling_needs_a_third_of_the_calls_of_a_3_second_loop() -> None:
    """60 s +- 20 % jobs: after learning, ~0.3x the polls of the tutorial's loop, and the
    member never waits more than one tight interval after the job finished."""
    rng = random.Random(3)
    model = learned(EtaModel(), [rng.uniform(48, 72) for _ in range(30)])
    finishes = [rng.uniform(48, 72) for _ in range(2_000)]
    learned_polls, waits = 0, []
    for n, finish in enumerate(finishes):
        schedule = model.schedule(*KEY, default=60, polling=POLLING, now=30 + n)
        polls, wait = polls_until(schedule, finish)
        model.observe(*KEY, finish, now=30 + n)
        learned_polls += polls
        waits.append(wait)
    loop_polls = sum(math.floor(finish / 3) + 1 for finish in finishes)  # poll, sleep 3, ...
    calls, loop_calls = learned_polls + len(finishes), loop_polls + len(finishes)  # + submits
    assert calls / loop_calls <= 0.35
    waits.sort()
    assert waits[len(waits) // 2] <= 1.5
    assert waits[-1] <= 2.5 + 1e-9


# -- persistence (on both engines: the `target` fixture) ---------------------------------------


async def test_what_was_learned_survives_a_restart_and_ages(target: Target) -> None:
    t0 = 1_700_000_000.0
    db = await target.open()
    eta = Eta(db, wall_clock=lambda: t0)
    for seconds in (50.0, 70.0, 60.0):
        await eta.observe(GEMINI, "1080p", 8, seconds)
    await eta.observe(GEMINI, "720p", 4, 25.0)
    rows = await peek(
        db,
        "SELECT model, resolution, duration, count, mean, updated_at FROM eta_stats"
        " ORDER BY resolution",
    )
    assert rows == [
        (GEMINI, "1080p", 8, 3, pytest.approx(60), 1_700_000_000_000_000),
        (GEMINI, "720p", 4, 1, 25.0, 1_700_000_000_000_000),
    ]
    await db.close()

    db = await target.open()
    try:
        again = Eta(db, wall_clock=lambda: t0 + HOUR)  # restarted an hour later
        assert await again.expected(GEMINI, "1080p", 8, default=10) == pytest.approx(60)
        assert await again.expected(SEEDANCE, "1080p", 8, default=10) == 10
        schedule = await again.schedule(GEMINI, "720p", 4, default=10, polling=POLLING)
        assert schedule.expected_seconds == 25
        await again.observe(GEMINI, "720p", 4, 35.0)
        # The job of an hour ago weighs 1/2, the new one 1: (25 / 2 + 35) / 1.5.
        stats = (await again.load())[(GEMINI, "720p", 4)]
        assert (stats.count, stats.mean, stats.at) == (1.5, pytest.approx(95 / 3), t0 + HOUR)
        stored = await peek(db, "SELECT count FROM eta_stats WHERE resolution = '720p'")
        assert stored == [(2,)], "stored as a whole number of jobs"
    finally:
        await db.close()


async def test_a_database_problem_never_fails_the_job(
    target: Target, caplog: pytest.LogCaptureFixture
) -> None:
    db = await target.open()
    eta = Eta(db)
    await eta.load()
    await db.close()
    with caplog.at_level(logging.WARNING, logger="bot.jobs.eta"):
        await eta.observe(GEMINI, "1080p", 8, 61.0)  # the write fails: logged, not raised
    assert "could not store" in caplog.text
    assert await eta.expected(GEMINI, "1080p", 8, default=10) == 61.0  # memory still learned

    closed = Eta(db)
    with caplog.at_level(logging.WARNING, logger="bot.jobs.eta"):
        assert await closed.expected(GEMINI, "1080p", 8, default=10) == 10
    assert "unavailable" in caplog.text


def test_in_a_burst_of_a_kind_never_seen_only_the_scouts_poll_from_the_guess() -> None:
    model = EtaModel()
    assert [model.scout(KEY, 60, 0.0) for _ in range(SCOUTS + 3)] == [True] * SCOUTS + [False] * 3
    scouting = model.schedule(*KEY, default=60, polling=POLLING, now=0.0, scout=True)
    waiting = model.schedule(*KEY, default=60, polling=POLLING, now=0.0, scout=False)
    assert scouting.first_poll_seconds < 60
    assert not scouting.waits_for_scouts
    assert waiting.waits_for_scouts
    assert waiting.first_poll_seconds == waiting.tight_until_seconds == pytest.approx(105)

    learned(model, [50.0])  # the first scout's job ended after 50 s
    taught = model.schedule(*KEY, default=60, polling=POLLING, now=0.0, scout=False)
    assert not taught.waits_for_scouts
    assert taught.first_poll_seconds < 50, "the others now poll around what the scout saw"
    assert model.scout(KEY, 60, 0.0) is False, "a kind seen needs no scouts"


def test_a_scout_whose_job_failed_frees_its_place_when_the_guess_window_ends() -> None:
    model = EtaModel()
    assert all(model.scout(KEY, 60, 0.0) for _ in range(SCOUTS))
    assert model.scout(KEY, 60, 100.0) is False, "within 60 s + 3 spreads of 25 %"
    assert model.scout(KEY, 60, 106.0) is True


async def test_a_job_waiting_for_the_scouts_plans_again_and_polls_once_they_learned(
    target: Target,
) -> None:
    db = await target.open()
    try:
        eta = Eta(db, wall_clock=lambda: 1_700_000_000.0)
        scouts = [
            await eta.live_schedule(GEMINI, "1080p", 8, default=60, polling=POLLING)
            for _ in range(SCOUTS)
        ]
        waiting = await eta.live_schedule(GEMINI, "1080p", 8, default=60, polling=POLLING)
        assert all(s.recheck_seconds() is None for s in scouts)
        assert waiting.recheck_seconds() == pytest.approx(2.5), "plans again while it waits"
        assert waiting.next_delay(40, 0) == pytest.approx(65), "no poll before 105 s"
        await eta.observe(GEMINI, "1080p", 8, 50.0)  # a scout's job ended
        assert waiting.next_delay(52, 0) == 0, "due at once"
        assert waiting.recheck_seconds() is None
        webhooks = await eta.live_schedule(
            SEEDANCE, "720p", 5, default=60, polling=POLLING, safety_net_seconds=30
        )
        assert webhooks.recheck_seconds() is None, "with webhooks nobody polls early anyway"
    finally:
        await db.close()


async def test_a_running_job_polls_from_what_jobs_finished_meanwhile_taught(
    target: Target,
) -> None:
    db = await target.open()
    try:
        eta = Eta(db, wall_clock=lambda: 1_700_000_000.0)
        # A kind never seen, guessed at 60 s; it really takes 120 s.
        schedule = await eta.live_schedule(GEMINI, "1080p", 8, default=60, polling=POLLING)
        fixed = await eta.schedule(GEMINI, "1080p", 8, default=60, polling=POLLING)
        first = schedule.next_delay(0, 0)
        assert first < 60, "the guess: a first poll before 60 s"
        assert schedule.next_delay(first, 1) == pytest.approx(2.5), "then tightly, from the guess"
        for seconds in (118.0, 120.0, 122.0):  # jobs of its kind finish meanwhile
            await eta.observe(GEMINI, "1080p", 8, seconds)
        assert schedule.next_delay(first, 1) > 50, "it now waits for the learned end"
        assert polls_until(schedule, 120)[0] < polls_until(fixed, 120)[0] / 4
    finally:
        await db.close()
