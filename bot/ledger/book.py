"""The ledger's book: what a balance is, which cached rows a move touches, and the pieces
both engines' money steps share (a hold made twice, a settlement repeated).

`bot.ledger.holds` (SQLite, the reference) and `bot.ledger.pg_money` (PostgreSQL, server-side
functions) build on this module; the ledger picks one of them once, when it is built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from bot.db.store import Conn
from bot.db.times import from_micros
from bot.ledger.errors import LedgerError
from bot.ledger.models import Hold, Outcome, Settlement, SettlementConflict
from bot.ledger.periods import Period, PeriodRule
from bot.settings import BudgetConfig

log = logging.getLogger("bot.ledger")

GUILD_ROW = 0
"""`totals.user_id` of a guild's own row (Discord ids are never 0)."""

BOT_ROW = (0, 0)
"""`totals` (guild_id, user_id) of the whole bot's row, kept while a bot-wide cap is set."""

Key = tuple[int, int]


@dataclass(frozen=True)
class Balance:
    """Spent and held in one period, for one member, one guild or the whole bot."""

    spent: int
    held: int

    @property
    def used(self) -> int:
        """Spent plus held."""
        return self.spent + self.held


@dataclass(frozen=True)
class Book:
    """The rules the cache follows: the period rule, and whether the bot's row is kept."""

    rule: PeriodRule
    bot_cap: int | None

    @classmethod
    def of(cls, rule: PeriodRule, budget: BudgetConfig) -> Book:
        """The book of a configured budget."""
        return cls(rule, budget.default_bot_cap)

    @property
    def key(self) -> str:
        """What `ledger_meta.totals_rule` says when the cache follows this book."""
        return self.rule.key + ("+bot" if self.bot_cap is not None else "")

    def keys(self, guild_id: int, user_id: int) -> list[Key]:
        """The totals rows a move of this member touches, in lock order."""
        keys = [(guild_id, GUILD_ROW), (guild_id, user_id)]
        return [BOT_ROW, *keys] if self.bot_cap is not None else keys


# Spend counts in the period of its hold (entries.period_at = holds.created_at), so the sums
# walk `holds_member` and look each settled hold's entry up by its key.
_DERIVE = """
    SELECT coalesce(sum(CASE WHEN h.settled IS NULL THEN 0 ELSE e.amount END), 0),
           coalesce(sum(CASE WHEN h.settled IS NULL THEN h.amount ELSE 0 END), 0)
      FROM holds h {index} LEFT JOIN entries e ON e.job_id = h.job_id
     WHERE {where} h.created_at >= :start AND h.created_at < :end"""
_DERIVE_MEMBER = _DERIVE.format(
    index="INDEXED BY holds_member", where="h.guild_id = :guild AND h.user_id = :user AND"
)
_DERIVE_GUILD = _DERIVE.format(index="INDEXED BY holds_member", where="h.guild_id = :guild AND")
_DERIVE_BOT = _DERIVE.format(index="", where="")


async def derive(conn: Conn, period: Period, guild_id: int, user_id: int) -> Balance:
    """Add up the period's entries and open holds (user 0: the guild; guild 0: the bot)."""
    if guild_id == BOT_ROW[0]:
        query = _DERIVE_BOT
    else:
        query = _DERIVE_GUILD if user_id == GUILD_ROW else _DERIVE_MEMBER
    args = {"guild": guild_id, "user": user_id, "start": period.start_us, "end": period.end_us}
    row = await conn.fetchone(query, args)
    assert row is not None
    return Balance(int(row[0]), int(row[1]))


async def balance(conn: Conn, period: Period, guild_id: int, user_id: int) -> Balance:
    """The cached balance (user_id 0: the guild), or the derived one if none is cached."""
    row = await conn.fetchone(
        "SELECT spent, held FROM totals WHERE period_id = ? AND guild_id = ? AND user_id = ?",
        (period.id, guild_id, user_id),
    )
    return await derive(conn, period, guild_id, user_id) if row is None else Balance(*row)


def outcome_of(kind: str) -> Outcome:
    """The settlement outcome an entry's kind stands for."""
    return "captured" if kind == "capture" else "released"


async def existing_hold(conn: Conn, job_id: str, guild_id: int, user_id: int, amount: int) -> Hold:
    """The hold a job already has (a repeated reserve), refused if its figures differ."""
    row = await conn.fetchone(
        "SELECT guild_id, user_id, amount, expires_at, settled FROM holds WHERE job_id = ?",
        (job_id,),
    )
    assert row is not None
    held_guild, held_user, held_amount, expires_us, settled = row
    if (held_guild, held_user, held_amount) != (guild_id, user_id, amount):
        raise LedgerError(
            f"job {job_id} already holds {held_amount} for user {held_user} in guild "
            f"{held_guild}; a retry must repeat the same figures"
        )
    if settled is not None:
        raise SettlementConflict(f"job {job_id} was already {settled}; it cannot hold again")
    return Hold(job_id, user_id, guild_id, amount, from_micros(expires_us))


def repeated_settlement(
    job_id: str,
    wanted: str,
    amount: int | None,
    kind: str,
    spent_before: int,
    quoted_before: int,
    reason_before: str | None,
) -> Settlement:
    """A second settle of a settled job: the first outcome again, or refused if it differs."""
    first = Settlement(job_id, outcome_of(kind), spent_before, quoted_before, reason_before)
    if kind != wanted:
        log.error("refused to %s job %s: it was already %s", wanted, job_id, first.outcome)
        raise SettlementConflict(
            f"job {job_id} was already {first.outcome}; it cannot be {wanted}d now"
        )
    if wanted == "capture" and amount is not None and amount != spent_before:
        log.warning(
            "job %s captured again with %d; keeping the first capture of %d",
            job_id,
            amount,
            spent_before,
        )
    return first


Reserve = Callable[..., Coroutine[Any, Any, Hold]]
"""`reserve(conn, budget, book, *, job_id, user_id, guild_id, role_ids, amount, now_us)`."""
Settle = Callable[..., Coroutine[Any, Any, Settlement]]
"""`settle(conn, book, *, job_id, capture, amount, reason, now_us)`."""


@dataclass(frozen=True)
class MoneySteps:
    """The reserve and settle steps of one engine (same arguments, same outcomes)."""

    reserve: Reserve
    settle: Settle
