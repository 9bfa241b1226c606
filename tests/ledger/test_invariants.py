"""The invariants listed in bot/ledger/ledger.py, each shown to hold.

(1) and (2) after every step of random sequences: tests/ledger/test_property.py.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.db import Store
from bot.ledger import BudgetExceeded, Ledger
from tests.engines import Target, peek
from tests.ledger.helpers import ADMIN, ALICE, GUILD, USD, Clock, budget

ROOT = Path(__file__).resolve().parents[2]

# -- (3) concurrent reserves never oversubscribe ---------------------------------------------


def _roomy(**overrides: object) -> dict[str, object]:
    # Only the money limit should bite: concurrency limits well above the 200 callers.
    values: dict[str, object] = {
        "default_user_limit_usd": "10.00",
        "max_concurrent_jobs_per_user": 1000,
        "max_concurrent_jobs_per_guild": 1000,
    }
    values.update(overrides)
    return values


async def _race(ledgers: list[Ledger], callers: int, user_of: dict[int, int]) -> list[object]:
    async def one(n: int) -> object:
        await asyncio.sleep(0)
        ledger = ledgers[n % len(ledgers)]
        return await ledger.reserve(f"job-{n:03d}", user_of.get(n, ALICE), GUILD, [], USD)

    return await asyncio.gather(*(one(n) for n in range(callers)), return_exceptions=True)


async def test_200_concurrent_reserves_on_one_store_make_exactly_10_holds(db: Store) -> None:
    ledger = Ledger(db, budget(**_roomy()))

    outcomes = await _race([ledger], 200, {})

    refused = [o for o in outcomes if isinstance(o, BudgetExceeded)]
    assert len(refused) == 190
    assert {(r.limit, r.remaining) for r in refused} == {("user", 0)}
    assert await peek(db, "SELECT count(*), sum(amount) FROM holds") == [(10, 10 * USD)]
    assert await ledger.audit() == []


async def test_200_concurrent_reserves_on_two_stores_sharing_the_file_make_exactly_10_holds(
    target: Target,
) -> None:
    first, second = await target.open(), await target.open()
    try:
        ledgers = [Ledger(first, budget(**_roomy())), Ledger(second, budget(**_roomy()))]

        outcomes = await _race(ledgers, 200, {})

        held = [o for o in outcomes if not isinstance(o, BaseException)]
        assert len(held) == 10
        assert all(isinstance(o, BudgetExceeded) for o in outcomes if o not in held)
        assert await peek(first, "SELECT count(*), sum(amount) FROM holds") == [(10, 10 * USD)]
        assert await ledgers[0].audit() == []
        assert (await ledgers[1].summary(ALICE, GUILD, [])).held == 10 * USD
    finally:
        await first.close()
        await second.close()


async def test_two_stores_racing_many_members_never_pass_the_guild_cap(target: Target) -> None:
    first, second = await target.open(), await target.open()
    config = budget(**_roomy(default_guild_cap_usd="10.00"))
    try:
        ledgers = [Ledger(first, config), Ledger(second, config)]

        outcomes = await _race(ledgers, 200, {n: 1000 + n for n in range(200)})

        refused = [o for o in outcomes if isinstance(o, BudgetExceeded)]
        assert len(refused) == 190
        assert {r.limit for r in refused} == {"guild"}
        assert await peek(second, "SELECT count(*) FROM holds") == [(10,)]
    finally:
        await first.close()
        await second.close()


async def test_concurrent_reserves_respect_the_concurrency_limit(db: Store) -> None:
    ledger = Ledger(db, budget())  # two jobs at once per member

    outcomes = await _race([ledger], 50, {})

    assert sum(not isinstance(o, BaseException) for o in outcomes) == 2


# -- (5) period rollover -------------------------------------------------------------------


async def test_spend_in_the_last_second_of_a_period_does_not_count_in_the_next(
    db: Store,
) -> None:
    clock = Clock(datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC))
    ledger = Ledger(db, budget(), clock=clock)
    await ledger.reserve("late", ALICE, GUILD, [], 3 * USD)
    await ledger.capture("late")
    await ledger.reserve("held-over", ALICE, GUILD, [], 2 * USD)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve("one-too-many", ALICE, GUILD, [], 1)
    assert refused.value.resets_at == datetime(2026, 4, 1, tzinfo=UTC)

    clock.advance(seconds=1)  # 2026-04-01 00:00:00: a new month
    await ledger.reserve("fresh", ALICE, GUILD, [], 5 * USD)
    await ledger.capture("held-over")  # captured in April, counts in March with its hold

    april = await ledger.summary(ALICE, GUILD, [])
    march = await ledger.summary(ALICE, GUILD, [], now=datetime(2026, 3, 31, tzinfo=UTC))
    assert (april.spent, april.held, april.remaining) == (0, 5 * USD, 0)
    assert (march.spent, march.held, march.remaining) == (5 * USD, 0, 0)
    assert (await ledger.report(GUILD)).top_spenders == []
    assert await ledger.audit() == []


async def test_rollover_follows_the_configured_zone_and_period(db: Store) -> None:
    # Weekly in Tokyo (UTC+9): the week ends on Monday 00:00 JST = Sunday 15:00 UTC.
    clock = Clock(datetime(2026, 3, 15, 14, 59, 59, tzinfo=UTC))
    ledger = Ledger(db, budget(period="week", timezone="Asia/Tokyo"), clock=clock)
    await ledger.reserve("sunday", ALICE, GUILD, [], 5 * USD)
    await ledger.capture("sunday")
    with pytest.raises(BudgetExceeded):
        await ledger.reserve("still-sunday", ALICE, GUILD, [], 1)

    clock.advance(seconds=1)

    await ledger.reserve("monday", ALICE, GUILD, [], 5 * USD)
    assert (await ledger.summary(ALICE, GUILD, [])).period_start == clock.now


async def test_a_changed_period_rule_never_reads_stale_totals(db: Store) -> None:
    clock = Clock(datetime(2026, 3, 10, 12, tzinfo=UTC))  # a Tuesday
    monthly = Ledger(db, budget(), clock=clock)
    await monthly.reserve("monday", ALICE, GUILD, [], USD)
    await monthly.capture("monday")
    clock.now = datetime(2026, 3, 2, 12, tzinfo=UTC)  # the week before
    await monthly.reserve("last-week", ALICE, GUILD, [], 2 * USD)
    await monthly.capture("last-week")
    clock.now = datetime(2026, 3, 10, 13, tzinfo=UTC)

    await monthly.grant(GUILD, ALICE, 2 * USD, "make room", by=ADMIN)
    weekly = Ledger(db, budget(period="week"), clock=clock)  # the admin changed the config

    assert (await weekly.summary(ALICE, GUILD, [])).spent == USD
    await weekly.reserve("tuesday", ALICE, GUILD, [], 4 * USD)
    with pytest.raises(BudgetExceeded):  # the week: 1 spent + 4 held of 5 + 2 granted
        await weekly.reserve("too-much", ALICE, GUILD, [], 2 * USD + 1)
    assert await weekly.audit() == []

    back = Ledger(db, budget(), clock=clock)  # ... and changed it back within the month
    summary = await back.summary(ALICE, GUILD, [])
    assert (summary.spent, summary.held) == (3 * USD, 4 * USD)
    with pytest.raises(BudgetExceeded) as refused:
        await back.reserve("over", ALICE, GUILD, [], 1)  # 3 + 4 + 1 micro > 5 + 2 granted
    assert refused.value.remaining == 0
    await back.capture("tuesday", USD)
    assert (await back.summary(ALICE, GUILD, [])).remaining == 3 * USD
    assert await back.audit() == []


# -- (6) crash between reserve and capture --------------------------------------------------

_CRASHING_BOT = """
import asyncio, os, sys
from datetime import UTC, datetime
from pathlib import Path
from bot.ledger import SERVER_CODE, Ledger
from bot.db import open_store
from tests.ledger.helpers import ALICE, GUILD, USD, Clock, budget

