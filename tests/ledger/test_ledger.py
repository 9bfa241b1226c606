"""The ledger as the job service and the admins use it: holds, settlements, limits, grants."""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import ConstraintViolation, Store
from bot.ledger import (
    BudgetExceeded,
    HoldNotFound,
    Ledger,
    LedgerError,
    MemberBusy,
    Settlement,
    SettlementConflict,
)
from bot.settings import Settings
from tests.engines import peek
from tests.ledger.helpers import (
    ADMIN,
    ALICE,
    BOB,
    GUILD,
    ROLE_GUEST,
    ROLE_VIP,
    USD,
    Clock,
    budget,
)

# -- two-phase holds ------------------------------------------------------------------------


async def test_reserve_then_capture_spends_the_held_amount(
    ledger: Ledger, db: Store, clock: Clock
) -> None:
    hold = await ledger.reserve("job-1", ALICE, GUILD, [], 2 * USD)

    assert (hold.job_id, hold.user_id, hold.guild_id, hold.amount) == (
        "job-1",
        ALICE,
        GUILD,
        2 * USD,
    )
    assert hold.expires_at == clock.now + timedelta(seconds=900)
    assert (await ledger.summary(ALICE, GUILD, [])).held == 2 * USD

    settlement = await ledger.capture("job-1")

    assert settlement == Settlement("job-1", "captured", 2 * USD, 2 * USD, None)
    summary = await ledger.summary(ALICE, GUILD, [])
    assert (summary.spent, summary.held, summary.remaining) == (2 * USD, 0, 3 * USD)
    assert await peek(db, "SELECT kind, amount, quoted FROM entries") == [
        ("capture", 2 * USD, 2 * USD)
    ]
    assert await peek(db, "SELECT settled FROM holds") == [("captured",)]


async def test_capture_at_the_actual_price_keeps_the_quote_beside_it(
    ledger: Ledger, db: Store
) -> None:
    await ledger.reserve("job-1", ALICE, GUILD, [], 2 * USD)

    settlement = await ledger.capture("job-1", 1_500_000)

    assert (settlement.amount, settlement.quoted) == (1_500_000, 2 * USD)
    assert (await ledger.summary(ALICE, GUILD, [])).spent == 1_500_000
    assert await peek(db, "SELECT amount, quoted FROM entries") == [(1_500_000, 2 * USD)]


async def test_release_spends_nothing_and_frees_the_budget(ledger: Ledger) -> None:
    await ledger.reserve("job-1", ALICE, GUILD, [], 5 * USD)

    settlement = await ledger.release("job-1", "failed")

    assert settlement == Settlement("job-1", "released", 0, 5 * USD, "failed")
    summary = await ledger.summary(ALICE, GUILD, [])
    assert (summary.spent, summary.held, summary.remaining) == (0, 0, 5 * USD)
    await ledger.reserve("job-2", ALICE, GUILD, [], 5 * USD)  # the whole budget is back


async def test_settling_twice_returns_the_first_outcome(ledger: Ledger, db: Store) -> None:
    await ledger.reserve("job-1", ALICE, GUILD, [], USD)
    await ledger.reserve("job-2", ALICE, GUILD, [], USD)
    first = await ledger.capture("job-1", 900_000)
    released = await ledger.release("job-2", "cancelled")

    assert await ledger.capture("job-1") == first
    assert await ledger.capture("job-1", 123) == first  # a late different price changes nothing
    assert await ledger.release("job-2", "again") == released
    assert await peek(db, "SELECT count(*) FROM entries") == [(2,)]
    assert (await ledger.summary(ALICE, GUILD, [])).spent == 900_000


