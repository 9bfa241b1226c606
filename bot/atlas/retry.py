"""Which failures are worth another attempt, and how long to wait before it.

Two modes: idempotent calls (GETs, and `uploadMedia`, which bills nothing) retry on network
errors, 429 and 5xx. `generateVideo` starts a billed job, so it is retried only when the
failure proves Atlas never acted on it: the connection was never made, or Atlas refused with
429 / 503 before taking the job.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum

from bot.atlas.errors import AtlasConnectionError, AtlasError, AtlasStatusError

MAX_RETRY_AFTER_SECONDS = 60.0
"""A `Retry-After` longer than this is capped: a poll loop should not stall for minutes."""


class RetryMode(Enum):
    """How safe it is to send a request again."""

    IDEMPOTENT = "idempotent"
    SUBMIT = "submit"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter; `attempts` counts the first try."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, retry_number: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds before retry number `retry_number` (1 for the first retry)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER_SECONDS)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry_number - 1))
        return rng.uniform(0.0, ceiling)


def is_retryable(error: AtlasError, mode: RetryMode) -> bool:
    """The one place that decides whether a failed request may be sent again."""
    if isinstance(error, AtlasConnectionError):
        return mode is RetryMode.IDEMPOTENT or not error.sent_may_have_reached
    if isinstance(error, AtlasStatusError) and error.status is not None:
        if mode is RetryMode.SUBMIT:
            return error.status in (429, 503)
        return error.status == 429 or error.status >= 500
    return False


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a `Retry-After` header (delta seconds or an HTTP date), if any."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
