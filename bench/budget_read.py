"""What one member's /budget costs everyone else: a busy server's ledger, read as /budget reads it.

    .venv/bin/python bench/budget_read.py [--rows 50000] [--members 500] [--keep DIR]

Builds `--rows` settled jobs (job row, hold and capture) in one server, spread over `--members`
members and the days of the current month so far, on SQLite with the shipped budget. Then it
times what /budget reads for one member (`Ledger.summary`, `JobStore.recent` and the forecast's
`outlook`, the calls the command makes), once alone and ten members at once, and how long a
write of another server (a reserve and its capture, as a job in another server makes them)
waits while those ten reads run: the SQLite connection serves one step at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import tempfile
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.db import Conn, Database
from bot.db.times import to_micros
from bot.jobs.forecast import outlook
from bot.jobs.record import JobMeta
from bot.jobs.store import JobStore
from bot.ledger import Ledger
from bot.ledger.book import Book
from bot.ledger.holds import claim_cache, ensure_totals
from bot.ledger.periods import PeriodRule
from bot.settings import BudgetConfig

GUILD = 1_000_000_000_000_001
OTHER_GUILD = 1_000_000_000_000_002
PRICE = 1_000_000  # USD 1.00 per video
NOW = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
"""The bench's clock: late in a month, so the period holds four weeks of spend."""
READERS = 10

CONFIG = Path(__file__).resolve().parents[1] / "config" / "bot.toml"
BUDGET = BudgetConfig.model_validate(tomllib.loads(CONFIG.read_text())["budget"])
"""The shipped budget (a month in UTC, USD 5.00 a member): the build writes its rows directly."""

_META = JobMeta(prompt="a red fox in the snow", duration=8, aspect_ratio="16:9",
                resolution="1080p", seed=1).to_json()  # fmt: skip


async def build(db: Database, rows: int, members: int) -> None:
    """`rows` delivered jobs of GUILD: job rows, holds and captures, in one transaction."""
    start = datetime(NOW.year, NOW.month, 1, tzinfo=UTC)
    span_us = to_micros(NOW - timedelta(hours=1)) - to_micros(start)
    params = json.dumps(_META)

    async def step(conn: Conn) -> None:
        for n in range(rows):
            job_id = f"{n:032x}"
            user = 1 + n % members
            at = to_micros(start) + span_us * n // rows
            await conn.execute(
                "INSERT INTO jobs (id, user_id, guild_id, channel_id, message_id, model, params,"
                " state, prediction_id, quote, actual_price, error, created_at, updated_at,"
                " submitted_at) VALUES (?, ?, ?, ?, NULL, ?, ?, 'delivered', ?, ?, ?, NULL,"
                " ?, ?, ?)",
                (job_id, user, GUILD, GUILD + 1, "google/gemini-omni-flash/text-to-video-developer",
                 params, f"pred-{n}", PRICE, PRICE, at, at + 60_000_000, at),
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO holds (job_id, guild_id, user_id, amount, created_at, expires_at,"
                " pinned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job_id, GUILD, user, PRICE, at, at + 900_000_000, at),
            )
            await conn.execute(
                "INSERT INTO entries (job_id, guild_id, user_id, kind, amount, quoted, reason,"
                " period_at, at) VALUES (?, ?, ?, 'capture', ?, ?, NULL, ?, ?)",
                (job_id, GUILD, user, PRICE, PRICE, at, at + 60_000_000),
            )

    await db.run(step)


async def budget_read(ledger: Ledger, jobs: JobStore, user_id: int) -> None:
    """What /budget reads for one member (bot/exts/budget/_cog.py), in the same order."""
    summary = await ledger.summary(user_id, GUILD, ())
    await jobs.recent(user_id, GUILD, limit=5)
    await outlook(
        ledger,
        BUDGET,
        guild_id=GUILD,
        user_id=user_id,
        spent=summary.spent,
        remaining=summary.remaining,
        now=NOW,
    )


async def warm_cache(db: Database, *, members: int) -> None:
    """The per-period totals of the server and of the members who read, as a live server has
    them (each reserve of theirs wrote them)."""
    book = Book.of(PeriodRule(BUDGET.period, BUDGET.zone), BUDGET)
    period = book.rule.period_at(NOW)
    keys = [(GUILD, 0), *((GUILD, user) for user in range(1, members + 1))]

    async def step(conn: Conn) -> None:
        await claim_cache(conn, book, None)
        await ensure_totals(conn, period, keys)

    await db.run(step)


_writes = itertools.count(1)


async def other_write(ledger: Ledger, job_id: str) -> None:
    """A job of another server (a member of its own each time): its hold, then its capture."""
    await ledger.reserve(job_id, next(_writes), OTHER_GUILD, (), PRICE)
    await ledger.capture(job_id)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


async def run(folder: Path, rows: int, members: int) -> None:
    db = await Database.open(folder / "budget.sqlite3")
    ledger = Ledger(db, BUDGET, clock=lambda: NOW)
    jobs = JobStore(db, clock=lambda: NOW)
    clock = time.perf_counter
    started = clock()
    await build(db, rows, members)
    await warm_cache(db, members=READERS)
    print(f"built {rows:,} delivered jobs of {members} members in one server "
          f"in {clock() - started:.1f} s")  # fmt: skip

    singles = []
    for n in range(5):
        before = clock()
        await budget_read(ledger, jobs, 1 + n)
        singles.append(clock() - before)
    print(f"one /budget read: median {_ms(statistics.median(singles))} (of 5)")

    idle = []
    for n in range(5):
        before = clock()
        await other_write(ledger, f"idle-{n}")
        idle.append(clock() - before)
    print(f"another server's write, nothing else running: median {_ms(statistics.median(idle))}")

    before = clock()
    readers = [asyncio.create_task(budget_read(ledger, jobs, 1 + n)) for n in range(READERS)]
    waits: list[float] = []

    async def write_meanwhile() -> None:
        """Another server's jobs keep moving money while the reads run: each write's wait."""
        n = 0
        while not all(reader.done() for reader in readers):
            write_started = clock()
            await other_write(ledger, f"during-{n}")
            waits.append(clock() - write_started)
            n += 1

    await asyncio.gather(*readers, write_meanwhile())
    print(f"{READERS} /budget reads at once: all answered in {_ms(clock() - before)}")
    print(f"another server's writes meanwhile: {len(waits)}, the longest took {_ms(max(waits))}, "
          f"median {_ms(statistics.median(waits))}")  # fmt: skip
    problems = await ledger.audit()
    await db.close()
    if problems:
        raise SystemExit(f"audit failed: {problems[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="settled jobs in the server")
    parser.add_argument("--members", type=int, default=500, help="members who made them")
    parser.add_argument("--keep", type=Path, help="write the database here, not in a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="budget-bench-") as temp:
        folder = args.keep or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(folder, args.rows, args.members))


if __name__ == "__main__":
    main()
