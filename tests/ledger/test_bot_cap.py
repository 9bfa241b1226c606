"""The bot-wide cap: the operator's whole Atlas bill per period, across every server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.db import Store
from bot.ledger import BudgetExceeded, Ledger
from tests.engines import Target, peek
from tests.ledger.helpers import ALICE, BOB, GUILD, USD, Clock, budget

OTHER_GUILD = GUILD + 1


@pytest.fixture
def bot_ledger(db: Store, clock: Clock) -> Ledger:
    return Ledger(db, budget(default_bot_cap_usd="3.00"), clock=clock)


async def test_the_bot_cap_counts_every_server_together(bot_ledger: Ledger) -> None:
    await bot_ledger.reserve("a", ALICE, GUILD, [], 2 * USD)
    await bot_ledger.capture("a")

    with pytest.raises(BudgetExceeded) as refused:
        await bot_ledger.reserve("b", BOB, OTHER_GUILD, [], 2 * USD)

    assert (refused.value.limit, refused.value.remaining) == ("bot", USD)
    assert refused.value.resets_at == datetime(2026, 4, 1, tzinfo=UTC)
    await bot_ledger.reserve("c", BOB, OTHER_GUILD, [], USD)  # exactly what is left
    assert await bot_ledger.audit() == []


async def test_a_release_gives_the_bot_cap_back(bot_ledger: Ledger) -> None:
    await bot_ledger.reserve("a", ALICE, GUILD, [], 3 * USD)
    with pytest.raises(BudgetExceeded):
        await bot_ledger.reserve("b", BOB, OTHER_GUILD, [], 1)

    await bot_ledger.release("a", "failed")

    await bot_ledger.reserve("b", BOB, OTHER_GUILD, [], 3 * USD)
    assert await bot_ledger.audit() == []


async def test_a_cap_set_later_counts_what_was_spent_before_it(db: Store, clock: Clock) -> None:
    uncapped = Ledger(db, budget(), clock=clock)
    await uncapped.reserve("a", ALICE, GUILD, [], 2 * USD)
    await uncapped.capture("a")
    await uncapped.reserve("b", BOB, OTHER_GUILD, [], USD)

    capped_now = Ledger(db, budget(default_bot_cap_usd="3.50"), clock=clock)

    with pytest.raises(BudgetExceeded) as refused:
        await capped_now.reserve("c", BOB, OTHER_GUILD, [], USD)
    assert (refused.value.limit, refused.value.remaining) == ("bot", USD // 2)
    await capped_now.reserve("d", BOB, OTHER_GUILD, [], USD // 2)  # what is left fits
    bot_row = "SELECT spent, held FROM totals WHERE guild_id = 0 AND user_id = 0"
    assert await peek(db, bot_row) == [(2 * USD, USD + USD // 2)]
    assert await capped_now.audit() == []
    await uncapped.release("b", "failed")  # the cap lifted again: the cache follows
    assert await uncapped.audit() == []


async def test_a_bot_cap_of_zero_allows_nothing(db: Store) -> None:
    ledger = Ledger(db, budget(default_bot_cap_usd="0"))

    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve("a", ALICE, GUILD, [], 1)

    assert refused.value.limit == "not_allowed"


async def test_two_stores_racing_200_reserves_across_servers_make_exactly_10_holds(
    target: Target,
) -> None:
    config = budget(
        default_bot_cap_usd="10.00",
        max_concurrent_jobs_per_user=1000,
        max_concurrent_jobs_per_guild=1000,
    )
    first, second = await target.open(), await target.open()
    try:
        ledgers = [Ledger(first, config), Ledger(second, config)]

        async def one(n: int) -> object:
            await asyncio.sleep(0)
            ledger = ledgers[n % 2]
            return await ledger.reserve(f"job-{n}", 1000 + n, GUILD + n % 7, [], USD)

        outcomes = await asyncio.gather(*(one(n) for n in range(200)), return_exceptions=True)

        refused = [o for o in outcomes if isinstance(o, BudgetExceeded)]
        assert len(refused) == 190
        assert {r.limit for r in refused} == {"bot"}
        assert await peek(first, "SELECT count(*), sum(amount) FROM holds") == [(10, 10 * USD)]
        assert await ledgers[1].audit() == []
    finally:
        await first.close()
        await second.close()
