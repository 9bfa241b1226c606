"""Amounts and dates as admins type them.

Kept out of the extension modules: discord.py loads an extension as a fresh module object, so
an exception class defined there would not be the one the error handler imported.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.money import Micros, usd

CLEAR_WORDS = frozenset({"default", "none", "reset", "clear"})


class BadAmount(ValueError):
    """An admin typed something that is not a USD amount or date (the error handler answers)."""


def parse_amount(text: str, *, allow_clear: bool) -> Micros | None:
    """ "2.50" -> 2_500_000; "default" -> None (back to the default) where allowed."""
    cleaned = text.strip().removeprefix("$").removeprefix("USD").strip()
    if allow_clear and cleaned.lower() in CLEAR_WORDS:
        return None
    try:
        amount = usd(cleaned)
    except ValueError:
        raise BadAmount(text) from None
    if amount < 0:
        raise BadAmount(text)
    return amount


def parse_day(text: str | None, fallback: datetime) -> datetime:
    """An ISO date ("2026-11-01") as midnight UTC, or `fallback` when not given."""
    if not text:
        return fallback
    return datetime.fromisoformat(text.strip()).replace(tzinfo=UTC)
