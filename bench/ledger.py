"""Ledger benchmark: reserve+capture pairs per second, reserve latency, file size.

    .venv/bin/python bench/ledger.py [--jobs 100000] [--keep DIR]

Three runs on fresh files: one member doing every job; 1,000 members of one guild taking
turns; and whole jobs (job row + hold, then capture + job advance, one transaction each, as
the job service does them), whose file size is the one to plan disk space with.
Target on a 2-core machine: >= 5,000 pairs/s and p99 reserve <= 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.jobs.store import JobRecord, JobState, JobStore
from bot.ledger import Database, Ledger
from bot.settings import BudgetConfig

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


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def ledger_pairs(
    path: Path, jobs: int, users: int, workers: int
) -> tuple[float, list[float]]:
    """`workers` tasks doing reserve+capture pairs until `jobs` are done; pairs/s and each
    reserve's latency in seconds."""
    db = await Database.open(path)
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
    await db.close()
    if problems:
        raise SystemExit(f"audit failed: {problems[:3]}")
    return jobs / elapsed, latencies


async def whole_jobs(path: Path, jobs: int, users: int) -> float:
    """Job row + hold, then capture + job advance, in two transactions per job; jobs/s."""
    db = await Database.open(path)
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
    await db.close()
    return jobs / elapsed


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as temp:
        folder = args.keep or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{args.jobs:,} jobs per run, SQLite WAL, synchronous=NORMAL")
        for workers in (1, args.workers):
            mode = "one at a time" if workers == 1 else f"{workers} at a time"
            print(f"-- reserve+capture pairs, {mode}")
            for label, users in (("one member", 1), ("1,000 members", 1000)):
                path = folder / f"pairs-{users}-{workers}.sqlite3"
                rate, latencies = await ledger_pairs(path, args.jobs, users, workers)
                print(f"{label:>14}: {rate:,.0f} pairs/s; {_latency(latencies)}")
                if workers == 1:
                    print(f"{'':>14}  ledger-only file: {_size(path):,} bytes")
        path = folder / "jobs.sqlite3"
        rate = await whole_jobs(path, args.jobs, 1000)
        print("-- whole jobs, one at a time (job row + hold; capture + advance)")
        print(f"{'1,000 members':>14}: {rate:,.0f} jobs/s")
        print(f"{'':>14}  file after {args.jobs:,} jobs: {_size(path):,} bytes")


if __name__ == "__main__":
    asyncio.run(main())
