"""The two-phase money moves as steps run inside one transaction: SQLite's, and the reference.

reserve -> (pin) -> capture | release, each keyed by the job id. `totals` caches each
member's, each guild's and (with a bot-wide cap) the whole bot's spent and held sums per
period; a missing row is first derived from `entries` and `holds`, then every move updates it
in the same transaction as the move.

SQLite runs one writer at a time (`BEGIN IMMEDIATE`), and runs these steps as they read. On
PostgreSQL several transactions run at once: `reserve` and `settle` run there as one call of
a server-side function each (`bot.ledger.pg_money`, the same steps; `MoneySteps` names the
pair an engine uses, chosen once by the ledger), which first locks the
`totals` rows its limits are checked against (`SELECT ... FOR UPDATE`, in one global order; a
missing row is inserted first, and a racing insert waits for it); a settle first locks its
hold. Under READ COMMITTED every later statement then sees what the transactions before it
committed: two moves on the same budget run one after the other, moves on different budgets
in parallel. `ensure_totals` locks the same way when it runs on PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.db.store import Conn, Dialect, sql_in
from bot.db.times import from_micros
from bot.ledger.book import (
    BOT_ROW,
    GUILD_ROW,
    Balance,
    Book,
    Key,
    MoneySteps,
    Settle,
    derive,
    existing_hold,
    outcome_of,
    repeated_settlement,
)
from bot.ledger.limits import Limits, limit_columns, resolve, roles_json
from bot.ledger.models import BudgetExceeded, Hold, HoldNotFound, Settlement, SettlementConflict
from bot.ledger.periods import Period
from bot.settings import BudgetConfig

log = logging.getLogger("bot.ledger")


_CACHE_RULE = "(SELECT value FROM ledger_meta WHERE key = 'totals_rule')"


async def claim_cache(conn: Conn, book: Book, cached_rule: str | None) -> bool:
    """Make `totals` follow `book` before writing to it; True if it was emptied to do so.

    The cache holds rows of one book only: rows of another one stopped being kept up to
    date when it stopped writing, so they go (they are derived again when needed).
    """
    if cached_rule == book.key:
        return False
    await conn.execute("DELETE FROM totals")
    await conn.execute(
        "INSERT INTO ledger_meta (key, value) VALUES ('totals_rule', ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (book.key,),
    )
    return True


def _match(keys: Sequence[Key]) -> tuple[str, list[int]]:
    where = " OR ".join("(guild_id = ? AND user_id = ?)" for _ in keys)
    return f"({where})", [part for key in keys for part in key]


_INSERT_TOTALS = (
    "INSERT INTO totals (period_id, guild_id, user_id, spent, held) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (period_id, guild_id, user_id) DO NOTHING"
)


async def ensure_totals(conn: Conn, period: Period, keys: Sequence[Key]) -> dict[Key, Balance]:
    """The cached balances of `keys`, deriving and storing any row that is missing.

    On PostgreSQL the rows are also locked until the transaction ends, in `keys` order.
    """
    locking = conn.dialect == "postgres"
    where, args = _match(keys)
    found = {
        (row[0], row[1]): Balance(row[2], row[3])
        for row in await conn.fetchall(
            f"SELECT guild_id, user_id, spent, held FROM totals WHERE period_id = ? AND {where}"  # noqa: S608
            + (" ORDER BY guild_id, user_id FOR UPDATE" if locking else ""),
            (period.id, *args),
        )
    }
    for key in keys:
        if key in found:
            continue
        derived = await derive(conn, period, *key)
        if await conn.execute(_INSERT_TOTALS, (period.id, *key, derived.spent, derived.held)):
            found[key] = derived
            continue
        # Another transaction inserted it meanwhile (and has committed): take its row.
        row = await conn.fetchone(
            "SELECT spent, held FROM totals WHERE period_id = ? AND guild_id = ? AND user_id = ?"  # noqa: S608
            + (" FOR UPDATE" if locking else ""),
            (period.id, *key),
        )
        assert row is not None
        found[key] = Balance(*row)
    return found


async def _bump(conn: Conn, period: Period, keys: Sequence[Key], spent: int, held: int) -> None:
    """Apply a move to the cached rows; a row that was missing is derived afterwards, so
    it already includes the move."""
    where, args = _match(keys)
    updated = await conn.execute(
        "UPDATE totals SET spent = spent + ?, held = held + ?"  # noqa: S608
        f" WHERE period_id = ? AND {where}",
        (spent, held, period.id, *args),
    )
    if updated < len(keys):
        await ensure_totals(conn, period, keys)


_RESERVE_FACTS = """SELECT {limits},
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
    (SELECT spent + held FROM totals
      WHERE period_id = :period AND guild_id = 0 AND user_id = 0),
    {cache_rule}"""
"""Everything `reserve` decides on, in one statement (one trip into the database)."""

_RESERVE_FACTS_IN: dict[Dialect, str] = {
    dialect: _RESERVE_FACTS.format(limits=limit_columns(dialect), cache_rule=_CACHE_RULE)
    for dialect in ("sqlite", "postgres")
}


_SETTLE_FACTS = f"""
    SELECT h.guild_id, h.user_id, h.amount, h.created_at,
           e.kind, e.amount, e.quoted, e.reason, {_CACHE_RULE}
      FROM holds h LEFT JOIN entries e ON e.job_id = h.job_id
     WHERE h.job_id = ?"""  # noqa: S608
"""The hold, its settlement if any, and the cache's rule: what `settle` decides on."""


