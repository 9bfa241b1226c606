"""The two-phase money moves, as plain functions run inside one SQLite transaction.

reserve -> (pin) -> capture | release, each keyed by the job id. `totals` caches each
member's and each guild's spent and held sums per period; a missing row is first derived from
`entries` and `holds`, then every move updates it in the same transaction as the move.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from bot.ledger.db import LedgerError
from bot.ledger.limits import LIMIT_COLUMNS, resolve, roles_json
from bot.ledger.models import (
    BudgetExceeded,
    Hold,
    HoldNotFound,
    Outcome,
    Settlement,
    SettlementConflict,
)
from bot.ledger.periods import Period, PeriodRule, from_micros
from bot.settings import BudgetConfig

log = logging.getLogger("bot.ledger")

GUILD_ROW = 0
"""`totals.user_id` of a guild's own row (Discord ids are never 0)."""


@dataclass(frozen=True)
class Balance:
    """Spent and held in one period, for one member or one guild."""

    spent: int
    held: int


# Spend counts in the period of its hold (entries.period_at = holds.created_at), so both sums
# walk `holds_member` and look each settled hold's entry up by its key.
_DERIVE_MEMBER = """
    SELECT coalesce(sum(CASE WHEN h.settled IS NULL THEN 0 ELSE e.amount END), 0),
           coalesce(sum(CASE WHEN h.settled IS NULL THEN h.amount ELSE 0 END), 0)
      FROM holds h INDEXED BY holds_member LEFT JOIN entries e ON e.job_id = h.job_id
     WHERE h.guild_id = :guild AND h.user_id = :user
       AND h.created_at >= :start AND h.created_at < :end"""
_DERIVE_GUILD = """
    SELECT coalesce(sum(CASE WHEN h.settled IS NULL THEN 0 ELSE e.amount END), 0),
           coalesce(sum(CASE WHEN h.settled IS NULL THEN h.amount ELSE 0 END), 0)
      FROM holds h INDEXED BY holds_member LEFT JOIN entries e ON e.job_id = h.job_id
     WHERE h.guild_id = :guild AND h.created_at >= :start AND h.created_at < :end"""


def derive(conn: sqlite3.Connection, period: Period, guild_id: int, user_id: int) -> Balance:
    """Add up the period's entries and open holds (user_id 0: the whole guild)."""
    query = _DERIVE_GUILD if user_id == GUILD_ROW else _DERIVE_MEMBER
    args = {"guild": guild_id, "user": user_id, "start": period.start_us, "end": period.end_us}
    spent, held = conn.execute(query, args).fetchone()
    return Balance(int(spent), int(held))


def balance(conn: sqlite3.Connection, period: Period, guild_id: int, user_id: int) -> Balance:
    """The cached balance (user_id 0: the guild), or the derived one if none is cached."""
    row = conn.execute(
        "SELECT spent, held FROM totals WHERE period_id = ? AND guild_id = ? AND user_id = ?",
        (period.id, guild_id, user_id),
    ).fetchone()
    return derive(conn, period, guild_id, user_id) if row is None else Balance(*row)


_CACHE_RULE = "(SELECT value FROM ledger_meta WHERE key = 'totals_rule')"


def claim_cache(conn: sqlite3.Connection, rule: PeriodRule, cached_rule: str | None) -> bool:
    """Make `totals` follow `rule` before writing to it; True if it was emptied to do so.

    The cache holds rows of one rule only: rows of another rule stopped being kept up to
    date when that rule stopped writing, so they go (they are derived again when needed).
    """
    if cached_rule == rule.key:
        return False
    conn.execute("DELETE FROM totals")
    conn.execute(
        "INSERT INTO ledger_meta (key, value) VALUES ('totals_rule', ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (rule.key,),
    )
    return True


def ensure_totals(
    conn: sqlite3.Connection, period: Period, guild_id: int, user_id: int
) -> tuple[Balance, Balance]:
    """The member's and the guild's cached balances, deriving any row that is missing."""
    found = {
        row[0]: Balance(row[1], row[2])
        for row in conn.execute(
            "SELECT user_id, spent, held FROM totals"
            " WHERE period_id = ? AND guild_id = ? AND user_id IN (?, 0)",
            (period.id, guild_id, user_id),
        )
    }
    for key in (user_id, GUILD_ROW):
        if key not in found:
            found[key] = derive(conn, period, guild_id, key)
            conn.execute(
                "INSERT INTO totals (period_id, guild_id, user_id, spent, held)"
                " VALUES (?, ?, ?, ?, ?)",
                (period.id, guild_id, key, found[key].spent, found[key].held),
            )
    return found[user_id], found[GUILD_ROW]


