"""Erasing a member from a server's ledger: their money rows stay, under a pseudonym.

An admin may ask the bot to forget a member (`/budget-admin forget`). Money rows cannot go:
the server's totals, the bot-wide cap and every audit must still add up, and the rows are
append-only (schema triggers). They are anonymised instead: in one transaction, the member's
id in `holds`, `entries`, `grants`, the cached `totals` and the audit trail's rows about them
is replaced by a pseudonym, a random negative id that Discord never gives and that nothing
maps back to the member. Every amount, time and reason stays, so each total is unchanged and
`audit()` still finds nothing wrong; the member's own per-user limit override is dropped.

A member with money on hold (a job running) is refused (`MemberBusy`): their job would be
settled against an id that no longer exists. The pseudonym's rows also leave the member's own
budget: after being forgotten, the member starts the period afresh (the server's cap still
counts what they spent).
"""

from __future__ import annotations

import secrets

from bot.db.store import Conn, sql_in
from bot.ledger.errors import LedgerError
from bot.ledger.limits import log_admin


class MemberBusy(LedgerError):
    """The member has money on hold (a job running): erase them once it has ended."""


def new_pseudonym() -> int:
    """A random negative id for an erased member (never a Discord id, never 0)."""
    return -(1 + secrets.randbelow(2**62))


_MEMBER_ROWS = ("holds", "entries", "grants")


async def anonymise_member(
    conn: Conn, *, guild_id: int, user_id: int, pseudonym: int, by: int, at_us: int
) -> int:
    """Replace the member's id by `pseudonym` in the guild's money rows (one transaction's
    step); how many holds were theirs. `MemberBusy` when one of them is still open."""
    if user_id <= 0 or pseudonym >= 0:
        raise ValueError("a member's positive id is replaced by a negative pseudonym")
    # On PostgreSQL, wait for (and then keep out) the member's moves in flight: reserve and
    # settle lock these rows first, so no hold lands while its totals row is being moved.
    await conn.fetchall(
        "SELECT period_id FROM totals WHERE guild_id = ? AND user_id = ?"  # noqa: S608
        + sql_in(conn.dialect, "", " FOR UPDATE"),
        (guild_id, user_id),
    )
    row = await conn.fetchone(
        "SELECT count(*) FROM holds INDEXED BY holds_open"
        " WHERE guild_id = ? AND user_id = ? AND settled IS NULL",
        (guild_id, user_id),
    )
    if row is not None and int(row[0]) > 0:
        raise MemberBusy(f"member {user_id} has {row[0]} job(s) with money on hold")
    held = await conn.execute(
        "UPDATE holds SET user_id = ? WHERE guild_id = ? AND user_id = ?",
        (pseudonym, guild_id, user_id),
    )
    for table in _MEMBER_ROWS[1:]:
        await conn.execute(
            f"UPDATE {table} SET user_id = ? WHERE guild_id = ? AND user_id = ?",  # noqa: S608
            (pseudonym, guild_id, user_id),
        )
    await conn.execute(
        "UPDATE totals SET user_id = ? WHERE guild_id = ? AND user_id = ?",
        (pseudonym, guild_id, user_id),
    )
    await conn.execute(
        "DELETE FROM limits WHERE guild_id = ? AND scope = 'user' AND subject_id = ?",
        (guild_id, user_id),
    )
    await conn.execute(
        "UPDATE admin_log SET subject_id = ? WHERE guild_id = ? AND subject_id = ?"
        " AND action IN ('set_user_limit', 'reset_user_limit', 'grant')",
        (pseudonym, guild_id, user_id),
    )
    await log_admin(
        conn,
        guild_id=guild_id,
        actor_id=by,
        action="forget_member",
        subject_id=pseudonym,
        amount=None,
        reason=None,
        at_us=at_us,
    )
    return held


__all__ = ["MemberBusy", "anonymise_member", "new_pseudonym"]
