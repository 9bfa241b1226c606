"""When to poll a prediction: first near its expected finish, then at a steady interval."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.catalogue import ModelSpec
    from bot.settings import PollingConfig

# A model's `expected_seconds` is read as the time for an 8 s video at 1080p; other
# resolutions and durations scale it. Estimates only: they decide when polling starts.
_REFERENCE_DURATION = 8
_RESOLUTION_FACTOR = {"480p": 0.6, "720p": 0.75, "1080p": 1.0, "2k": 1.5, "4k": 2.0}


def expected_seconds(spec: ModelSpec, *, resolution: str, duration: int) -> float:
    """How long a job of this model, resolution and duration is expected to take."""
    by_duration = min(2.0, max(0.5, duration / _REFERENCE_DURATION))
    by_resolution = _RESOLUTION_FACTOR.get(resolution.lower(), 1.0)
    return spec.expected_seconds * by_duration * by_resolution


@dataclass(frozen=True)
class PollSchedule:
    """Delays between polls. `elapsed` always counts from the submit."""

    expected_seconds: float = 60.0
    interval_seconds: float = 3.0
    total_timeout_seconds: float = 600.0
    not_registered_grace_seconds: float = 30.0

    @classmethod
    def for_job(
        cls,
        spec: ModelSpec,
        *,
        resolution: str,
        duration: int,
        polling: PollingConfig | None = None,
    ) -> PollSchedule:
        """The schedule for one job, with the polling settings from config when given."""
        expected = expected_seconds(spec, resolution=resolution, duration=duration)
        if polling is None:
            return cls(expected_seconds=expected)
        return cls(
            expected_seconds=expected,
            interval_seconds=polling.interval_seconds,
            total_timeout_seconds=polling.total_timeout_seconds,
            not_registered_grace_seconds=polling.not_registered_grace_seconds,
        )

    def recheck_seconds(self) -> float | None:
        """While waiting for the next poll, plan it again this often (no Atlas call: a
        schedule that learns meanwhile may bring the poll forward); None: never."""
        return None

    def next_delay(self, elapsed: float, polls_done: int) -> float:
        """Seconds to wait before the next poll: the first lands one interval before the
        expected finish, later ones every interval; never past the total timeout."""
        remaining = self.total_timeout_seconds - elapsed
        if remaining <= 0:
            return 0.0
        if polls_done == 0:
            first_at = max(0.0, self.expected_seconds - self.interval_seconds)
            delay = max(0.0, first_at - elapsed)
        else:
            delay = self.interval_seconds
        return min(delay, remaining)
