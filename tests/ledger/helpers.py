"""Shared pieces for ledger tests: an injectable clock, budgets, and raw peeks at the file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.settings import BudgetConfig

USD = 1_000_000
GUILD = 900_000_000_000_000_001
ALICE = 100_000_000_000_000_001
BOB = 100_000_000_000_000_002
CAROL = 100_000_000_000_000_003
ADMIN = 100_000_000_000_000_099
ROLE_VIP = 200_000_000_000_000_001
ROLE_GUEST = 200_000_000_000_000_002


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def budget(**overrides: Any) -> BudgetConfig:
    """A budget config: USD 5 per member, USD 50 per guild, monthly in UTC, unless told."""
    values: dict[str, Any] = {
        "default_user_limit_usd": "5.00",
        "default_guild_cap_usd": "50.00",
        "period": "month",
        "timezone": "UTC",
    }
    values.update(overrides)
    return BudgetConfig.model_validate(values)


def rows(path: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read the file with a separate plain connection, as an auditor would."""
    with sqlite3.connect(path) as conn:
        return conn.execute(query, args).fetchall()


def read_bytes(path: Path) -> bytes:
    """The file's bytes (a sync helper, so async tests do not block on pathlib)."""
    return path.read_bytes()


def write_bytes(path: Path, data: bytes) -> None:
    """Replace the file's bytes, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
