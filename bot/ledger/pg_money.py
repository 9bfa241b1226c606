"""Reserve and settle on PostgreSQL in one round trip each: the same rules, run server-side.

`holds.reserve` and `holds.settle` are the reference: on SQLite they run as they read. On
PostgreSQL every statement is a network round trip, and the totals rows a move locks stay
locked for all of them, so the same steps run as two PL/pgSQL functions instead, statement
for statement: lock (or derive and insert) the totals rows in key order, read the facts
afresh, decide, write. The limits' defaults and the period come from Python (the config and
`PeriodRule`), the decision goes back as a row that Python turns into the same `Hold`,
`Settlement` or `BudgetExceeded`. Every ledger test runs on both engines, so the two agree.

The functions are code, not schema: the database replaces them on every start, under its
migration lock (`bot.db.postgres.prepare`), from `SERVER_CODE`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.db.store import Conn
from bot.db.times import from_micros
from bot.ledger.book import Book, MoneySteps, existing_hold, outcome_of, repeated_settlement
from bot.ledger.errors import LedgerError
from bot.ledger.models import BudgetExceeded, Hold, HoldNotFound, Settlement
from bot.settings import BudgetConfig

log = logging.getLogger("bot.ledger")

_LOCK_TOTALS = """
CREATE OR REPLACE FUNCTION avb_lock_totals(
    p_period text, p_start bigint, p_end bigint, p_guild bigint, p_user bigint, p_bot boolean
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k_guild bigint[] := CASE WHEN p_bot THEN ARRAY[0, p_guild, p_guild]
                             ELSE ARRAY[p_guild, p_guild] END;
    k_user bigint[] := CASE WHEN p_bot THEN ARRAY[0, 0, p_user] ELSE ARRAY[0, p_user] END;
    g bigint; u bigint; v_spent bigint; v_held bigint; v_locked integer;
BEGIN
    -- The rows that exist, locked in key order; usually all of them, in one statement.
    SELECT count(*) INTO v_locked FROM (
        SELECT 1 FROM totals
         WHERE period_id = p_period AND (guild_id, user_id) IN (
               SELECT * FROM unnest(k_guild, k_user))
         ORDER BY guild_id, user_id FOR UPDATE) AS locked;
    IF v_locked = array_length(k_guild, 1) THEN
        RETURN;
    END IF;
    FOR i IN 1 .. array_length(k_guild, 1) LOOP
        g := k_guild[i]; u := k_user[i];
        PERFORM 1 FROM totals
          WHERE period_id = p_period AND guild_id = g AND user_id = u FOR UPDATE;
        CONTINUE WHEN FOUND;
        -- Derived as holds.derive does, one statement per kind of row (each its own plan).
        IF g = 0 THEN
            SELECT coalesce(sum(CASE WHEN h.settled IS NULL THEN 0 ELSE e.amount END), 0),
                   coalesce(sum(CASE WHEN h.settled IS NULL THEN h.amount ELSE 0 END), 0)
              INTO v_spent, v_held
              FROM holds h LEFT JOIN entries e ON e.job_id = h.job_id
             WHERE h.created_at >= p_start AND h.created_at < p_end;
        ELSIF u = 0 THEN
            SELECT coalesce(sum(CASE WHEN h.settled IS NULL THEN 0 ELSE e.amount END), 0),
                   coalesce(sum(CASE WHEN h.settled IS NULL THEN h.amount ELSE 0 END), 0)
              INTO v_spent, v_held
              FROM holds h LEFT JOIN entries e ON e.job_id = h.job_id
             WHERE h.guild_id = g AND h.created_at >= p_start AND h.created_at < p_end;
        ELSE
            SELECT coalesce(sum(CASE WHEN h.settled IS NULL THEN 0 ELSE e.amount END), 0),
                   coalesce(sum(CASE WHEN h.settled IS NULL THEN h.amount ELSE 0 END), 0)
              INTO v_spent, v_held
              FROM holds h LEFT JOIN entries e ON e.job_id = h.job_id
             WHERE h.guild_id = g AND h.user_id = u
               AND h.created_at >= p_start AND h.created_at < p_end;
        END IF;
        INSERT INTO totals (period_id, guild_id, user_id, spent, held)
             VALUES (p_period, g, u, v_spent, v_held)
        ON CONFLICT (period_id, guild_id, user_id) DO NOTHING;
        IF NOT FOUND THEN  -- a racing transaction inserted it and committed: lock its row
            PERFORM 1 FROM totals
              WHERE period_id = p_period AND guild_id = g AND user_id = u FOR UPDATE;
        END IF;
    END LOOP;
END $$"""

_CLAIM_CACHE = """
CREATE OR REPLACE FUNCTION avb_claim_cache(p_book text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM totals;
    INSERT INTO ledger_meta (key, value) VALUES ('totals_rule', p_book)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
END $$"""

_RESERVE = """
CREATE OR REPLACE FUNCTION avb_reserve(
    p_job text, p_user bigint, p_guild bigint, p_roles bigint[], p_amount bigint,
    p_now bigint, p_expires bigint, p_period text, p_start bigint, p_end bigint,
    p_book text, p_bot_cap bigint, p_user_limit bigint, p_guild_cap bigint,
    p_user_jobs bigint, p_guild_jobs bigint,
    OUT outcome text, OUT room bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_bot boolean := p_bot_cap IS NOT NULL;
    v_exists boolean; v_override bigint; v_role bigint; v_cap bigint; v_ujobs bigint;
    v_gjobs bigint; v_rule text; v_credit bigint; v_open_u bigint; v_open_g bigint;
    v_used_u bigint; v_used_g bigint; v_used_b bigint; v_limit bigint; v_source text;
BEGIN
    PERFORM avb_lock_totals(p_period, p_start, p_end, p_guild, p_user, v_bot);
    -- Everything the decision needs, read after the lock, in one statement (as in Python).
    SELECT EXISTS (SELECT 1 FROM holds WHERE job_id = p_job),
           (SELECT amount FROM limits
             WHERE guild_id = p_guild AND scope = 'user' AND subject_id = p_user),
           (SELECT max(amount) FROM limits
             WHERE guild_id = p_guild AND scope = 'role' AND subject_id = ANY (p_roles)),
           (SELECT amount FROM limits
             WHERE guild_id = p_guild AND scope = 'guild' AND subject_id = 0),
           (SELECT amount FROM limits
             WHERE guild_id = p_guild AND scope = 'user_concurrency' AND subject_id = 0),
           (SELECT amount FROM limits
             WHERE guild_id = p_guild AND scope = 'guild_concurrency' AND subject_id = 0),
           (SELECT value FROM ledger_meta WHERE key = 'totals_rule'),
           (SELECT coalesce(sum(amount), 0) FROM grants
             WHERE guild_id = p_guild AND user_id = p_user AND at >= p_start AND at < p_end),
           (SELECT count(*) FROM holds
             WHERE guild_id = p_guild AND user_id = p_user AND settled IS NULL),
           (SELECT count(*) FROM holds WHERE guild_id = p_guild AND settled IS NULL),
           (SELECT spent + held FROM totals
             WHERE period_id = p_period AND guild_id = p_guild AND user_id = p_user),
           (SELECT spent + held FROM totals
             WHERE period_id = p_period AND guild_id = p_guild AND user_id = 0),
           (SELECT spent + held FROM totals
             WHERE period_id = p_period AND guild_id = 0 AND user_id = 0)
      INTO v_exists, v_override, v_role, v_cap, v_ujobs, v_gjobs, v_rule, v_credit,
           v_open_u, v_open_g, v_used_u, v_used_g, v_used_b;
    IF v_exists THEN
        outcome := 'exists'; RETURN;
    END IF;
    v_source := CASE WHEN v_override IS NULL AND v_role IS NOT NULL THEN 'role' ELSE 'user' END;
    v_limit := coalesce(v_override, v_role, p_user_limit);
    v_cap := coalesce(v_cap, p_guild_cap);
    v_ujobs := coalesce(v_ujobs, p_user_jobs);
    v_gjobs := coalesce(v_gjobs, p_guild_jobs);
    IF 0 IN (v_limit, v_cap, v_ujobs, v_gjobs) OR p_bot_cap = 0 THEN
        outcome := 'not_allowed'; room := 0; RETURN;
    END IF;
    IF v_rule IS DISTINCT FROM p_book THEN  -- the cache followed another book: start afresh
        PERFORM avb_claim_cache(p_book);
        PERFORM avb_lock_totals(p_period, p_start, p_end, p_guild, p_user, v_bot);
        SELECT (SELECT spent + held FROM totals
                 WHERE period_id = p_period AND guild_id = p_guild AND user_id = p_user),
               (SELECT spent + held FROM totals
                 WHERE period_id = p_period AND guild_id = p_guild AND user_id = 0),
               (SELECT spent + held FROM totals
                 WHERE period_id = p_period AND guild_id = 0 AND user_id = 0)
          INTO v_used_u, v_used_g, v_used_b;
    END IF;
    IF p_amount > v_limit + v_credit - v_used_u THEN
        outcome := v_source; room := greatest(0, v_limit + v_credit - v_used_u); RETURN;
    END IF;
    IF p_amount > v_cap - v_used_g THEN
        outcome := 'guild'; room := greatest(0, v_cap - v_used_g); RETURN;
    END IF;
    IF v_bot AND p_amount > p_bot_cap - v_used_b THEN
        outcome := 'bot'; room := greatest(0, p_bot_cap - v_used_b); RETURN;
    END IF;
    IF v_open_u >= v_ujobs THEN
        outcome := 'user_concurrency'; room := 0; RETURN;
    END IF;
    IF v_open_g >= v_gjobs THEN
        outcome := 'guild_concurrency'; room := 0; RETURN;
    END IF;
    INSERT INTO holds (job_id, guild_id, user_id, amount, created_at, expires_at)
    VALUES (p_job, p_guild, p_user, p_amount, p_now, p_expires)
    ON CONFLICT (job_id) DO NOTHING;
    IF NOT FOUND THEN outcome := 'exists'; RETURN; END IF;
    UPDATE totals SET held = held + p_amount
     WHERE period_id = p_period AND ((guild_id = p_guild AND user_id IN (p_user, 0))
        OR (v_bot AND guild_id = 0 AND user_id = 0));
    outcome := 'held';
END $$"""

_SETTLE = """
CREATE OR REPLACE FUNCTION avb_settle(
    p_job text, p_capture boolean, p_amount bigint, p_reason text, p_now bigint,
    p_period text, p_start bigint, p_end bigint, p_book text, p_bot boolean,
    OUT outcome text, OUT kind text, OUT spent bigint, OUT quoted bigint,
    OUT reason text, OUT created bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_guild bigint; v_user bigint; v_held bigint; v_settled text; v_rule text;
BEGIN
    -- The hold, locked (settles of one job wait for each other), with its entry if any.
    SELECT h.guild_id, h.user_id, h.amount, h.created_at, h.settled,
           e.kind, e.amount, e.quoted, e.reason,
           (SELECT value FROM ledger_meta WHERE key = 'totals_rule')
      INTO v_guild, v_user, v_held, created, v_settled, kind, spent, quoted, reason, v_rule
      FROM holds h LEFT JOIN entries e ON e.job_id = h.job_id
     WHERE h.job_id = p_job FOR UPDATE OF h;
    IF NOT FOUND THEN outcome := 'missing'; RETURN; END IF;
    IF v_settled IS NOT NULL AND kind IS NULL THEN  -- settled while we waited: read it now
        SELECT e.kind, e.amount, e.quoted, e.reason INTO kind, spent, quoted, reason
          FROM entries e WHERE e.job_id = p_job;
    END IF;
    IF kind IS NOT NULL THEN outcome := 'settled'; RETURN; END IF;
    IF created < p_start OR created >= p_end THEN outcome := 'period'; RETURN; END IF;
    spent := CASE WHEN NOT p_capture THEN 0 ELSE coalesce(p_amount, v_held) END;
    quoted := v_held; reason := p_reason;
    kind := CASE WHEN p_capture THEN 'capture' ELSE 'release' END;
    IF v_rule IS DISTINCT FROM p_book THEN
        PERFORM avb_claim_cache(p_book);
    END IF;
    PERFORM avb_lock_totals(p_period, p_start, p_end, v_guild, v_user, p_bot);
    INSERT INTO entries (job_id, guild_id, user_id, kind, amount, quoted, reason, period_at, at)
    VALUES (p_job, v_guild, v_user, kind, spent, v_held, p_reason, created, p_now);
    UPDATE totals SET spent = totals.spent + avb_settle.spent, held = held - v_held
     WHERE period_id = p_period AND ((guild_id = v_guild AND user_id IN (v_user, 0))
        OR (p_bot AND guild_id = 0 AND user_id = 0));
    outcome := 'done';
END $$"""

SERVER_CODE = (
    _LOCK_TOTALS,
    _CLAIM_CACHE,
    _RESERVE,
    _SETTLE,
)
"""What a PostgreSQL database runs for this ledger, installed in this order (each one's
callees first): pass it when opening one (`bot.db.open_store(..., server_code=...)`)."""

RESERVE_CALL = (
    "SELECT outcome, room FROM avb_reserve("
    "?, ?, ?, CAST(? AS bigint[]), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SETTLE_CALL = (
    "SELECT outcome, kind, spent, quoted, reason, created"
    " FROM avb_settle(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


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
    """`holds.reserve` as one call of `avb_reserve`: the same steps, server-side."""
    period = book.rule.period_at_micros(now_us)
    expires_us = now_us + budget.hold_ttl_seconds * 1_000_000
    row = await conn.fetchone(
        RESERVE_CALL,
        (
            job_id,
            user_id,
            guild_id,
            [int(role) for role in role_ids],
            amount,
            now_us,
            expires_us,
            period.id,
            period.start_us,
            period.end_us,
            book.key,
            book.bot_cap,
            budget.default_user_limit,
            budget.default_guild_cap,
            budget.max_open_jobs_per_user,
            budget.max_open_jobs_per_guild,
        ),
    )
    assert row is not None
    outcome, room = row
    if outcome == "held":
        return Hold(job_id, user_id, guild_id, amount, from_micros(expires_us))
    if outcome == "exists":
        return await existing_hold(conn, job_id, guild_id, user_id, amount)
    if outcome in ("user_concurrency", "guild_concurrency"):
        raise BudgetExceeded(outcome, needed=1, remaining=0, resets_at=None)
    if outcome == "not_allowed":
        raise BudgetExceeded("not_allowed", needed=amount, remaining=0, resets_at=None)
    assert outcome in ("user", "role", "guild", "bot"), outcome
    raise BudgetExceeded(outcome, needed=amount, remaining=room, resets_at=period.end)


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
    """`settle` as one call of `avb_settle`; a second one when the hold is of another period
    than the present one (the server does not know the period rule)."""
    wanted = "capture" if capture else "release"
    period = book.rule.period_at_micros(now_us)
    for _ in range(2):
        args = (job_id, capture, amount, reason, now_us, period.id)
        bounds = (period.start_us, period.end_us, book.key, book.bot_cap is not None)
        row = await conn.fetchone(SETTLE_CALL, (*args, *bounds))
        assert row is not None
        outcome, kind, spent, quoted, reason_stored, created_us = row
        if outcome == "missing":
            raise HoldNotFound(f"no hold for job {job_id}")
        if outcome == "settled":
            return repeated_settlement(job_id, wanted, amount, kind, spent, quoted, reason_stored)
        if outcome == "done":
            if spent > quoted:
                log.warning(
                    "job %s cost %d, more than the %d held: overrun recorded", job_id, spent, quoted
                )
            return Settlement(job_id, outcome_of(kind), spent, quoted, reason_stored)
        period = book.rule.period_at_micros(created_us)  # "period": ask again with its own
    raise LedgerError(f"job {job_id}: the database and the period rule disagree")


PG_STEPS = MoneySteps(reserve=reserve, settle=settle)
"""PostgreSQL runs each step as one call of a server-side function."""
