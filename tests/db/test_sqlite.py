"""The SQLite file: created on first start, checked and migrated on every start, never
silently replaced; transactions and group commits that keep their promises.

(What both engines share is tested on both through the `target` fixture elsewhere; this
module is about SQLite's file, so its `target` is SQLite only.)"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.db import (
    Conn,
    Database,
    DatabaseCorrupt,
    DatabaseError,
    DatabaseTooNew,
    DatabaseUnavailable,
)
from bot.db import migrate as migrate_module
from bot.db import sqlite as db_module
from bot.db.schema import APPLICATION_ID, MIGRATIONS
from bot.ledger import HoldNotFound, Ledger
from tests.engines import Target
from tests.ledger.helpers import (
    ALICE,
    GUILD,
    USD,
    Clock,
    budget,
    read_bytes,
    rows,
    write_bytes,
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
def target(db_path: Path) -> Target:
    return Target("sqlite", path=db_path)


async def test_first_start_creates_the_folder_and_a_migrated_wal_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "bot.sqlite3"

    db = await Database.open(path)
    try:

        async def pragmas_of(conn: Conn) -> list[Any]:
            names = ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
            return [(await conn.fetchone(f"PRAGMA {name}") or [None])[0] for name in names]

        pragmas = await db.read(pragmas_of)
    finally:
        await db.close()

    assert pragmas == ["wal", 1, 1, 5000]  # synchronous 1 = NORMAL
    assert rows(path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert rows(path, "PRAGMA application_id") == [(APPLICATION_ID,)]
    tables = {name for (name,) in rows(path, "SELECT name FROM sqlite_schema WHERE type='table'")}
    assert {"jobs", "holds", "entries", "limits", "grants", "admin_log", "totals"} <= tables


async def test_reopening_keeps_the_data_and_does_not_migrate_again(db_path: Path) -> None:
    db = await Database.open(db_path)
    await Ledger(db, budget()).reserve("job-1", ALICE, GUILD, [], USD)
    await db.close()

    db = await Database.open(db_path)
    try:
        summary = await Ledger(db, budget()).summary(ALICE, GUILD, [])
    finally:
        await db.close()

    assert summary.held == USD
    assert rows(db_path, "PRAGMA user_version") == [(len(MIGRATIONS),)]


async def test_a_file_from_a_newer_version_is_refused_and_left_alone(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    before = read_bytes(db_path)

    newer = rf"schema version {len(MIGRATIONS) + 1}.*knows up to version {len(MIGRATIONS)}"
    with pytest.raises(DatabaseTooNew, match=newer):
        await Database.open(db_path)

    assert read_bytes(db_path) == before


async def test_garbage_is_reported_as_corrupt_and_never_recreated(db_path: Path) -> None:
    write_bytes(db_path, b"this is not a database, it is a shopping list" * 100)
    before = read_bytes(db_path)

    with pytest.raises(DatabaseCorrupt, match=r"damaged.*never recreates"):
        await Database.open(db_path)

    assert read_bytes(db_path) == before


async def test_a_damaged_page_is_reported_as_corrupt(db_path: Path) -> None:
    db = await Database.open(db_path)
    ledger = Ledger(db, budget(default_user_limit_usd="100000"), clock=Clock())
    for n in range(300):
        await ledger.reserve(f"job-{n:04d}", ALICE, GUILD, [], 1)
        await ledger.capture(f"job-{n:04d}")
    await db.close()
    data = bytearray(read_bytes(db_path))
    page_size = int.from_bytes(data[16:18], "big")
    for offset in range(2 * page_size + 8, len(data), page_size):
        data[offset : offset + 200] = b"\xff" * 200  # scribble over every page but the first
    write_bytes(db_path, bytes(data))

    with pytest.raises(DatabaseCorrupt):
        await Database.open(db_path)

    assert read_bytes(db_path) == bytes(data)


async def test_another_programs_sqlite_file_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")

    with pytest.raises(DatabaseCorrupt, match="not an atlas-video-bot database"):
        await Database.open(db_path)

    assert rows(db_path, "PRAGMA journal_mode") == [("delete",)]  # not even switched to WAL


async def test_an_unusable_folder_is_a_clear_unavailable_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")

    with pytest.raises(DatabaseUnavailable, match="cannot create the folder"):
        await Database.open(tmp_path / "a-file" / "bot.sqlite3")


async def test_a_lock_held_too_long_by_another_process_is_unavailable(db_path: Path) -> None:
    db = await Database.open(db_path, busy_timeout=0.05)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseUnavailable, match="locked"):
            await Ledger(db, budget()).reserve("job-1", ALICE, GUILD, [], USD)
    finally:
        other.execute("ROLLBACK")
        other.close()
    await Ledger(db, budget()).reserve("job-1", ALICE, GUILD, [], USD)  # fine once it is free
    await db.close()


async def test_a_full_disk_is_unavailable_and_loses_nothing(db: Database) -> None:
    ledger = Ledger(db, budget(default_guild_cap_usd="1000000"))
    await ledger.set_guild_concurrency(GUILD, 100_000, by=ALICE)
    await ledger.reserve("job-1", ALICE, GUILD, [], USD)
    await db.read(lambda conn: conn.fetchone("PRAGMA max_page_count = 1"))

    async def fill() -> None:
        for n in range(10_000):
            await ledger.reserve(f"filler-{n}", 1000 + n, GUILD, [], 1)

    with pytest.raises(DatabaseUnavailable, match="disk is full"):
        await fill()

    assert (await ledger.summary(ALICE, GUILD, [])).held == USD
    assert await ledger.audit() == []


async def test_a_migration_applies_all_or_nothing(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = await Database.open(db_path)
    await db.close()
    broken = [*MIGRATIONS, ["CREATE TABLE extra (x INTEGER)", "THIS IS NOT SQL"]]
    monkeypatch.setattr(migrate_module, "MIGRATIONS", broken)

    with pytest.raises(sqlite3.OperationalError):
        await Database.open(db_path)

    assert rows(db_path, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert rows(db_path, "SELECT name FROM sqlite_schema WHERE name = 'extra'") == []
    working = [*MIGRATIONS, ["CREATE TABLE extra (x INTEGER)"]]
    monkeypatch.setattr(migrate_module, "MIGRATIONS", working)
    db = await Database.open(db_path)
    await db.close()
    assert rows(db_path, "PRAGMA user_version") == [(len(MIGRATIONS) + 1,)]


async def test_money_rows_are_append_only(ledger: Ledger, db_path: Path) -> None:
    await ledger.reserve("job-1", ALICE, GUILD, [], USD)
    await ledger.capture("job-1")
    await ledger.grant(GUILD, ALICE, USD, "why not", by=ALICE)

    with sqlite3.connect(db_path) as conn:
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
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute(statement)

    assert rows(db_path, "SELECT kind, amount FROM entries") == [("capture", USD)]


async def test_a_burst_of_writes_shares_commits_and_each_failure_stays_its_own(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    group_commit = db_module._group_commit

    def counting(steps: list[Any], conn: sqlite3.Connection) -> list[tuple[bool, Any]]:
        batches.append(len(steps))
        return group_commit(steps, conn)

    monkeypatch.setattr(db_module, "_group_commit", counting)
    await ledger.set_guild_concurrency(GUILD, 100, by=ALICE)
    await ledger.reserve("taken", ALICE, GUILD, [], USD)
    moves = [ledger.reserve(f"job-{n}", 1000 + n, GUILD, [], USD) for n in range(20)]
    moves.append(ledger.reserve("taken", ALICE, GUILD, [], 2 * USD))  # differs: refused
    moves.append(ledger.capture("missing"))

    outcomes = await asyncio.gather(*moves, return_exceptions=True)

    assert [type(o).__name__ for o in outcomes[-2:]] == ["LedgerError", "HoldNotFound"]
    assert all(not isinstance(o, BaseException) for o in outcomes[:-2])
    assert (await ledger.report(GUILD)).held == 21 * USD
    assert await ledger.audit() == []
    assert batches[:2] == [1, 1]  # set_guild_concurrency, then "taken", one at a time
    assert sum(batches[2:]) == 22
    assert len(batches) < 10  # the burst shared commits


async def test_writes_after_close_are_refused(db_path: Path) -> None:
    db = await Database.open(db_path)
    ledger = Ledger(db, budget())
    await db.close()
    await db.close()  # twice is fine

    with pytest.raises(DatabaseError, match="closed"):
        await ledger.reserve("job-1", ALICE, GUILD, [], USD)


async def test_a_full_disk_inside_a_transaction_says_so_and_keeps_none_of_it(
    db: Database,
) -> None:
    ledger = Ledger(db, budget(default_guild_cap_usd="1000000"))
    await ledger.set_guild_concurrency(GUILD, 100_000, by=ALICE)
    await ledger.set_user_concurrency(GUILD, 100_000, by=ALICE)
    await db.read(lambda conn: conn.fetchone("PRAGMA max_page_count = 1"))
    outcome: list[BaseException] = []

    async def fill_one_transaction() -> None:
        async with db.transaction() as tx:
            try:
                for n in range(10_000):
                    await ledger.reserve(f"job-{n}", 1000 + n, GUILD, [], 1, tx=tx)
            except DatabaseUnavailable as exc:
                outcome.append(exc)
            await ledger.reserve("after", ALICE, GUILD, [], 1, tx=tx)  # must not run bare

    with pytest.raises(DatabaseError, match="already rolled back"):
        await fill_one_transaction()

    assert "disk is full" in str(outcome[0])
    assert (await ledger.report(GUILD)).held == 0
    with pytest.raises(HoldNotFound):
        await ledger.settlement("after")


async def test_a_write_whose_caller_is_cancelled_still_lands(db_path: Path) -> None:
    db = await Database.open(db_path)
    ledger = Ledger(db, budget())
    caller = asyncio.create_task(ledger.reserve("job-1", ALICE, GUILD, [], USD))
    await asyncio.sleep(0)  # the write is queued

    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await db.close()

    assert rows(db_path, "SELECT job_id, amount FROM holds") == [("job-1", USD)]


async def test_a_transaction_begins_with_its_first_statement(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two statements and the commit: three hops to the database thread (BEGIN rides along
    # with the first statement); an empty block costs none and leaves nothing open.
    db = await Database.open(db_path)
    try:
        await db.run(lambda conn: conn.execute("CREATE TABLE t (v INTEGER)"))
        hops: list[str] = []
        original = Database._call

        async def counted(self: Database, fn: Any) -> Any:
            hops.append(getattr(fn, "func", fn).__name__)
            return await original(self, fn)

        monkeypatch.setattr(Database, "_call", counted)
        async with db.transaction() as tx:
            await db.run(lambda conn: conn.execute("INSERT INTO t VALUES (1)"), tx=tx)
            await db.run(lambda conn: conn.execute("INSERT INTO t VALUES (2)"), tx=tx)
        assert hops == ["_begun_then", "_in_savepoint", "_commit"]

        hops.clear()
        async with db.transaction():
            pass
        assert hops == []

        async def failing_block() -> None:
            async with db.transaction() as tx:
                await db.run(lambda conn: conn.execute("INSERT INTO t VALUES (3)"), tx=tx)
                raise RuntimeError("the block fails after its first statement")

        with pytest.raises(RuntimeError):
            await failing_block()
        assert hops == ["_begun_then", "_rollback_if_open"]
        monkeypatch.undo()

        async def values(conn: Any) -> list[int]:
            return [row[0] for row in await conn.fetchall("SELECT v FROM t ORDER BY v")]

        assert await db.read(values) == [1, 2], "the failed block was rolled back"
    finally:
        await db.close()
