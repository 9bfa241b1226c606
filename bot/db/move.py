"""Moving an SQLite ledger to PostgreSQL: every row of every table, in one transaction.

`atlas-video-bot migrate-to-postgres` reads DATABASE_PATH and writes DATABASE_URL. Both are
first brought to the same schema version; the target must be empty (a half-moved ledger is
never merged into). Rows go over with COPY, parents before children, keys kept (identity
sequences are moved past them); then the target is checked against the source: the same row
count per table, the same money sums, and a clean `Ledger.audit()`. Stop the bot first.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bot.db.errors import DatabaseError
from bot.db.postgres import PgTx, PostgresDatabase
from bot.db.sqlite import Database
from bot.db.store import Conn

TABLES = (
    "jobs",
    "holds",
    "entries",
    "grants",
    "limits",
    "admin_log",
    "ledger_meta",
    "totals",
    "eta_stats",
    "guild_settings",
    "moderation_events",
    "shared_deadlines",
    "member_preferences",
    "job_callbacks",
)
"""Every table, parents first (entries refer to holds)."""

IDENTITY = ("grants", "admin_log", "moderation_events")
"""Tables whose `id` PostgreSQL numbers itself: its sequence moves past the copied ids."""

MONEY_SUMS = {
    "held": "SELECT coalesce(sum(amount), 0) FROM holds",
    "open": "SELECT coalesce(sum(amount), 0) FROM holds WHERE settled IS NULL",
    "spent": "SELECT coalesce(sum(amount), 0) FROM entries",
    "quoted": "SELECT coalesce(sum(quoted), 0) FROM entries",
    "granted": "SELECT coalesce(sum(amount), 0) FROM grants",
    "totals": "SELECT coalesce(sum(spent), 0), coalesce(sum(held), 0) FROM totals",
}
"""Figures that must come out the same on both sides."""


class MoveRefused(DatabaseError):
    """The move cannot start (the target holds data) or did not add up (rolled back)."""


@dataclass(frozen=True)
class MoveReport:
    """What was copied: rows per table, and the money figures both sides agree on."""

    rows: dict[str, int]
    sums: dict[str, tuple[Any, ...]]


async def _counts(conn: Conn) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        row = await conn.fetchone(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
        counts[table] = int(row[0]) if row else 0
    return counts


async def _sums(conn: Conn) -> dict[str, tuple[Any, ...]]:
    sums = {}
    for name, query in MONEY_SUMS.items():
        row = await conn.fetchone(query)
        sums[name] = tuple(int(value) for value in row or ())
    return sums


async def _columns(conn: Conn, table: str) -> list[str]:
    return [str(row[1]) for row in await conn.fetchall(f"PRAGMA table_info({table})")]


async def _source_rows(conn: Conn, *, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    columns = await _columns(conn, table)
    order = " ORDER BY rowid" if table == "jobs" else ""  # jobs keep their insertion order
    query = f"SELECT {', '.join(columns)} FROM {table}{order}"  # noqa: S608 - from the schema
    return columns, await conn.fetchall(query)


async def copy_ledger(source: Database, target: PostgresDatabase) -> MoveReport:
    """Copy every row of `source` into the empty `target`; checked, all or nothing."""
    before = await source.read(_counts)
    sums = await source.read(_sums)
    if any((await target.read(_counts)).values()):
        raise MoveRefused(
            f"{target.name} already holds data: the move only fills an empty database"
        )
    tables = {}
    for table in TABLES:
        tables[table] = await source.read(partial(_source_rows, table=table))
    async with target.transaction() as tx:
        assert isinstance(tx, PgTx)
        raw: Any = tx.conn
        for table, (columns, rows) in tables.items():
            if rows:
                await raw.copy_records_to_table(table, records=rows, columns=columns)
        for table in IDENTITY:
            await raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        after = await target.read(_counts)
        moved_sums = await target.read(_sums)
        if after != before or moved_sums != sums:
            raise MoveRefused(
                f"the copy does not add up (rows {before} -> {after}, sums {sums} -> "
                f"{moved_sums}); nothing was kept"
            )
    return MoveReport(after, moved_sums)


async def migrate_to_postgres(path: Path, url: str) -> MoveReport:
    """Open both databases (migrating each to the current schema) and move the ledger."""
    if not await asyncio.to_thread(Path(path).is_file):
        raise MoveRefused(f"DATABASE_PATH: {path} does not exist: there is nothing to move")
    source = await Database.open(path)
    try:
        target = await PostgresDatabase.open(url)
        try:
            return await copy_ledger(source, target)
        finally:
            await target.close()
    finally:
        await source.close()


def describe(report: MoveReport) -> str:
    """The report as lines for the operator."""
    lines = [f"  {table}: {count} rows" for table, count in report.rows.items()]
    spent, held = report.sums["spent"][0], report.sums["open"][0]
    lines.append(f"  money: {spent} micro-dollars spent, {held} held, the same on both sides")
    return "\n".join(lines)


__all__ = ["MoveRefused", "MoveReport", "copy_ledger", "describe", "migrate_to_postgres"]
