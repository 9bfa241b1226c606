"""The poll schedule: first poll near the expected finish, then every interval, never late."""

from __future__ import annotations

from bot.atlas import PollSchedule, expected_seconds
from bot.settings import Settings


def test_first_poll_is_one_interval_before_the_expected_finish() -> None:
    schedule = PollSchedule(expected_seconds=60, interval_seconds=3, total_timeout_seconds=600)
    assert schedule.next_delay(0.5, 0) == 56.5
    assert schedule.next_delay(100, 0) == 0  # restarted late: poll at once
    assert schedule.next_delay(57, 1) == 3


def test_never_past_the_total_timeout() -> None:
    schedule = PollSchedule(expected_seconds=60, interval_seconds=3, total_timeout_seconds=10)
    assert schedule.next_delay(0, 0) == 10
    assert schedule.next_delay(9, 3) == 1
    assert schedule.next_delay(12, 3) == 0


def test_schedule_for_a_job_scales_with_duration_and_resolution(settings: Settings) -> None:
    spec = settings.catalogue.get("google/gemini-omni-flash/text-to-video-developer")
    base = expected_seconds(spec, resolution="1080p", duration=8)
    assert base == spec.expected_seconds
    assert expected_seconds(spec, resolution="4k", duration=8) > base
    assert expected_seconds(spec, resolution="720p", duration=4) < base
    schedule = PollSchedule.for_job(spec, resolution="1080p", duration=8, polling=settings.polling)
    assert schedule.expected_seconds == base
    assert schedule.interval_seconds == settings.polling.interval_seconds
    assert schedule.total_timeout_seconds == settings.polling.total_timeout_seconds
    assert schedule.not_registered_grace_seconds == settings.polling.not_registered_grace_seconds
