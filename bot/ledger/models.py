"""The ledger's values and errors: holds, settlements, summaries, refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.ledger.errors import LedgerError
from bot.money import format_usd

LimitKind = Literal[
    "user", "role", "guild", "bot", "not_allowed", "user_concurrency", "guild_concurrency"
]
Outcome = Literal["captured", "released"]


@dataclass(frozen=True)
class Hold:
    """Money set aside for one job until it is captured or released."""

    job_id: str
    user_id: int
    guild_id: int
    amount: int
    expires_at: datetime


@dataclass(frozen=True)
class Settlement:
    """How a hold ended: `amount` is what was spent (0 when released), `quoted` what was held."""

    job_id: str
    outcome: Outcome
    amount: int
    quoted: int
    reason: str | None


@dataclass(frozen=True)
class JobActivity:
    """One of a member's recent jobs: `amount` is held, spent, or 0 once released."""

    job_id: str
    amount: int
    status: Literal["held", "captured", "released"]
    at: datetime


@dataclass(frozen=True)
class BudgetSummary:
    """A member's budget this period. `remaining` = limit + granted - spent - held (>= 0),
    before the server's cap."""

    spent: int
    held: int
    limit: int
    granted: int
    remaining: int
    resets_at: datetime
    period_start: datetime
    recent: list[JobActivity]


@dataclass(frozen=True)
class GuildReport:
    """A server's spending this period and its biggest spenders, as (user_id, spent)."""

    spent: int
    held: int
    cap: int
    remaining: int
    resets_at: datetime
    top_spenders: list[tuple[int, int]]


class BudgetExceeded(LedgerError):
    """A limit refuses the job; nothing was recorded.

    `limit` names it. For money limits `needed` and `remaining` are micro-dollars and
    `resets_at` is when the period ends; for the concurrency limits they count jobs and
    `resets_at` is None (a slot frees when a running job ends), as it is for "not_allowed".
    """

    def __init__(
        self, limit: LimitKind, *, needed: int, remaining: int, resets_at: datetime | None
    ) -> None:
        self.limit: LimitKind = limit
        self.needed = needed
        self.remaining = remaining
        self.resets_at = resets_at
        if limit in ("user_concurrency", "guild_concurrency"):
            text = f"{limit} limit reached: {remaining} more job(s) may run at once"
        elif limit == "not_allowed":
            text = "not allowed: the limit that applies is 0"
        else:
            text = (
                f"{limit} limit: needs {format_usd(needed)}, {format_usd(remaining)} left"
                f" until {resets_at:%Y-%m-%d %H:%M} UTC"
            )
        super().__init__(text)


class SettlementConflict(LedgerError):
    """A capture after a release, or the reverse (or a pin after a release): refused."""


class HoldNotFound(LedgerError):
    """No hold was ever made for this job id."""
