"""What both engines promise alike: one schema, the same versioning, append-only money rows,
transactions that commit together, writes that land; and PostgreSQL's own refusals."""

from __future__ import annotations

import asyncio

import pytest

from bot.db import ConstraintViolation, DatabaseCorrupt, DatabaseError, DatabaseTooNew, Store
from bot.db.pg_schema import PG_MIGRATIONS
from bot.db.schema import MIGRATIONS
from bot.ledger import BudgetExceeded, Ledger
from tests.engines import Target, peek, pg_url, shared_admin_url
from tests.ledger.helpers import ALICE, GUILD, USD, budget

_SQLITE_COLUMNS = (
    "SELECT m.name, p.name FROM sqlite_schema m JOIN pragma_table_info(m.name) p"
    " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
)
_PG_COLUMNS = (
    "SELECT table_name, column_name FROM information_schema.columns"
    " WHERE table_schema = current_schema() AND table_name <> 'avb_schema'"
)
_PG_ONLY = {("jobs", "seq")}  # SQLite's rowid, spelled out


def test_every_migration_exists_on_both_engines() -> None:
    assert len(PG_MIGRATIONS) == len(MIGRATIONS)
    assert all(PG_MIGRATIONS)
    assert all(MIGRATIONS)


async def test_both_engines_have_the_same_tables_and_columns(tmp_path: object) -> None:
    from pathlib import Path

    lite = await Target("sqlite", path=Path(str(tmp_path)) / "bot.sqlite3").open()
    pg = await Target("postgres", url=pg_url(shared_admin_url())).open()
    try:
        sqlite_columns = set(await peek(lite, _SQLITE_COLUMNS))
        pg_columns = set(await peek(pg, _PG_COLUMNS)) - _PG_ONLY
    finally:
        await lite.close()
        await pg.close()

    assert pg_columns == sqlite_columns
    assert {table for table, _ in sqlite_columns} >= {"jobs", "holds", "entries", "totals"}


async def test_a_postgres_database_of_a_newer_version_is_refused_and_left_alone() -> None:
    url = pg_url(shared_admin_url())
    db = await Target("postgres", url=url).open()
    newer = len(MIGRATIONS) + 1
    await db.run(lambda c: c.execute("UPDATE avb_schema SET version = ?", (newer,)))
    await db.close()

    with pytest.raises(DatabaseTooNew, match="newer version of the bot"):
        await Target("postgres", url=url).open()


async def test_a_postgres_database_of_another_program_is_refused_and_not_touched() -> None:
    url = pg_url(shared_admin_url())
    import asyncpg

    conn = await asyncpg.connect(url)
    await conn.execute("CREATE TABLE recipes (name TEXT)")
    try:
        with pytest.raises(DatabaseCorrupt, match="not an atlas-video-bot database"):
            await Target("postgres", url=url).open()
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    finally:
        await conn.close()
    assert [t["table_name"] for t in tables] == ["recipes"]


async def test_reopening_migrates_nothing_and_keeps_the_data(target: Target) -> None:
    first = await target.open()
    await Ledger(first, budget()).reserve("job-1", ALICE, GUILD, [], USD)
    await first.close()

    again = await target.open()
    try:
        assert await peek(again, "SELECT job_id, amount FROM holds") == [("job-1", USD)]
    finally:
        await again.close()


async def test_money_rows_are_append_only(db: Store, ledger: Ledger) -> None:
    await ledger.reserve("job-1", ALICE, GUILD, [], USD)
    await ledger.capture("job-1")
    await ledger.grant(GUILD, ALICE, USD, "why not", by=ALICE)

    for statement in (
        "UPDATE entries SET amount = 0",
        "DELETE FROM entries",
        "UPDATE grants SET amount = 1",
        "DELETE FROM grants",
        "DELETE FROM admin_log",
        "UPDATE holds SET amount = 1",
        "UPDATE holds SET settled = 'released'",
        "DELETE FROM holds",
    ):
        with pytest.raises(ConstraintViolation):
            await db.run(lambda c, sql=statement: c.execute(sql))

    assert await peek(db, "SELECT kind, amount FROM entries") == [("capture", USD)]


async def test_a_transaction_commits_together_or_not_at_all(db: Store, ledger: Ledger) -> None:
    async def half_done() -> None:
        async with db.transaction() as tx:
            await ledger.reserve("job-1", ALICE, GUILD, [], USD, tx=tx)
            raise RuntimeError("the job row could not be written")

    with pytest.raises(RuntimeError):
        await half_done()

    assert (await ledger.summary(ALICE, GUILD, [])).held == 0
    async with db.transaction() as tx:
        await ledger.reserve("job-1", ALICE, GUILD, [], USD, tx=tx)
        assert (await ledger.summary(ALICE, GUILD, [])).held == USD  # reads see the open tx
    assert not tx.is_open
    with pytest.raises(DatabaseError, match="closed"):
        await ledger.capture("job-1", tx=tx)


async def test_a_failed_step_inside_a_transaction_leaves_the_rest_of_it(
    db: Store, ledger: Ledger
) -> None:
    async with db.transaction() as tx:
        await ledger.reserve("job-1", ALICE, GUILD, [], 3 * USD, tx=tx)
        with pytest.raises(BudgetExceeded):
            await ledger.reserve("job-2", ALICE, GUILD, [], 3 * USD, tx=tx)

    assert (await ledger.summary(ALICE, GUILD, [])).held == 3 * USD


async def test_writing_without_tx_inside_an_open_transaction_is_an_error(
    db: Store, ledger: Ledger
) -> None:
    async with db.transaction():
        with pytest.raises(DatabaseError, match="pass tx="):
            await ledger.reserve("job-1", ALICE, GUILD, [], USD)
        with pytest.raises(DatabaseError, match="already open"):
            async with db.transaction():
                pass


async def test_writes_after_close_are_refused(target: Target) -> None:
    db = await target.open()
    ledger = Ledger(db, budget())
    await db.close()
    await db.close()  # twice is fine

    with pytest.raises(DatabaseError, match="closed"):
        await ledger.reserve("job-1", ALICE, GUILD, [], USD)


async def test_a_write_whose_caller_is_cancelled_still_lands(target: Target) -> None:
    db = await target.open()
    ledger = Ledger(db, budget())
    caller = asyncio.create_task(ledger.reserve("job-1", ALICE, GUILD, [], USD))
    await asyncio.sleep(0)  # the write is under way

    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await db.close()

    again = await target.open()
    try:
        assert await peek(again, "SELECT job_id, amount FROM holds") == [("job-1", USD)]
    finally:
        await again.close()


async def test_check_connects_to_postgresql_and_hides_the_password() -> None:
    from bot.check import _database_check
    from tests.conftest import make_env

    good = await _database_check(make_env(database_url=pg_url(shared_admin_url())))
    bad = await _database_check(
        make_env(database_url="postgresql://bot:hunter2@127.0.0.1:1/nowhere")
    )

    assert good.ok
    assert "schema is up to date" in good.detail
    assert not bad.ok
    assert bad.detail.startswith("DATABASE_URL:")
    assert "hunter2" not in bad.detail


async def test_check_hides_a_password_given_in_the_query_too(capsys: object) -> None:
    from bot.check import check_main
    from tests.conftest import make_env

    env = make_env(database_url="postgresql://bot@127.0.0.1:1/nowhere?password=hunter2-query")
    assert await check_main(env, timeout=1.0) == 1
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "DATABASE_URL:" in out
    assert "hunter2-query" not in out
    assert "password=***" in out
