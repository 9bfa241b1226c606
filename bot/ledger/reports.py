"""Reading the ledger: a member's summary, a guild's report, a CSV export, a self-audit.

Balances come from the per-period cache in `totals` when it has them, else are derived from
`entries` and `holds`; `audit` proves the cache equals what they derive.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from bot.db.store import Conn
from bot.db.times import from_micros
from bot.ledger.book import BOT_ROW, GUILD_ROW, Book, balance, derive
from bot.ledger.limits import granted, load_limits
from bot.ledger.models import BudgetSummary, GuildReport, JobActivity
from bot.ledger.periods import PeriodRule
from bot.money import MICROS_PER_USD
from bot.settings import BudgetConfig

CSV_COLUMNS = (
    "time_utc",
    "kind",
    "job_id",
    "user_id",
    "amount_micros",
    "amount_usd",
    "quoted_micros",
    "reason",
    "by_user_id",
)


async def summary(
    conn: Conn,
    budget: BudgetConfig,
    rule: PeriodRule,
    *,
    user_id: int,
    guild_id: int,
    role_ids: Sequence[int],
    recent: int,
    now_us: int,
) -> BudgetSummary:
    """What the member has spent and held this period, what is left, and their last jobs."""
    period = rule.period_at_micros(now_us)
    limits = await load_limits(conn, budget, guild_id, user_id, role_ids)
    mine = await balance(conn, period, guild_id, user_id)
    credit = await granted(conn, guild_id, user_id, period)
    room = limits.user + credit - mine.spent - mine.held
    allowed = 0 not in (limits.user, limits.guild_cap, limits.user_jobs, limits.guild_jobs)
    return BudgetSummary(
        spent=mine.spent,
        held=mine.held,
        limit=limits.user,
        granted=credit,
        remaining=max(0, room) if allowed else 0,
        resets_at=period.end,
        period_start=period.start,
        recent=await recent_activity(conn, guild_id, user_id, recent),
    )


async def recent_activity(conn: Conn, guild_id: int, user_id: int, limit: int) -> list[JobActivity]:
    """The member's last `limit` jobs in this guild, newest first."""
    rows = await conn.fetchall(
        "SELECT h.job_id, h.amount, h.settled, h.created_at, h.settled_at, e.amount"
        " FROM holds h LEFT JOIN entries e ON e.job_id = h.job_id"
        " WHERE h.guild_id = ? AND h.user_id = ?"
        " ORDER BY h.created_at DESC, h.job_id DESC LIMIT ?",
        (guild_id, user_id, max(0, limit)),
    )
    activity = []
    for job_id, held, settled, created_us, settled_us, spent in rows:
        status: Literal["held", "captured", "released"] = settled or "held"
        amount = {"held": held, "captured": spent, "released": 0}[status]
        at = from_micros(settled_us if settled_us is not None else created_us)
        activity.append(JobActivity(job_id, amount, status, at))
    return activity


async def report(
    conn: Conn,
    budget: BudgetConfig,
    rule: PeriodRule,
    *,
    guild_id: int,
    top: int,
    now_us: int,
) -> GuildReport:
    """The guild's totals this period against its cap, and its top spenders."""
    period = rule.period_at_micros(now_us)
    cap = (await load_limits(conn, budget, guild_id, GUILD_ROW, ())).guild_cap
    guild = await balance(conn, period, guild_id, GUILD_ROW)
    spenders = await conn.fetchall(
        "SELECT h.user_id, sum(e.amount) AS spent"
        " FROM holds h INDEXED BY holds_member JOIN entries e ON e.job_id = h.job_id"
        " WHERE h.guild_id = ? AND h.created_at >= ? AND h.created_at < ?"
        " GROUP BY h.user_id HAVING sum(e.amount) > 0 ORDER BY spent DESC, h.user_id LIMIT ?",
        (guild_id, period.start_us, period.end_us, max(0, top)),
    )
    return GuildReport(
        spent=guild.spent,
        held=guild.held,
        cap=cap,
        remaining=max(0, cap - guild.spent - guild.held),
        resets_at=period.end,
        top_spenders=[(int(user), int(spent)) for user, spent in spenders],
    )


async def bot_total(conn: Conn, rule: PeriodRule, *, now_us: int) -> tuple[int, int]:
    """What every server together spent and holds this period: (spent, held)."""
    period = rule.period_at_micros(now_us)
    total = await balance(conn, period, *BOT_ROW)
    return total.spent, total.held


