"""Stored times: integer microseconds since the Unix epoch, UTC (exact, compact, ordered).

Every table keeps its times this way; public datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the default clock)."""
    return datetime.now(UTC)


def to_micros(at: datetime) -> int:
    """A timezone-aware datetime as integer microseconds since the epoch."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at!r} has no time zone: stored times are aware datetimes")
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """The UTC datetime of a stored time."""
    return _EPOCH + timedelta(microseconds=micros)