def _used(value: int | None, key: Key, balances: dict[Key, Balance] | None) -> int | None:
    if balances is not None and key in balances:
        return balances[key].used
    return value


async def reserve(
    conn: Conn,
    budget: BudgetConfig,
    book: Book,
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
    period = book.rule.period_at_micros(now_us)
    keys = book.keys(guild_id, user_id)
    facts = await conn.fetchone(
        _RESERVE_FACTS_IN[conn.dialect],
        {
            "job": job_id,
            "guild": guild_id,
            "user": user_id,
            "roles": roles_json(role_ids),
            "period": period.id,
            "start": period.start_us,
            "end": period.end_us,
        },
    )
    assert facts is not None
    existing, credit, open_in_guild, open_mine = facts[5:9]
    used_mine, used_guild, used_bot, cache_rule = facts[9:]
    if existing is not None:
        return await existing_hold(conn, job_id, guild_id, user_id, amount)
    limits = resolve(facts, budget)
    cached = (used_mine, used_guild) + ((used_bot,) if book.bot_cap is not None else ())
    allowed = 0 not in (limits.user, limits.guild_cap, limits.user_jobs, limits.guild_jobs)
    if (
        allowed
        and book.bot_cap != 0
        and (await claim_cache(conn, book, cache_rule) or None in cached)
    ):
        balances = await ensure_totals(conn, period, keys)
        used_mine = balances[(guild_id, user_id)].used
        used_guild = balances[(guild_id, GUILD_ROW)].used
        used_bot = balances[BOT_ROW].used if book.bot_cap is not None else None
    _refuse_if_over(
        limits,
        book,
        period,
        amount=amount,
        credit=credit,
        used=(used_mine, used_guild, used_bot),
        open_jobs=(open_mine, open_in_guild),
    )
    expires_us = now_us + budget.hold_ttl_seconds * 1_000_000
    inserted = await conn.execute(
        "INSERT INTO holds (job_id, guild_id, user_id, amount, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING",
        (job_id, guild_id, user_id, amount, now_us, expires_us),
    )
    if not inserted:  # the same job, reserved by a racing transaction that committed first
        return await existing_hold(conn, job_id, guild_id, user_id, amount)
    await _bump(conn, period, keys, spent=0, held=amount)
    return Hold(job_id, user_id, guild_id, amount, from_micros(expires_us))


def _refuse_if_over(
    limits: Limits,
    book: Book,
    period: Period,
    *,
    amount: int,
    credit: int,
    used: tuple[int, int, int | None],
    open_jobs: tuple[int, int],
) -> None:
    """Raise `BudgetExceeded` for the first limit `amount` breaks (the order members see)."""
    used_mine, used_guild, used_bot = used
    open_mine, open_in_guild = open_jobs
    if 0 in (limits.user, limits.guild_cap, limits.user_jobs, limits.guild_jobs, book.bot_cap):
        raise BudgetExceeded("not_allowed", needed=amount, remaining=0, resets_at=None)
    room = limits.user + credit - used_mine
    if amount > room:
        raise BudgetExceeded(
            limits.user_source, needed=amount, remaining=max(0, room), resets_at=period.end
        )
    room = limits.guild_cap - used_guild
    if amount > room:
        raise BudgetExceeded("guild", needed=amount, remaining=max(0, room), resets_at=period.end)
    if book.bot_cap is not None:
        room = book.bot_cap - (used_bot or 0)
        if amount > room:
            raise BudgetExceeded("bot", needed=amount, remaining=max(0, room), resets_at=period.end)
    if open_mine >= limits.user_jobs:
        raise BudgetExceeded("user_concurrency", needed=1, remaining=0, resets_at=None)
    if open_in_guild >= limits.guild_jobs:
        raise BudgetExceeded("guild_concurrency", needed=1, remaining=0, resets_at=None)


async def check_reserve(
    conn: Conn,
    budget: BudgetConfig,
    book: Book,
    *,
    user_id: int,
    guild_id: int,
    role_ids: Sequence[int],
    amount: int,
    now_us: int,
) -> None:
    """Raise `BudgetExceeded` as `reserve` would now, writing nothing: a read-only pre-check
    before work that costs the bot (a prompt's regex rules). `reserve` decides again."""
    period = book.rule.period_at_micros(now_us)
    facts = await conn.fetchone(
        _RESERVE_FACTS_IN[conn.dialect],
        {
            "job": "",
            "guild": guild_id,
            "user": user_id,
            "roles": roles_json(role_ids),
            "period": period.id,
            "start": period.start_us,
            "end": period.end_us,
        },
    )
    assert facts is not None
    credit, open_in_guild, open_mine = facts[6:9]
    used_mine, used_guild, used_bot, cache_rule = facts[9:]
    fresh = cache_rule == book.key
    if not fresh or used_mine is None:
        used_mine = (await derive(conn, period, guild_id, user_id)).used
    if not fresh or used_guild is None:
        used_guild = (await derive(conn, period, guild_id, GUILD_ROW)).used
    if book.bot_cap is not None and (not fresh or used_bot is None):
        used_bot = (await derive(conn, period, *BOT_ROW)).used
    _refuse_if_over(
        resolve(facts, budget),
        book,
        period,
        amount=amount,
        credit=credit,
        used=(used_mine, used_guild, used_bot),
        open_jobs=(open_mine, open_in_guild),
    )


def _locked(conn: Conn, sql: str) -> str:
    return sql + sql_in(conn.dialect, "", " FOR UPDATE")


async def pin(conn: Conn, *, job_id: str, now_us: int) -> None:
    """Stop the hold from expiring: the job may reach Atlas, so only the job layer settles it.

    Refused with `SettlementConflict` once the hold is released: the job must not be sent.
    """
    found = await conn.fetchone(
        _locked(conn, "SELECT pinned_at, settled FROM holds WHERE job_id = ?"), (job_id,)
    )
    if found is None:
        raise HoldNotFound(f"no hold for job {job_id}")
    pinned_at, settled = found
    if settled == "released":
        log.error("refused to pin job %s: its hold was already released", job_id)
        raise SettlementConflict(f"job {job_id}'s hold was already released: do not submit it")
    if settled is None and pinned_at is None:
        await conn.execute("UPDATE holds SET pinned_at = ? WHERE job_id = ?", (now_us, job_id))


async def settle(
    conn: Conn,
    book: Book,
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
    row = await conn.fetchone(_SETTLE_FACTS, (job_id,))
    if row is None:
        raise HoldNotFound(f"no hold for job {job_id}")
    guild_id, user_id, held, created_us, kind, spent_before, quoted_before, reason_before = row[:8]
    wanted = "capture" if capture else "release"
    if kind is not None:
        return repeated_settlement(
            job_id, wanted, amount, kind, spent_before, quoted_before, reason_before
        )
    spent = (held if amount is None else amount) if capture else 0
    period = book.rule.period_at_micros(created_us)
    keys = book.keys(guild_id, user_id)
    if await claim_cache(conn, book, row[8]):
        await ensure_totals(conn, period, keys)
    await conn.execute(
        "INSERT INTO entries"
        " (job_id, guild_id, user_id, kind, amount, quoted, reason, period_at, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (job_id, guild_id, user_id, wanted, spent, held, reason, created_us, now_us),
    )
    await _bump(conn, period, keys, spent=spent, held=-held)
    if spent > held:
        log.warning("job %s cost %d, more than the %d held: overrun recorded", job_id, spent, held)
    return Settlement(job_id, outcome_of(wanted), spent, held, reason)


async def expire(conn: Conn, book: Book, settle: Settle, *, now_us: int) -> list[str]:
    """Release every unpinned hold whose expiry has passed, with the engine's `settle`;
    their job ids."""
    candidates = await conn.fetchall(
        "SELECT job_id FROM holds INDEXED BY holds_open"
        " WHERE settled IS NULL AND pinned_at IS NULL"
        " AND expires_at <= ? ORDER BY expires_at, job_id",
        (now_us,),
    )
    expired = []
    for (job_id,) in candidates:
        if conn.dialect == "postgres":  # pinned or settled by another process meanwhile?
            row = await conn.fetchone(
                "SELECT pinned_at, settled FROM holds WHERE job_id = ? FOR UPDATE", (job_id,)
            )
            if row is None or row != (None, None):
                continue
        await settle(
            conn, book, job_id=job_id, capture=False, amount=None, reason="expired", now_us=now_us
        )
        expired.append(job_id)
    return expired


SQLITE_STEPS = MoneySteps(reserve=reserve, settle=settle)
"""SQLite runs the steps as they read."""