async def spend_by_window(
    conn: Conn, *, guild_id: int, user_id: int | None, windows: Sequence[tuple[int, int]]
) -> list[int]:
    """Captured spend in each [start, end) of `windows` (stored times), by capture time: the
    member's, or (None) the guild's. One statement; each window is one range of a covering
    index (`entries_member_spend` / `entries_guild_spend`, schema v8), so the work follows the
    windows and the member's own captures, never the size of the guild's ledger."""
    if not windows:
        return []
    days = ", ".join(f"({n}, CAST(? AS BIGINT), CAST(? AS BIGINT))" for n in range(len(windows)))
    who: tuple[int, ...] = (guild_id,) if user_id is None else (guild_id, user_id)
    if user_id is None:
        index, member = "entries_guild_spend", ""
    else:
        index, member = "entries_member_spend", " AND e.user_id = ?"
    query = (
        f"WITH days(n, lo, hi) AS (VALUES {days})"  # noqa: S608 - placeholders only
        " SELECT n, (SELECT coalesce(sum(e.amount), 0)"
        f" FROM entries e INDEXED BY {index}"
        f" WHERE e.guild_id = ?{member} AND e.kind = 'capture'"
        " AND e.at >= days.lo AND e.at < days.hi) FROM days ORDER BY n"
    )
    args: list[int] = [bound for window in windows for bound in window]
    rows = await conn.fetchall(query, (*args, *who))
    return [int(total) for _, total in rows]


_FORMULA_STARTS = frozenset("=+-@\t\r\n \uff1d\uff0b\uff0d\uff20")
"""What a spreadsheet may read as the start of a formula: = + - @, a tab or a line break
before one, a space before one (some trim it), and their full-width forms (＝＋－＠), which
some spreadsheets fold to ASCII."""


def _cell(value: object) -> object:
    # A reason typed by an admin must not become a spreadsheet formula.
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value
    return value


async def export_csv(conn: Conn, *, guild_id: int, since_us: int, until_us: int) -> str:
    """Every hold, capture, release and grant of the guild in [since, until), oldest first."""
    rows = await conn.fetchall(
        """
        SELECT created_at AS at, 0 AS rank, 'hold' AS kind, job_id, user_id, amount,
               CAST(NULL AS BIGINT) AS quoted, CAST(NULL AS TEXT) AS reason,
               CAST(NULL AS BIGINT) AS actor
          FROM holds INDEXED BY holds_member
         WHERE guild_id = :guild AND created_at >= :since AND created_at < :until
        UNION ALL
        SELECT at, 1, 'grant', CAST(NULL AS TEXT), user_id, amount, CAST(NULL AS BIGINT),
               reason, granted_by
          FROM grants WHERE guild_id = :guild AND at >= :since AND at < :until
        UNION ALL
        SELECT e.at, 2, e.kind, e.job_id, e.user_id, e.amount, e.quoted, e.reason, NULL
          FROM holds h INDEXED BY holds_member JOIN entries e ON e.job_id = h.job_id
         WHERE h.guild_id = :guild AND e.at >= :since AND e.at < :until
        ORDER BY at, rank, job_id
        """,
        {"guild": guild_id, "since": since_us, "until": until_us},
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for at, _rank, kind, job_id, user_id, amount, quoted, reason, actor in rows:
        usd = Decimal(amount) / MICROS_PER_USD
        writer.writerow(
            [
                from_micros(at).isoformat(),
                kind,
                _cell(job_id or ""),
                user_id,
                amount,
                f"{usd:.6f}",
                "" if quoted is None else quoted,
                _cell(reason or ""),
                "" if actor is None else actor,
            ]
        )
    return out.getvalue()


async def audit(conn: Conn, book: Book) -> list[str]:
    """Every way the stored ledger disagrees with itself (empty when all is well).

    Checks that each cached total of the current period rule (and bot-wide cap) equals the
    sum derived from entries and holds, and that each hold's settled mark matches its one
    entry.
    """
    problems: list[str] = []
    rule = book.rule
    prefix = f"{rule.key}:"
    cached_for = await conn.fetchone("SELECT value FROM ledger_meta WHERE key = 'totals_rule'")
    stale = cached_for is not None and cached_for[0] != book.key  # dropped at the next write
    rows = (
        []
        if stale
        else await conn.fetchall(
            "SELECT period_id, guild_id, user_id, spent, held FROM totals"
            " WHERE substr(period_id, 1, ?) = ?",
            (len(prefix), prefix),
        )
    )
    for period_id, guild_id, user_id, spent, held in rows:
        period = rule.period_at_micros(int(period_id[len(prefix) :]))
        derived = await derive(conn, period, guild_id, user_id)
        if (derived.spent, derived.held) != (spent, held):
            problems.append(
                f"totals {period_id} guild {guild_id} user {user_id}: cached spent={spent} "
                f"held={held}, derived spent={derived.spent} held={derived.held}"
            )
    mismatched = await conn.fetchall(
        "SELECT h.job_id, h.settled, e.kind FROM holds h LEFT JOIN entries e"
        " ON e.job_id = h.job_id WHERE (h.settled IS NULL) != (e.kind IS NULL)"
        " OR (h.settled = 'captured') != (e.kind = 'capture')"
    )
    problems += [
        f"hold {job} marked {mark} but its entry is {kind}" for job, mark, kind in mismatched
    ]
    return problems
