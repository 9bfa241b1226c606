"""Ledger benchmark: reserve+capture pairs per second, reserve latency, file size.

    .venv/bin/python bench/ledger.py [--jobs 100000] [--keep DIR] [--backend postgres]

`--backend postgres` runs the same figures on PostgreSQL over loopback: on TEST_DATABASE_URL,
or on a throwaway server it starts (as the tests do), each run in a fresh schema.
Three runs on fresh databases: one member doing every job; 1,000 members of one guild taking
turns; and whole jobs (job row + hold, then capture + job advance, one transaction each, as
the job service does them), whose file size is the one to plan disk space with.
Target on a 2-core machine: >= 5,000 pairs/s and p99 reserve <= 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.db import Database, Store
from bot.jobs.record import JobRecord, JobState
from bot.jobs.store import JobStore
from bot.ledger import SERVER_CODE, Ledger
from bot.settings import BudgetConfig

Opener = Callable[[str], Awaitable[Store]]
"""Opens a fresh database for one run, named after it."""

GUILD = 1_000_000_000_000_001
PRICE = 1_000_000  # USD 1.00 per video

BUDGET = BudgetConfig.model_validate(
    {
        "default_user_limit_usd": "100000000",  # no money limit gets in the way
        "default_guild_cap_usd": "100000000",
        "max_concurrent_jobs_per_user": 10_000,
        "max_concurrent_jobs_per_guild": 10_000,
    }
)


async def _close_measuring(db: Store) -> int:
    """Close the database; bytes on disk: the SQLite file once closed (its WAL checkpointed
    away), or the schema's tables and indexes."""
    if isinstance(db, Database):
        await db.close()
        return sum(p.stat().st_size for p in db.path.parent.glob(db.path.name + "*"))
    query = (
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
    )
    row = await db.read(lambda conn: conn.fetchone(query))
    await db.close()
    return int(row[0]) if row else 0


async def ledger_pairs(
    open_db: Opener, name: str, jobs: int, users: int, workers: int
) -> tuple[float, list[float], int]:
    """`workers` tasks doing reserve+capture pairs until `jobs` are done; pairs/s, each
    reserve's latency in seconds, and the bytes used."""
    db = await open_db(name)
    ledger = Ledger(db, BUDGET)
    latencies: list[float] = []
    clock = time.perf_counter
    next_job = iter(range(jobs))

    async def worker() -> None:
        for n in next_job:
            job_id = f"job-{n:08d}"
            before = clock()
            await ledger.reserve(job_id, 1 + n % users, GUILD, (), PRICE)
            latencies.append(clock() - before)
            await ledger.capture(job_id, PRICE - 1000)

    started = clock()
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = clock() - started
    problems = await ledger.audit()
    size = await _close_measuring(db)
    if problems:
        raise SystemExit(f"audit failed: {problems[:3]}")
    return jobs / elapsed, latencies, size


async def whole_jobs(open_db: Opener, name: str, jobs: int, users: int) -> tuple[float, int]:
    """Job row + hold, then capture + job advance, in two transactions per job; jobs/s and
    the bytes used."""
    db = await open_db(name)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
    ledger, store = Ledger(db, BUDGET), JobStore(db)
    started = time.perf_counter()
    for n in range(jobs):
        user, job_id, at = 1 + n % users, f"job-{n:08d}", now()
        record = JobRecord(
            id=job_id,
            user_id=user,
            guild_id=GUILD,
            channel_id=GUILD + 1,
            message_id=None,
            model="google/gemini-omni-flash/text-to-video-developer",
            params={"prompt": f"a red fox in the snow, take {n}", "duration": 8, "seed": n},
            state=JobState.HELD,
            prediction_id=None,
            quote=PRICE,
            actual_price=None,
            error=None,
            created_at=at,
            updated_at=at,
            submitted_at=None,
        )
        async with db.transaction() as tx:
            await store.create(record, tx=tx)
            await ledger.reserve(job_id, user, GUILD, (), PRICE, tx=tx)
        async with db.transaction() as tx:
            await ledger.capture(job_id, tx=tx)
            await store.advance(job_id, JobState.DELIVERED, tx=tx, actual_price=PRICE)
    elapsed = time.perf_counter() - started
    size = await _close_measuring(db)
    return jobs / elapsed, size


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def _latency(latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return f"reserve p50 {_ms(cuts[49])}, p99 {_ms(cuts[98])}, max {_ms(max(latencies))}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000, help="jobs per run")
    parser.add_argument("--workers", type=int, default=16, help="concurrent tasks (2nd run)")
    parser.add_argument("--keep", type=Path, help="write the files here instead of a temp dir")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as temp:
        folder = args.keep or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        if args.backend == "postgres":
            open_db = _postgres()
            print(f"{args.jobs:,} jobs per run, PostgreSQL over loopback, a fresh schema each")
        else:

            async def open_db(name: str) -> Store:
                return await Database.open(folder / f"{name}.sqlite3")

            print(f"{args.jobs:,} jobs per run, SQLite WAL, synchronous=NORMAL")
        for workers in (1, args.workers):
            mode = "one at a time" if workers == 1 else f"{workers} at a time"
            print(f"-- reserve+capture pairs, {mode}")
            for label, users in (("one member", 1), ("1,000 members", 1000)):
                name = f"pairs-{users}-{workers}"
                rate, latencies, size = await ledger_pairs(open_db, name, args.jobs, users, workers)
                print(f"{label:>14}: {rate:,.0f} pairs/s; {_latency(latencies)}")
                if workers == 1:
                    print(f"{'':>14}  ledger only: {size:,} bytes")
        rate, size = await whole_jobs(open_db, "jobs", args.jobs, 1000)
        print("-- whole jobs, one at a time (job row + hold; capture + advance)")
        print(f"{'1,000 members':>14}: {rate:,.0f} jobs/s")
        print(f"{'':>14}  database after {args.jobs:,} jobs: {size:,} bytes")


def _postgres() -> Opener:
    """Fresh schemas on TEST_DATABASE_URL or on a throwaway server (stopped at exit)."""
    from bot.db.postgres import PostgresDatabase

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's tests/
    from tests.engines import pg_url, shared_admin_url

    admin = shared_admin_url()
    if admin is None or admin.startswith("error:"):
        raise SystemExit(f"no PostgreSQL: install postgresql or set TEST_DATABASE_URL ({admin})")

    async def open_db(name: str) -> Store:
        return await PostgresDatabase.open(pg_url(admin), server_code=SERVER_CODE)

    return open_db


if __name__ == "__main__":
    asyncio.run(main())