def _bump(
    conn: sqlite3.Connection, period: Period, guild_id: int, user_id: int, spent: int, held: int
) -> None:
    """Apply a move to the cached rows; a row that was missing is derived afterwards, so
    it already includes the move."""
    updated = conn.execute(
        "UPDATE totals SET spent = spent + ?, held = held + ?"
        " WHERE period_id = ? AND guild_id = ? AND user_id IN (?, 0)",
        (spent, held, period.id, guild_id, user_id),
    ).rowcount
    if updated < 2:
        ensure_totals(conn, period, guild_id, user_id)


_RESERVE_FACTS = f"""SELECT {LIMIT_COLUMNS},
    (SELECT coalesce(settled, '') FROM holds WHERE job_id = :job),
    (SELECT coalesce(sum(amount), 0) FROM grants
      WHERE guild_id = :guild AND user_id = :user AND at >= :start AND at < :end),
    (SELECT count(*) FROM holds INDEXED BY holds_open
      WHERE guild_id = :guild AND settled IS NULL),
    (SELECT count(*) FROM holds INDEXED BY holds_open
      WHERE guild_id = :guild AND user_id = :user AND settled IS NULL),
    (SELECT spent + held FROM totals
      WHERE period_id = :period AND guild_id = :guild AND user_id = :user),
    (SELECT spent + held FROM totals
      WHERE period_id = :period AND guild_id = :guild AND user_id = 0),
    {_CACHE_RULE}"""  # noqa: S608
"""Everything `reserve` decides on, in one statement (one trip into SQLite)."""


_SETTLE_FACTS = f"""
    SELECT h.guild_id, h.user_id, h.amount, h.created_at,
           e.kind, e.amount, e.quoted, e.reason, {_CACHE_RULE}
      FROM holds h LEFT JOIN entries e ON e.job_id = h.job_id
     WHERE h.job_id = ?"""  # noqa: S608
"""The hold, its settlement if any, and the cache's rule: what `settle` decides on."""


def outcome_of(kind: str) -> Outcome:
    """The settlement outcome an entry's kind stands for."""
    return "captured" if kind == "capture" else "released"


def reserve(
    conn: sqlite3.Connection,
    budget: BudgetConfig,
    rule: PeriodRule,
    *,
    job_id: str,
    user_id: int,
    guild_id: int,
    role_ids: Sequence[int],
    amount: int,
    now_us: int,
) -> Hold:
    """Check every limit and record a pending hold, or raise `BudgetExceeded` having
    recorded nothing. A second call for the same job returns its hold unchanged."""
    period = rule.period_at_micros(now_us)
    facts = conn.execute(
        _RESERVE_FACTS,
        {
            "job": job_id,
            "guild": guild_id,
            "user": user_id,
            "roles": roles_json(role_ids),
            "period": period.id,
            "start": period.start_us,
            "end": period.end_us,
        },
    ).fetchone()
    existing, credit, open_in_guild, open_mine, used_mine, used_guild, cache_rule = facts[5:]
    if existing is not None:
        return _existing_hold(conn, job_id, guild_id, user_id, amount)
    limits = resolve(facts, budget)
    if 0 in (limits.user, limits.guild_cap, limits.user_jobs, limits.guild_jobs):
        raise BudgetExceeded("not_allowed", needed=amount, remaining=0, resets_at=None)
    if claim_cache(conn, rule, cache_rule) or used_mine is None or used_guild is None:
        mine, guild = ensure_totals(conn, period, guild_id, user_id)
        used_mine, used_guild = mine.spent + mine.held, guild.spent + guild.held
    room = limits.user + credit - used_mine
    if amount > room:
        raise BudgetExceeded(
            limits.user_source, needed=amount, remaining=max(0, room), resets_at=period.end
        )
    room = limits.guild_cap - used_guild
    if amount > room:
        raise BudgetExceeded("guild", needed=amount, remaining=max(0, room), resets_at=period.end)
    if open_mine >= limits.user_jobs:
        raise BudgetExceeded("user_concurrency", needed=1, remaining=0, resets_at=None)
    if open_in_guild >= limits.guild_jobs:
        raise BudgetExceeded("guild_concurrency", needed=1, remaining=0, resets_at=None)
    expires_us = now_us + budget.hold_ttl_seconds * 1_000_000
    conn.execute(
        "INSERT INTO holds (job_id, guild_id, user_id, amount, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (job_id, guild_id, user_id, amount, now_us, expires_us),
    )
    _bump(conn, period, guild_id, user_id, spent=0, held=amount)
    return Hold(job_id, user_id, guild_id, amount, from_micros(expires_us))


