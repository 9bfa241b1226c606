"""Which limits apply to a member, and the admin changes that set them.

A member's limit: their explicit per-user override if there is one, else the highest limit
among their roles that have one, else the configured default. The guild cap and the two
concurrency limits: the guild's override, else the configured default. 0 means "not allowed".
Grants add one-off credit to a member for the period in which they are granted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.db.store import Conn, Dialect, sql_in
from bot.ledger.periods import Period
from bot.settings import BudgetConfig

Scope = Literal["user", "role", "guild", "user_concurrency", "guild_concurrency"]


@dataclass(frozen=True)
class Limits:
    """The limits in force for one member of one guild; `user_source` names where
    `user` came from ("role" when a role gave it, else "user")."""

    user: int
    user_source: Literal["user", "role"]
    guild_cap: int
    user_jobs: int
    guild_jobs: int


_LIMIT_COLUMNS = """
    (SELECT amount FROM limits
      WHERE guild_id = :guild AND scope = 'user' AND subject_id = :user),
    (SELECT max(amount) FROM limits WHERE guild_id = :guild AND scope = 'role'
      AND subject_id IN ({roles})),
    (SELECT amount FROM limits WHERE guild_id = :guild AND scope = 'guild' AND subject_id = 0),
    (SELECT amount FROM limits
      WHERE guild_id = :guild AND scope = 'user_concurrency' AND subject_id = 0),
    (SELECT amount FROM limits
      WHERE guild_id = :guild AND scope = 'guild_concurrency' AND subject_id = 0)"""


def limit_columns(dialect: Dialect) -> str:
    """Five columns for a SELECT (params :guild, :user, :roles as a JSON list): the overrides
    that `resolve` turns into `Limits`. Reserve adds its own columns to the same statement."""
    roles = sql_in(
        dialect,
        "SELECT value FROM json_each(:roles)",
        "SELECT CAST(value AS bigint) FROM jsonb_array_elements_text(CAST(:roles AS jsonb))",
    )
    return _LIMIT_COLUMNS.format(roles=roles)


def roles_json(role_ids: Sequence[int]) -> str:
    """Role ids as the JSON list `LIMIT_COLUMNS` expects."""
    return json.dumps([int(role) for role in role_ids])


def resolve(row: Sequence[int | None], budget: BudgetConfig) -> Limits:
    """Fill the overrides read by `LIMIT_COLUMNS` with the configured defaults."""
    override, best_role, guild_cap, user_jobs, guild_jobs = row[:5]
    source: Literal["user", "role"] = "user"
    if override is not None:
        user = override
    elif best_role is not None:
        user, source = best_role, "role"
    else:
        user = budget.default_user_limit
    return Limits(
        user=user,
        user_source=source,
        guild_cap=budget.default_guild_cap if guild_cap is None else guild_cap,
        user_jobs=budget.max_open_jobs_per_user if user_jobs is None else user_jobs,
        guild_jobs=budget.max_open_jobs_per_guild if guild_jobs is None else guild_jobs,
    )


async def load_limits(
    conn: Conn,
    budget: BudgetConfig,
    guild_id: int,
    user_id: int,
    role_ids: Sequence[int],
) -> Limits:
    """Resolve the member's limits from the stored overrides and the configured defaults."""
    args = {"guild": guild_id, "user": user_id, "roles": roles_json(role_ids)}
    row = await conn.fetchone(f"SELECT {limit_columns(conn.dialect)}", args)
    assert row is not None
    return resolve(row, budget)


async def granted(conn: Conn, guild_id: int, user_id: int, period: Period) -> int:
    """Credit granted to the member within the period."""
    row = await conn.fetchone(
        "SELECT coalesce(sum(amount), 0) FROM grants"
        " WHERE guild_id = ? AND user_id = ? AND at >= ? AND at < ?",
        (guild_id, user_id, period.start_us, period.end_us),
    )
    assert row is not None
    return int(row[0])


async def log_admin(
    conn: Conn,
    *,
    guild_id: int,
    actor_id: int,
    action: str,
    subject_id: int,
    amount: int | None,
    reason: str | None,
    at_us: int,
) -> None:
    """Append one admin action to the audit trail."""
    await conn.execute(
        "INSERT INTO admin_log (guild_id, actor_id, action, subject_id, amount, reason, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (guild_id, actor_id, action, subject_id, amount, reason, at_us),
    )


async def set_limit(
    conn: Conn,
    *,
    guild_id: int,
    scope: Scope,
    subject_id: int,
    amount: int | None,
    by: int,
    at_us: int,
) -> None:
    """Store (or, with None, drop back to the default) one limit, and log who did it."""
    if amount is None:
        await conn.execute(
            "DELETE FROM limits WHERE guild_id = ? AND scope = ? AND subject_id = ?",
            (guild_id, scope, subject_id),
        )
    else:
        await conn.execute(
            "INSERT INTO limits (guild_id, scope, subject_id, amount, set_by, set_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, scope, subject_id) DO UPDATE SET"
            " amount = excluded.amount, set_by = excluded.set_by, set_at = excluded.set_at",
            (guild_id, scope, subject_id, amount, by, at_us),
        )
    action = f"set_{scope}_limit" if amount is not None else f"reset_{scope}_limit"
    await log_admin(
        conn,
        guild_id=guild_id,
        actor_id=by,
        action=action,
        subject_id=subject_id,
        amount=amount,
        reason=None,
        at_us=at_us,
    )


async def add_grant(
    conn: Conn,
    *,
    guild_id: int,
    user_id: int,
    amount: int,
    reason: str,
    by: int,
    at_us: int,
) -> None:
    """Record a one-off credit and who granted it."""
    await conn.execute(
        "INSERT INTO grants (guild_id, user_id, amount, reason, granted_by, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, user_id, amount, reason, by, at_us),
    )
    await log_admin(
        conn,
        guild_id=guild_id,
        actor_id=by,
        action="grant",
        subject_id=user_id,
        amount=amount,
        reason=reason,
        at_us=at_us,
    )
