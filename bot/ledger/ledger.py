"""The cost ledger: every video costs the server owner real money, and this keeps count.

It speaks of users, guilds, roles, jobs and integer micro-dollar amounts; it knows nothing of
Discord or Atlas. Money moves in two phases, like TigerBeetle's pending/post/void transfers:
`reserve` holds an amount for a job after checking every limit, then `capture` spends it
(the job ran) or `release` voids it (it did not). All three are idempotent by job id.

Invariants (each one is tested in tests/ledger/):

1. Within every budget period, for every member: captured + held <= limit + grants, where
   the limit is the one in force at reserve time (per-user override, else the highest of
   the member's role limits, else the default); for every guild: captured + held <= cap;
   and, with `[budget] default_bot_cap_usd`, for the whole bot: captured + held <= that cap.
   `reserve` checks this inside one transaction that cannot race: `BEGIN IMMEDIATE` on
   SQLite, row locks (`SELECT ... FOR UPDATE`) on the totals it checks on PostgreSQL. The
   single way past it is a capture above its hold (Atlas billed more than we quoted): the
   real price is recorded, logged as an overrun, and the member's next reserves are refused
   until the period resets.
2. A job has at most one settlement: one capture or one release, never both, never two
   (`entries.job_id` is the table's key; a repeat returns the first outcome, the other one
   is refused and logged).
3. Concurrent reserves never oversubscribe a budget: 200 at once for a member whose budget
   fits 10 make exactly 10 holds, on one store or on two stores sharing the database, on
   either engine (and two OS processes racing 500 against a bot-wide cap that fits 10).
4. Holds, entries and grants are append-only (triggers refuse UPDATE/DELETE of their
   figures); a hold is only pinned, then settled, once each. Balances are derived from
   entries and open holds; the per-period cache in `totals` always equals the derived sums
   (`audit()` returns no problems), also after the period rule changes in the config.
5. Spend counts in the period in which its hold was made, in the configured time zone: spend
   in the last second of a period does not count in the next one.
6. A commit survives a crash of the bot: a hold made before it is still held (once) after
   re-opening, and can then be captured or released exactly once; an uncommitted one is
   gone whole. (On SQLite a power cut may lose the last second of commits: WAL with
   synchronous=NORMAL, synced by checkpoint.py; it never corrupts the file.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.db.store import Conn, Store, Tx
from bot.db.times import to_micros, utc_now
from bot.ledger import erasure, holds, limits, reports
from bot.ledger.book import Book, outcome_of
from bot.ledger.holds import SQLITE_STEPS
from bot.ledger.models import (
    BudgetExceeded,
    BudgetSummary,
    GuildReport,
    Hold,
    HoldNotFound,
    JobActivity,
    Settlement,
    SettlementConflict,
)
from bot.ledger.periods import PeriodRule
from bot.ledger.pg_money import PG_STEPS
from bot.settings import BudgetConfig

__all__ = [
    "BudgetExceeded",
    "BudgetSummary",
    "GuildReport",
    "Hold",
    "HoldNotFound",
    "JobActivity",
    "Ledger",
    "Settlement",
    "SettlementConflict",
]


def _amount(value: int, name: str = "amount", *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int of micro-dollars, not {type(value).__name__}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be {'positive' if positive else '>= 0'}, not {value}")
    return value


def _id(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive id, not {value!r}")
    return value


def _job(job_id: str) -> str:
    if not isinstance(job_id, str) or not job_id:
        raise ValueError("job_id must be a non-empty string")
    return job_id


class Ledger:
    """Holds, captures, releases, limits and reports over one `Store` (either engine)."""

    def __init__(
        self, db: Store, budget: BudgetConfig, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._db = db
        self._budget = budget
        self._clock = clock
        self._rule = PeriodRule(budget.period, budget.zone)
        self._book = Book.of(self._rule, budget)
        # On PostgreSQL reserve and settle are one call of a server-side function each.
        self._server_side = db.dialect == "postgres"
        self._money = PG_STEPS if self._server_side else SQLITE_STEPS

    def _now_us(self, now: datetime | None = None) -> int:
        return to_micros(now if now is not None else self._clock())

    # -- money moves --------------------------------------------------------------------

    async def reserve(
        self,
        job_id: str,
        user_id: int,
        guild_id: int,
        role_ids: Sequence[int],
        amount: int,
        *,
        tx: Tx | None = None,
    ) -> Hold:
        """Hold `amount` for the job if every limit allows it, else raise `BudgetExceeded`
        (recording nothing). A repeat with the same figures returns the same hold."""
        job_id, roles = _job(job_id), tuple(role_ids)
        _id(user_id, "user_id")
        _id(guild_id, "guild_id")
        _amount(amount)
        now_us = self._now_us()
        return await self._db.run(
            lambda conn: self._money.reserve(
                conn,
                self._budget,
                self._book,
                job_id=job_id,
                user_id=user_id,
                guild_id=guild_id,
                role_ids=roles,
                amount=amount,
                now_us=now_us,
            ),
            tx=tx,
            one_statement=self._server_side,
        )

    async def check(
        self, user_id: int, guild_id: int, role_ids: Sequence[int], amount: int
    ) -> None:
        """Raise `BudgetExceeded` if `reserve` would refuse `amount` now; holds nothing.

        A read before work that costs the bot itself (a prompt's regex rules), so a member
        who may not spend does not get to spend its CPU; `reserve` decides again, atomically.
        """
        roles, now_us = tuple(role_ids), self._now_us()
        _id(user_id, "user_id")
        _id(guild_id, "guild_id")
        _amount(amount)
        await self._db.read(
            lambda conn: holds.check_reserve(
                conn,
                self._budget,
                self._book,
                user_id=user_id,
                guild_id=guild_id,
                role_ids=roles,
                amount=amount,
                now_us=now_us,
            )
        )

    async def pin(self, job_id: str, *, tx: Tx | None = None) -> None:
        """The job may reach Atlas: its hold stops expiring and only the job layer settles it.

        Raises `SettlementConflict` if the hold was already released (then do not submit).
        """
        job_id, now_us = _job(job_id), self._now_us()
        await self._db.run(lambda conn: holds.pin(conn, job_id=job_id, now_us=now_us), tx=tx)

    async def capture(
        self, job_id: str, amount: int | None = None, *, tx: Tx | None = None
    ) -> Settlement:
        """The job ran: spend `amount` (default: the held amount), keeping the quote beside it."""
        job_id, now_us = _job(job_id), self._now_us()
        if amount is not None:
            _amount(amount)
        return await self._db.run(
            lambda conn: self._money.settle(
                conn,
                self._book,
                job_id=job_id,
                capture=True,
                amount=amount,
                reason=None,
                now_us=now_us,
            ),
            tx=tx,
            one_statement=self._server_side,
        )

    async def release(self, job_id: str, reason: str, *, tx: Tx | None = None) -> Settlement:
        """The job did not run: the hold goes, nothing is spent."""
        job_id, now_us = _job(job_id), self._now_us()
        return await self._db.run(
            lambda conn: self._money.settle(
                conn,
                self._book,
                job_id=job_id,
                capture=False,
                amount=None,
                reason=reason,
                now_us=now_us,
            ),
            tx=tx,
            one_statement=self._server_side,
        )

    async def expire_stale_holds(self, now: datetime | None = None) -> list[str]:
        """Release the holds of jobs that never reached Atlas (unpinned) and are past expiry."""
        now_us = self._now_us(now)
        return await self._db.run(
            lambda conn: holds.expire(conn, self._book, self._money.settle, now_us=now_us)
        )

    async def settlement(self, job_id: str) -> Settlement | None:
        """How the job's hold ended, or None while it is held (`HoldNotFound` if never held)."""

        async def read(conn: Conn) -> Settlement | None:
            row = await conn.fetchone(
                "SELECT h.job_id, e.kind, e.amount, e.quoted, e.reason FROM holds h"
                " LEFT JOIN entries e ON e.job_id = h.job_id WHERE h.job_id = ?",
                (job_id,),
            )
            if row is None:
                raise HoldNotFound(f"no hold for job {job_id}")
            if row[1] is None:
                return None
            return Settlement(job_id, outcome_of(row[1]), row[2], row[3], row[4])

        return await self._db.read(read)

    # -- admin changes (each recorded with who made it) ---------------------------------

    async def _set(
        self, guild_id: int, scope: limits.Scope, subject: int, amount: int | None, by: int
    ) -> None:
        _id(guild_id, "guild_id")
        _id(by, "by")
        if amount is not None:
            _amount(amount)
        at_us = self._now_us()
        await self._db.run(
            lambda conn: limits.set_limit(
                conn,
                guild_id=guild_id,
                scope=scope,
                subject_id=subject,
                amount=amount,
                by=by,
                at_us=at_us,
            )
        )

    async def set_user_limit(
        self, guild_id: int, user_id: int, amount: int | None, *, by: int
    ) -> None:
        """Override one member's limit per period (0 = not allowed; None = back to default)."""
        await self._set(guild_id, "user", _id(user_id, "user_id"), amount, by)

    async def set_role_limit(
        self, guild_id: int, role_id: int, amount: int | None, *, by: int
    ) -> None:
        """Set the limit per period of a role's members (they get their highest role's)."""
        await self._set(guild_id, "role", _id(role_id, "role_id"), amount, by)

    async def set_guild_cap(self, guild_id: int, amount: int | None, *, by: int) -> None:
        """Set the whole guild's spending cap per period."""
        await self._set(guild_id, "guild", 0, amount, by)

    async def set_user_concurrency(self, guild_id: int, jobs: int | None, *, by: int) -> None:
        """How many jobs each member of the guild may run at once."""
        await self._set(guild_id, "user_concurrency", 0, jobs, by)

    async def set_guild_concurrency(self, guild_id: int, jobs: int | None, *, by: int) -> None:
        """How many jobs the whole guild may run at once."""
        await self._set(guild_id, "guild_concurrency", 0, jobs, by)

    async def anonymise_member(
        self, guild_id: int, user_id: int, pseudonym: int, *, by: int, tx: Tx | None = None
    ) -> int:
        """Erase a member from the guild's money rows: their id becomes `pseudonym` (see
        `bot.ledger.erasure`), every figure and total unchanged; how many holds were theirs.
        `MemberBusy` while they have money on hold."""
        _id(guild_id, "guild_id")
        _id(user_id, "user_id")
        _id(by, "by")
        at_us = self._now_us()
        return await self._db.run(
            lambda conn: erasure.anonymise_member(
                conn, guild_id=guild_id, user_id=user_id, pseudonym=pseudonym, by=by, at_us=at_us
            ),
            tx=tx,
        )

    async def grant(
        self, guild_id: int, user_id: int, amount: int, reason: str, *, by: int
    ) -> None:
        """Give a member one-off credit on top of their limit, for the current period."""
        _id(guild_id, "guild_id")
        _id(user_id, "user_id")
        _id(by, "by")
        _amount(amount, positive=True)
        if not reason.strip():
            raise ValueError("a grant needs a reason")
        at_us = self._now_us()
        await self._db.run(
            lambda conn: limits.add_grant(
                conn,
                guild_id=guild_id,
                user_id=user_id,
                amount=amount,
                reason=reason,
                by=by,
                at_us=at_us,
            )
        )

    # -- reading ------------------------------------------------------------------------

    async def summary(
        self,
        user_id: int,
        guild_id: int,
        role_ids: Sequence[int],
        *,
        recent: int = 5,
        now: datetime | None = None,
    ) -> BudgetSummary:
        """The member's spending this period, what is left and when it resets."""
        roles, now_us = tuple(role_ids), self._now_us(now)
        return await self._db.read(
            lambda conn: reports.summary(
                conn,
                self._budget,
                self._rule,
                user_id=user_id,
                guild_id=guild_id,
                role_ids=roles,
                recent=recent,
                now_us=now_us,
            )
        )

    async def report(
        self, guild_id: int, *, top: int = 10, now: datetime | None = None
    ) -> GuildReport:
        """The guild's spending this period against its cap, with the top spenders."""
        now_us = self._now_us(now)
        return await self._db.read(
            lambda conn: reports.report(
                conn, self._budget, self._rule, guild_id=guild_id, top=top, now_us=now_us
            )
        )

    async def bot_spent(self, *, now: datetime | None = None) -> tuple[int, datetime]:
        """What every server together spent this period, and when the period ends (for the
        bot-wide cap's alerts)."""
        now_us = self._now_us(now)
        spent, _ = await self._db.read(
            lambda conn: reports.bot_total(conn, self._rule, now_us=now_us)
        )
        return spent, self._rule.period_at_micros(now_us).end

    async def spend_by_window(
        self, guild_id: int, user_id: int | None, windows: Sequence[tuple[datetime, datetime]]
    ) -> list[int]:
        """Captured spend in each [start, end) of `windows`: the member's, or (None) the
        guild's. Indexed: it reads only those captures (the forecast's daily chart)."""
        bounds = [(to_micros(start), to_micros(end)) for start, end in windows]
        return await self._db.read(
            lambda conn: reports.spend_by_window(
                conn, guild_id=guild_id, user_id=user_id, windows=bounds
            )
        )

    async def export_csv(self, guild_id: int, since: datetime, until: datetime) -> str:
        """Holds, captures, releases and grants in [since, until) as CSV, for the accountant."""
        since_us, until_us = to_micros(since), to_micros(until)
        return await self._db.read(
            lambda conn: reports.export_csv(
                conn, guild_id=guild_id, since_us=since_us, until_us=until_us
            )
        )

    async def audit(self) -> list[str]:
        """Check the ledger against itself (cache vs. derived sums, holds vs. entries)."""
        return await self._db.read(lambda conn: reports.audit(conn, self._book))
