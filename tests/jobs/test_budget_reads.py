"""What one member's /budget reads: their own days, never the whole server's ledger.

/budget and its forecast used to export the server's whole period as CSV and filter it in
Python while holding the database's only connection: with 50,000 rows one call took about a
second and ten at once stopped every other server's writes. The reads now sum per day from
indexes; the cost of a member's /budget must not grow with the size of the server's ledger.
SQLite's virtual-machine steps count the work, independent of the machine's speed.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.db import Conn, Database
from bot.db.times import to_micros
from bot.jobs.forecast import daily_spend, outlook
from bot.jobs.record import JobMeta
from bot.jobs.store import JobStore
from bot.ledger import Ledger
from tests.ledger.helpers import GUILD, USD, Clock, budget

MEMBER = 100_000_000_000_000_001
OTHER_GUILD = GUILD + 1
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
STEPS_PER_TICK = 100
_ids = itertools.count(1)
_PARAMS = json.dumps(
    JobMeta(prompt="a fox", duration=8, aspect_ratio="16:9", resolution="1080p", seed=1).to_json()
)


async def add_delivered(db: Database, guild_id: int, users: list[int], *, days: int) -> None:
    """One delivered job (job row, hold, capture) per entry of `users`, spread over `days`."""
    start = to_micros(NOW - timedelta(days=days))

    async def step(conn: Conn) -> None:
        for n, user in enumerate(users):
            job_id = f"job-{next(_ids)}"
            at = start + n * (days * 86_400_000_000 // max(1, len(users)))
            await conn.execute(
                "INSERT INTO jobs (id, user_id, guild_id, channel_id, model, params, state,"
                " quote, actual_price, created_at, updated_at) VALUES"
                " (?, ?, ?, 1, 'm', ?, 'delivered', ?, ?, ?, ?)",
                (job_id, user, guild_id, _PARAMS, USD, USD, at, at),
            )
            await conn.execute(
                "INSERT INTO holds (job_id, guild_id, user_id, amount, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (job_id, guild_id, user, USD, at, at + 1),
            )
            await conn.execute(
                "INSERT INTO entries (job_id, guild_id, user_id, kind, amount, quoted,"
                " period_at, at) VALUES (?, ?, ?, 'capture', ?, ?, ?, ?)",
                (job_id, guild_id, user, USD, USD, at, at + 60_000_000),
            )

    await db.run(step)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "bot.sqlite3")
    yield database
    await database.close()


async def budget_steps(db: Database, ledger: Ledger) -> int:
    """SQLite's work (in ticks of 100 VM steps) for everything /budget reads for MEMBER."""
    ticks = 0

    def tick() -> int:
        nonlocal ticks
        ticks += 1
        return 0

    await db._call(lambda conn: conn.set_progress_handler(tick, STEPS_PER_TICK))
    try:
        summary = await ledger.summary(MEMBER, GUILD, ())
        await JobStore(db).recent(MEMBER, GUILD, limit=5)
        await outlook(
            ledger,
            budget(),
            guild_id=GUILD,
            user_id=MEMBER,
            spent=summary.spent,
            remaining=summary.remaining,
            now=NOW,
        )
    finally:
        await db._call(lambda conn: conn.set_progress_handler(None, STEPS_PER_TICK))
    return ticks


async def test_a_members_budget_costs_the_same_in_a_quiet_and_in_a_busy_server(
    db: Database,
) -> None:
    ledger = Ledger(db, budget(), clock=Clock(NOW))
    await add_delivered(db, GUILD, [MEMBER] * 4, days=4)
    await add_delivered(db, GUILD, list(range(1, 201)), days=19)
    quiet = await budget_steps(db, ledger)

    await add_delivered(db, GUILD, [1 + n % 500 for n in range(20_000)], days=19)
    await add_delivered(db, OTHER_GUILD, [1 + n % 500 for n in range(5_000)], days=19)
    busy = await budget_steps(db, ledger)

    assert busy < quiet * 1.5 + 50, f"{quiet} ticks with 200 rows, {busy} with 20,200"


async def test_daily_spend_sums_captures_per_local_day(db: Database) -> None:
    ledger = Ledger(db, budget(), clock=Clock(NOW))
    await add_delivered(db, GUILD, [MEMBER, 7, MEMBER, 7], days=4)
    period_start = datetime(2026, 3, 1, tzinfo=UTC)
    zone = budget().zone
    end = datetime(2026, 4, 1, tzinfo=UTC)

    mine = await daily_spend(
        ledger, guild_id=GUILD, user_id=MEMBER, start=period_start, end=end, zone=zone
    )
    server = await daily_spend(
        ledger, guild_id=GUILD, user_id=None, start=period_start, end=end, zone=zone
    )

    assert len(mine) == len(server) == 31
    assert {d.day.day: d.amount for d in mine if d.amount} == {16: USD, 18: USD}
    assert {d.day.day: d.amount for d in server if d.amount} == {16: USD, 17: USD, 18: USD, 19: USD}