async def test_capture_after_release_and_release_after_capture_are_refused_and_logged(
    ledger: Ledger, db: Store, caplog: pytest.LogCaptureFixture
) -> None:
    await ledger.reserve("job-1", ALICE, GUILD, [], USD)
    await ledger.reserve("job-2", ALICE, GUILD, [], USD)
    await ledger.release("job-1", "failed")
    await ledger.capture("job-2")

    with caplog.at_level(logging.ERROR, logger="bot.ledger"):
        with pytest.raises(SettlementConflict, match="already released"):
            await ledger.capture("job-1")
        with pytest.raises(SettlementConflict, match="already captured"):
            await ledger.release("job-2", "oops")

    assert [r.getMessage() for r in caplog.records] == [
        "refused to capture job job-1: it was already released",
        "refused to release job job-2: it was already captured",
    ]
    assert await peek(db, "SELECT job_id, kind FROM entries ORDER BY job_id") == [
        ("job-1", "release"),
        ("job-2", "capture"),
    ]


async def test_reserve_is_idempotent_by_job_id(ledger: Ledger, db: Store) -> None:
    first = await ledger.reserve("job-1", ALICE, GUILD, [], 4 * USD)

    assert await ledger.reserve("job-1", ALICE, GUILD, [], 4 * USD) == first
    assert await peek(db, "SELECT count(*) FROM holds") == [(1,)]
    assert (await ledger.summary(ALICE, GUILD, [])).held == 4 * USD  # not double-counted
    with pytest.raises(LedgerError, match="same figures"):
        await ledger.reserve("job-1", ALICE, GUILD, [], 3 * USD)
    await ledger.release("job-1", "failed")
    with pytest.raises(SettlementConflict, match="already released"):
        await ledger.reserve("job-1", ALICE, GUILD, [], 4 * USD)