async def main() -> None:
    db = await open_store(sys.argv[2] or None, Path(sys.argv[1]), server_code=SERVER_CODE)
    ledger = Ledger(db, budget(), clock=Clock())
    await ledger.reserve("committed", ALICE, GUILD, [], 2 * USD)
    async with db.transaction() as tx:
        await ledger.reserve("in-flight", ALICE, GUILD, [], USD, tx=tx)
        print("reserved", flush=True)
        os._exit(0)  # the power goes: no commit, no close, no checkpoint

asyncio.run(main())
"""


async def test_a_crash_between_reserve_and_capture_keeps_the_hold_once(target: Target) -> None:
    crashed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        textwrap.dedent(_CRASHING_BOT),
        str(target.path),
        target.url or "",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(crashed.communicate(), timeout=60)
    assert stdout == b"reserved\n", stderr.decode()

    db = await target.open()
    try:
        ledger = Ledger(db, budget(), clock=Clock())
        assert (await ledger.summary(ALICE, GUILD, [])).held == 2 * USD
        assert await ledger.settlement("committed") is None
        assert await ledger.audit() == []
        await ledger.capture("committed")
        await ledger.capture("committed")
        summary = await ledger.summary(ALICE, GUILD, [])
        assert (summary.spent, summary.held, summary.remaining) == (2 * USD, 0, 3 * USD)
        assert await peek(db, "SELECT job_id FROM holds") == [("committed",)]
    finally:
        await db.close()


# -- (4) the cache equals the derived balances ----------------------------------------------


async def test_cached_totals_equal_the_sums_derived_from_entries(db: Store) -> None:
    clock = Clock()
    ledger = Ledger(db, budget(default_guild_cap_usd="1000"), clock=clock)
    await ledger.set_guild_concurrency(GUILD, 1000, by=ADMIN)
    await ledger.set_user_concurrency(GUILD, 1000, by=ADMIN)
    for n in range(60):
        user = 1000 + n % 7
        await ledger.reserve(f"job-{n}", user, GUILD, [], 100_000 + n)
        if n % 3 == 0:
            await ledger.capture(f"job-{n}", 50_000 + n)
        elif n % 3 == 1:
            await ledger.release(f"job-{n}", "failed")
        clock.advance(days=2)

    assert await ledger.audit() == []
    cached = await peek(db, "SELECT sum(spent), sum(held) FROM totals WHERE user_id != 0")
    spent = (await peek(db, "SELECT sum(amount) FROM entries"))[0][0]
    held = (await peek(db, "SELECT sum(amount) FROM holds WHERE settled IS NULL"))[0][0]
    assert cached == [(spent, held)]


async def test_audit_notices_a_tampered_cache(db: Store) -> None:
    ledger = Ledger(db, budget())
    await ledger.reserve("job-1", ALICE, GUILD, [], USD)
    await db.run(lambda conn: conn.execute("UPDATE totals SET held = held + 1"))

    problems = await ledger.audit()

    assert len(problems) == 2
    assert "cached spent=0 held=1000001, derived spent=0 held=1000000" in problems[0]


async def test_expiry_releases_a_hold_made_just_before_a_rollover_in_its_own_period(
    db: Store,
) -> None:
    clock = Clock(datetime(2026, 3, 31, 23, 55, tzinfo=UTC))
    ledger = Ledger(db, budget(), clock=clock)
    await ledger.reserve("stale", ALICE, GUILD, [], 5 * USD)

    expired = await ledger.expire_stale_holds(clock.now + timedelta(hours=1))

    assert expired == ["stale"]
    assert await ledger.audit() == []
    clock.advance(hours=1)
    assert (await ledger.summary(ALICE, GUILD, [])).remaining == 5 * USD