def _existing_hold(
    conn: sqlite3.Connection, job_id: str, guild_id: int, user_id: int, amount: int
) -> Hold:
    held_guild, held_user, held_amount, expires_us, settled = conn.execute(
        "SELECT guild_id, user_id, amount, expires_at, settled FROM holds WHERE job_id = ?",
        (job_id,),
    ).fetchone()
    if (held_guild, held_user, held_amount) != (guild_id, user_id, amount):
        raise LedgerError(
            f"job {job_id} already holds {held_amount} for user {held_user} in guild "
            f"{held_guild}; a retry must repeat the same figures"
        )
    if settled is not None:
        raise SettlementConflict(f"job {job_id} was already {settled}; it cannot hold again")
    return Hold(job_id, user_id, guild_id, amount, from_micros(expires_us))


def pin(conn: sqlite3.Connection, *, job_id: str, now_us: int) -> None:
    """Stop the hold from expiring: the job may reach Atlas, so only the job layer settles it.

    Refused with `SettlementConflict` once the hold is released: the job must not be sent.
    """
    row = conn.execute("SELECT pinned_at, settled FROM holds WHERE job_id = ?", (job_id,))
    found = row.fetchone()
    if found is None:
        raise HoldNotFound(f"no hold for job {job_id}")
    pinned_at, settled = found
    if settled == "released":
        log.error("refused to pin job %s: its hold was already released", job_id)
        raise SettlementConflict(f"job {job_id}'s hold was already released: do not submit it")
    if settled is None and pinned_at is None:
        conn.execute("UPDATE holds SET pinned_at = ? WHERE job_id = ?", (now_us, job_id))


def settle(
    conn: sqlite3.Connection,
    rule: PeriodRule,
    *,
    job_id: str,
    capture: bool,
    amount: int | None,
    reason: str | None,
    now_us: int,
) -> Settlement:
    """Capture (spend `amount`, default the held amount) or release a hold, exactly once.

    A repeat of the same outcome returns the first settlement; the other outcome is refused.
    The spend counts in the period of the hold, not of the capture.
    """
    row = conn.execute(_SETTLE_FACTS, (job_id,)).fetchone()
    if row is None:
        raise HoldNotFound(f"no hold for job {job_id}")
    guild_id, user_id, held, created_us, kind, spent_before, quoted_before, reason_before = row[:8]
    wanted = "capture" if capture else "release"
    if kind is not None:
        first = Settlement(
            job_id,
            outcome_of(kind),
            spent_before,
            quoted_before,
            reason_before,
        )
        if kind != wanted:
            log.error("refused to %s job %s: it was already %s", wanted, job_id, first.outcome)
            raise SettlementConflict(
                f"job {job_id} was already {first.outcome}; it cannot be {wanted}d now"
            )
        if capture and amount is not None and amount != spent_before:
            log.warning(
                "job %s captured again with %d; keeping the first capture of %d",
                job_id,
                amount,
                spent_before,
            )
        return first
    spent = (held if amount is None else amount) if capture else 0
    period = rule.period_at_micros(created_us)
    claim_cache(conn, rule, row[8])
    conn.execute(
        "INSERT INTO entries"
        " (job_id, guild_id, user_id, kind, amount, quoted, reason, period_at, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (job_id, guild_id, user_id, wanted, spent, held, reason, created_us, now_us),
    )
    _bump(conn, period, guild_id, user_id, spent=spent, held=-held)
    if spent > held:
        log.warning("job %s cost %d, more than the %d held: overrun recorded", job_id, spent, held)
    return Settlement(job_id, outcome_of(wanted), spent, held, reason)


def expire(conn: sqlite3.Connection, rule: PeriodRule, *, now_us: int) -> list[str]:
    """Release every unpinned hold whose expiry has passed; their job ids."""
    job_ids = [
        row[0]
        for row in conn.execute(
            "SELECT job_id FROM holds INDEXED BY holds_open"
            " WHERE settled IS NULL AND pinned_at IS NULL"
            " AND expires_at <= ? ORDER BY expires_at, job_id",
            (now_us,),
        )
    ]
    for job_id in job_ids:
        settle(
            conn, rule, job_id=job_id, capture=False, amount=None, reason="expired", now_us=now_us
        )
    return job_ids