async def test_unknown_jobs_and_bad_amounts_are_refused(ledger: Ledger) -> None:
    with pytest.raises(HoldNotFound):
        await ledger.capture("nope")
    with pytest.raises(HoldNotFound):
        await ledger.release("nope", "x")
    with pytest.raises(HoldNotFound):
        await ledger.pin("nope")
    with pytest.raises(HoldNotFound):
        await ledger.settlement("nope")
    with pytest.raises(ValueError, match=">= 0"):
        await ledger.reserve("job-1", ALICE, GUILD, [], -1)
    with pytest.raises(TypeError, match="micro-dollars"):
        await ledger.reserve("job-1", ALICE, GUILD, [], 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive id"):
        await ledger.reserve("job-1", 0, GUILD, [], USD)


async def test_settlement_reports_how_a_hold_ended(ledger: Ledger) -> None:
    await ledger.reserve("job-1", ALICE, GUILD, [], USD)
    assert await ledger.settlement("job-1") is None

    await ledger.capture("job-1", 800_000)

    assert await ledger.settlement("job-1") == Settlement("job-1", "captured", 800_000, USD, None)


async def test_a_capture_above_the_hold_is_recorded_as_billed_and_blocks_further_spend(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    await ledger.reserve("job-1", ALICE, GUILD, [], 4 * USD)

    with caplog.at_level(logging.WARNING, logger="bot.ledger"):
        settlement = await ledger.capture("job-1", 6 * USD)  # Atlas billed more than quoted

    assert (settlement.amount, settlement.quoted) == (6 * USD, 4 * USD)
    assert "overrun" in caplog.text
    summary = await ledger.summary(ALICE, GUILD, [])
    assert (summary.spent, summary.remaining) == (6 * USD, 0)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve("job-2", ALICE, GUILD, [], 1)
    assert (refused.value.limit, refused.value.remaining) == ("user", 0)


# -- expiry and pinning ---------------------------------------------------------------------


async def test_stale_unpinned_holds_expire_and_pinned_ones_do_not(
    ledger: Ledger, clock: Clock
) -> None:
    await ledger.reserve("never-sent", ALICE, GUILD, [], USD)
    await ledger.reserve("sent", ALICE, GUILD, [], USD)
    await ledger.pin("sent")
    clock.advance(seconds=899)
    assert await ledger.expire_stale_holds() == []

    clock.advance(seconds=1)
    assert await ledger.expire_stale_holds() == ["never-sent"]

    assert await ledger.settlement("never-sent") == Settlement(
        "never-sent", "released", 0, USD, "expired"
    )
    assert await ledger.settlement("sent") is None
    assert await ledger.expire_stale_holds(clock.now + timedelta(days=30)) == []
    assert (await ledger.summary(ALICE, GUILD, [])).held == USD


async def test_pinning_a_released_hold_is_refused_so_the_job_is_not_sent(
    ledger: Ledger, clock: Clock
) -> None:
    await ledger.reserve("job-1", ALICE, GUILD, [], USD)
    clock.advance(hours=1)
    assert await ledger.expire_stale_holds() == ["job-1"]

    with pytest.raises(SettlementConflict, match="do not submit"):
        await ledger.pin("job-1")


async def test_pin_is_idempotent_and_harmless_after_capture(ledger: Ledger, db: Store) -> None:
    await ledger.reserve("job-1", ALICE, GUILD, [], USD)
    await ledger.pin("job-1")
    pinned = await peek(db, "SELECT pinned_at FROM holds")
    await ledger.pin("job-1")
    await ledger.capture("job-1")
    await ledger.pin("job-1")

    assert await peek(db, "SELECT pinned_at FROM holds") == pinned


# -- limits ---------------------------------------------------------------------------------


async def test_budget_exceeded_says_which_limit_what_is_left_and_when_it_resets(
    ledger: Ledger, db: Store
) -> None:
    await ledger.reserve("job-1", ALICE, GUILD, [], 3 * USD)

    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve("job-2", ALICE, GUILD, [], 3 * USD)

    exc = refused.value
    assert (exc.limit, exc.needed, exc.remaining) == ("user", 3 * USD, 2 * USD)
    assert exc.resets_at == datetime(2026, 4, 1, tzinfo=UTC)
    assert "USD 2.00 left" in str(exc)
    assert await peek(db, "SELECT job_id FROM holds") == [("job-1",)]  # nothing recorded


async def test_the_shipped_config_supplies_the_defaults(db: Store, settings: Settings) -> None:
    ledger = Ledger(db, settings.budget)
    for n in range(5):  # two running and three waiting in line, per member
        await ledger.reserve(f"job-{n}", ALICE, GUILD, [], USD // 2)

    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve("job-6", ALICE, GUILD, [], USD // 2)
    assert refused.value.limit == "user_concurrency"
    summary = await ledger.summary(ALICE, GUILD, [])
    assert (summary.limit, summary.remaining) == (5 * USD, 5 * USD // 2)
    assert (await ledger.report(GUILD)).cap == 50 * USD


async def test_roles_give_their_highest_limit_and_a_user_override_beats_them(
    ledger: Ledger,
) -> None:
    await ledger.set_role_limit(GUILD, ROLE_VIP, 20 * USD, by=ADMIN)
    await ledger.set_role_limit(GUILD, ROLE_GUEST, 1 * USD, by=ADMIN)

    assert (await ledger.summary(ALICE, GUILD, [ROLE_GUEST])).limit == 1 * USD
    assert (await ledger.summary(ALICE, GUILD, [ROLE_GUEST, ROLE_VIP])).limit == 20 * USD
    assert (await ledger.summary(ALICE, GUILD, [])).limit == 5 * USD  # the default
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve("job-1", ALICE, GUILD, [ROLE_GUEST], 2 * USD)
    assert (refused.value.limit, refused.value.remaining) == ("role", USD)

    await ledger.set_user_limit(GUILD, ALICE, 2 * USD, by=ADMIN)

    assert (await ledger.summary(ALICE, GUILD, [ROLE_VIP])).limit == 2 * USD
    await ledger.reserve("job-1", ALICE, GUILD, [ROLE_VIP], 2 * USD)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve("job-2", ALICE, GUILD, [ROLE_VIP], 1)
    assert refused.value.limit == "user"

    await ledger.set_user_limit(GUILD, ALICE, None, by=ADMIN)  # back to the roles
    assert (await ledger.summary(ALICE, GUILD, [ROLE_VIP])).limit == 20 * USD


async def test_a_limit_of_zero_means_not_allowed(ledger: Ledger) -> None:
    await ledger.set_user_limit(GUILD, ALICE, 0, by=ADMIN)
    await ledger.grant(GUILD, ALICE, USD, "a gift does not lift a ban", by=ADMIN)

    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve("job-1", ALICE, GUILD, [], 1)
    assert (refused.value.limit, refused.value.resets_at) == ("not_allowed", None)
    assert (await ledger.summary(ALICE, GUILD, [])).remaining == 0

    await ledger.set_guild_cap(GUILD, 0, by=ADMIN)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve("job-2", BOB, GUILD, [], 1)
    assert refused.value.limit == "not_allowed"


async def test_the_guild_cap_stops_everyone_once_reached(ledger: Ledger) -> None:
    await ledger.set_guild_cap(GUILD, 6 * USD, by=ADMIN)
    await ledger.reserve("job-1", ALICE, GUILD, [], 4 * USD)
    await ledger.capture("job-1")

    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve("job-2", BOB, GUILD, [], 3 * USD)

    assert (refused.value.limit, refused.value.remaining) == ("guild", 2 * USD)
    report = await ledger.report(GUILD)
    assert (report.spent, report.cap, report.remaining) == (4 * USD, 6 * USD, 2 * USD)


async def test_grants_add_credit_for_the_period_they_are_given_in(
    ledger: Ledger, clock: Clock
) -> None:
    await ledger.reserve("job-1", ALICE, GUILD, [], 5 * USD)
    await ledger.grant(GUILD, ALICE, 2 * USD, "contest winner", by=ADMIN)

    await ledger.reserve("job-2", ALICE, GUILD, [], 2 * USD)
    summary = await ledger.summary(ALICE, GUILD, [])
    assert (summary.granted, summary.remaining) == (2 * USD, 0)
    with pytest.raises(ValueError, match="reason"):
        await ledger.grant(GUILD, ALICE, USD, "  ", by=ADMIN)
    with pytest.raises(ValueError, match="positive"):
        await ledger.grant(GUILD, ALICE, 0, "nothing", by=ADMIN)

    clock.now = datetime(2026, 4, 1, tzinfo=UTC)
    assert (await ledger.summary(ALICE, GUILD, [])).granted == 0


async def test_concurrency_limits_per_member_and_per_guild(ledger: Ledger) -> None:
    await ledger.set_guild_concurrency(GUILD, 3, by=ADMIN)
    await ledger.reserve("a1", ALICE, GUILD, [], 1)
    await ledger.reserve("a2", ALICE, GUILD, [], 1)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve("a3", ALICE, GUILD, [], 1)
    assert (refused.value.limit, refused.value.remaining, refused.value.resets_at) == (
        "user_concurrency",
        0,
        None,
    )
    await ledger.reserve("b1", BOB, GUILD, [], 1)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve("b2", BOB, GUILD, [], 1)
    assert refused.value.limit == "guild_concurrency"

    await ledger.capture("a1")  # a finished job frees its slot
    await ledger.reserve("b2", BOB, GUILD, [], 1)
    await ledger.set_user_concurrency(GUILD, 1, by=ADMIN)
    with pytest.raises(BudgetExceeded):
        await ledger.reserve("b3", BOB, GUILD, [], 1)


async def test_every_admin_change_is_recorded_with_who_made_it(
    ledger: Ledger, db: Store, clock: Clock
) -> None:
    await ledger.set_user_limit(GUILD, ALICE, 7 * USD, by=ADMIN)
    await ledger.set_role_limit(GUILD, ROLE_VIP, 9 * USD, by=BOB)
    await ledger.set_guild_cap(GUILD, 99 * USD, by=ADMIN)
    await ledger.grant(GUILD, ALICE, USD, "birthday", by=BOB)
    await ledger.set_user_limit(GUILD, ALICE, None, by=ADMIN)

    assert await peek(
        db, "SELECT actor_id, action, subject_id, amount, reason FROM admin_log ORDER BY id"
    ) == [
        (ADMIN, "set_user_limit", ALICE, 7 * USD, None),
        (BOB, "set_role_limit", ROLE_VIP, 9 * USD, None),
        (ADMIN, "set_guild_limit", 0, 99 * USD, None),
        (BOB, "grant", ALICE, USD, "birthday"),
        (ADMIN, "reset_user_limit", ALICE, None, None),
    ]
    assert await peek(db, "SELECT granted_by, reason FROM grants") == [(BOB, "birthday")]
    assert await peek(db, "SELECT scope, subject_id, set_by FROM limits ORDER BY scope") == [
        ("guild", 0, ADMIN),
        ("role", ROLE_VIP, BOB),
    ]


async def test_limits_are_per_guild(ledger: Ledger) -> None:
    await ledger.set_user_limit(GUILD, ALICE, 0, by=ADMIN)

    await ledger.reserve("elsewhere", ALICE, GUILD + 1, [], USD)

    assert (await ledger.summary(ALICE, GUILD + 1, [])).held == USD
    assert (await ledger.summary(ALICE, GUILD, [])).held == 0


# -- reading --------------------------------------------------------------------------------


async def test_summary_lists_recent_jobs_newest_first(ledger: Ledger, clock: Clock) -> None:
    for n in range(4):
        await ledger.reserve(f"job-{n}", ALICE, GUILD, [], USD)
        clock.advance(seconds=1)
        if n == 0:
            await ledger.capture("job-0", 700_000)
        elif n == 1:
            await ledger.release("job-1", "failed")
        elif n == 2:
            await ledger.capture("job-2")

    summary = await ledger.summary(ALICE, GUILD, [], recent=3)

    assert [(a.job_id, a.status, a.amount) for a in summary.recent] == [
        ("job-3", "held", USD),
        ("job-2", "captured", USD),
        ("job-1", "released", 0),
    ]
    assert summary.recent[0].at == clock.now - timedelta(seconds=1)
    assert (summary.spent, summary.held, summary.remaining) == (1_700_000, USD, 2_300_000)
    assert summary.period_start == datetime(2026, 3, 1, tzinfo=UTC)
    assert summary.resets_at == datetime(2026, 4, 1, tzinfo=UTC)


async def test_report_totals_and_top_spenders(ledger: Ledger) -> None:
    for job, user, amount in (("a", ALICE, 3), ("b", BOB, 4), ("c", ALICE, 2), ("d", BOB, 1)):
        await ledger.reserve(job, user, GUILD, [], amount * USD)
    for job in ("a", "b", "c"):
        await ledger.capture(job)

    report = await ledger.report(GUILD, top=1)

    assert (report.spent, report.held, report.cap) == (9 * USD, USD, 50 * USD)
    assert report.remaining == 40 * USD
    assert report.top_spenders == [(ALICE, 5 * USD)]
    assert (await ledger.report(GUILD)).top_spenders == [(ALICE, 5 * USD), (BOB, 4 * USD)]
    assert (await ledger.report(GUILD + 1)).spent == 0


async def test_export_csv_lists_every_money_move_in_the_window(
    ledger: Ledger, clock: Clock
) -> None:
    start = clock.now
    await ledger.reserve("job-1", ALICE, GUILD, [], 2 * USD)
    clock.advance(seconds=30)
    await ledger.capture("job-1", 1_250_000)
    await ledger.grant(GUILD, BOB, USD, "=HYPERLINK(evil)", by=ADMIN)
    await ledger.reserve("job-2", BOB, GUILD, [], USD)
    await ledger.release("job-2", "cancelled")
    clock.advance(days=1)
    await ledger.reserve("later", ALICE, GUILD, [], USD)

    text = await ledger.export_csv(GUILD, start, start + timedelta(hours=1))

    assert text.splitlines() == [
        "time_utc,kind,job_id,user_id,amount_micros,amount_usd,quoted_micros,reason,by_user_id",
        f"2026-03-10T12:00:00+00:00,hold,job-1,{ALICE},2000000,2.000000,,,",
        f"2026-03-10T12:00:30+00:00,hold,job-2,{BOB},1000000,1.000000,,,",
        f"2026-03-10T12:00:30+00:00,grant,,{BOB},1000000,1.000000,,'=HYPERLINK(evil),{ADMIN}",
        f"2026-03-10T12:00:30+00:00,capture,job-1,{ALICE},1250000,1.250000,2000000,,",
        f"2026-03-10T12:00:30+00:00,release,job-2,{BOB},0,0.000000,1000000,cancelled,",
    ]


async def test_ledger_uses_the_configured_time_zone_for_resets(db: Store, clock: Clock) -> None:
    ledger = Ledger(db, budget(period="day", timezone="America/New_York"), clock=clock)

    summary = await ledger.summary(ALICE, GUILD, [])

    assert summary.period_start == datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # EDT midnight
    assert summary.resets_at == datetime(2026, 3, 11, 4, 0, tzinfo=UTC)


async def test_spend_by_window_sums_captures_of_the_member_or_the_guild(
    ledger: Ledger, clock: Clock
) -> None:
    start = clock.now
    await ledger.reserve("job-1", ALICE, GUILD, [], 2 * USD)
    await ledger.capture("job-1", 1_250_000)
    await ledger.reserve("job-2", BOB, GUILD, [], USD)
    await ledger.release("job-2", "cancelled")
    await ledger.reserve("job-3", BOB, GUILD + 1, [], USD)
    await ledger.capture("job-3")
    clock.advance(hours=2)
    await ledger.reserve("job-4", BOB, GUILD, [], USD)
    await ledger.capture("job-4")
    await ledger.reserve("job-5", ALICE, GUILD, [], USD)  # held, not spent

    hour = timedelta(hours=1)
    windows = [(start, start + hour), (start + hour, start + 3 * hour), (start - hour, start)]

    assert await ledger.spend_by_window(GUILD, ALICE, windows) == [1_250_000, 0, 0]
    assert await ledger.spend_by_window(GUILD, BOB, windows) == [0, USD, 0]
    assert await ledger.spend_by_window(GUILD, None, windows) == [1_250_000, USD, 0]
    assert await ledger.spend_by_window(GUILD + 1, None, windows) == [USD, 0, 0]
    assert await ledger.spend_by_window(GUILD, None, []) == []


async def test_check_refuses_as_reserve_would_and_holds_nothing(db: Store, ledger: Ledger) -> None:
    await ledger.check(ALICE, GUILD, [], 5 * USD)
    await ledger.reserve("job-1", ALICE, GUILD, [], 3 * USD)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.check(ALICE, GUILD, [], 3 * USD)
    assert (refused.value.limit, refused.value.remaining) == ("user", 2 * USD)
    await ledger.check(ALICE, GUILD, [], 2 * USD)
    await ledger.reserve("job-2", ALICE, GUILD, [], USD)
    with pytest.raises(BudgetExceeded, match="user_concurrency"):
        await ledger.check(ALICE, GUILD, [], USD)
    await ledger.set_user_limit(GUILD, BOB, 0, by=ADMIN)
    with pytest.raises(BudgetExceeded, match="not allowed"):
        await ledger.check(BOB, GUILD, [], USD)
    assert await peek(db, "SELECT count(*) FROM holds") == [(2,)]
    assert await ledger.audit() == []


async def test_an_erased_member_becomes_a_pseudonym_and_every_total_stays(
    db: Store, ledger: Ledger, clock: Clock
) -> None:
    await ledger.set_user_limit(GUILD, ALICE, 4 * USD, by=ADMIN)
    await ledger.grant(GUILD, ALICE, USD, "birthday", by=ADMIN)
    await ledger.reserve("old", ALICE, GUILD, [], USD)
    await ledger.capture("old")
    clock.advance(days=31)  # another period
    for job, user in (("a-1", ALICE), ("a-2", ALICE), ("b-1", BOB)):
        await ledger.reserve(job, user, GUILD, [], USD)
        await ledger.capture(job, 900_000)
    await ledger.reserve("a-3", ALICE, GUILD, [], USD)
    await ledger.release("a-3", "cancelled")
    before = await ledger.report(GUILD)
    money = "SELECT count(*), sum(amount) FROM entries"

    moved = await ledger.anonymise_member(GUILD, ALICE, -4242, by=ADMIN)

    assert moved == 4
    assert await ledger.audit() == [], "the cached totals still equal what the rows derive"
    after = await ledger.report(GUILD)
    assert (after.spent, after.held) == (before.spent, before.held)
    assert [user for user, _ in after.top_spenders] == [-4242, BOB]
    assert await peek(db, money) == [(5, 4 * USD - 300_000)]
    for table, column in (
        ("holds", "user_id"),
        ("entries", "user_id"),
        ("grants", "user_id"),
        ("admin_log", "subject_id"),
    ):
        query = f"SELECT count(*) FROM {table} WHERE {column} = ?"  # noqa: S608
        assert await peek(db, query, ALICE) == [(0,)], table
    fresh = await ledger.summary(ALICE, GUILD, [])
    assert (fresh.spent, fresh.limit, fresh.granted) == (0, 5 * USD, 0), "a fresh start"
    assert (await ledger.summary(BOB, GUILD, [])).spent == 900_000, "others untouched"
    for statement, args in (
        ("UPDATE entries SET amount = 0", ()),
        ("UPDATE entries SET user_id = -1, amount = 0 WHERE user_id = ?", (BOB,)),
        ("UPDATE entries SET user_id = 7 WHERE user_id = -4242", ()),
        ("UPDATE grants SET user_id = ?", (BOB,)),
        ("UPDATE holds SET user_id = ? WHERE user_id = -4242", (BOB,)),
    ):
        with pytest.raises(ConstraintViolation):
            await db.run(lambda c, sql=statement, a=args: c.execute(sql, a))


async def test_a_member_with_money_on_hold_is_not_erased(db: Store, ledger: Ledger) -> None:
    await ledger.reserve("job-1", ALICE, GUILD, [], USD)
    with pytest.raises(MemberBusy):
        await ledger.anonymise_member(GUILD, ALICE, -1, by=ADMIN)
    assert await peek(db, "SELECT count(*) FROM holds WHERE user_id = ?", ALICE) == [(1,)]


@pytest.mark.parametrize(
    "reason",
    [" =HYPERLINK(evil)", "\n=HYPERLINK(evil)", "＝HYPERLINK(evil)", "\r\n@SUM(1)", "＋1", "－1"],
    ids=["space", "line-break", "full-width-equals", "crlf", "full-width-plus", "full-width-minus"],
)
async def test_export_csv_neutralises_every_way_a_cell_can_start_a_formula(
    ledger: Ledger, clock: Clock, reason: str
) -> None:
    start = clock.now
    await ledger.grant(GUILD, BOB, USD, reason, by=ADMIN)

    text = await ledger.export_csv(GUILD, start, start + timedelta(hours=1))

    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["reason"] == "'" + reason, "prefixed: a spreadsheet shows it as text"
