"""`atlas-video-bot migrate-to-postgres`: every ledger row moves, and the totals match."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.db import Database, Store
from bot.db.move import TABLES
from bot.guilds.preferences import PreferenceStore
from bot.guilds.settings import GuildSettingsStore
from bot.jobs.record import JobState
from bot.jobs.store import JobStore
from bot.ledger import Ledger
from bot.settings import load
from tests.conftest import make_env
from tests.engines import Target, peek, pg_url, shared_admin_url
from tests.jobs.test_store import job
from tests.ledger.helpers import ADMIN, ALICE, BOB, GUILD, ROLE_VIP, USD, Clock, budget


async def _busy_ledger(db: Store, clock: Clock) -> None:
    ledger = Ledger(db, budget(default_bot_cap_usd="100"), clock=clock)
    store = JobStore(db, clock=clock)
    await ledger.set_role_limit(GUILD, ROLE_VIP, 20 * USD, by=ADMIN)
    await ledger.set_guild_concurrency(GUILD, 50, by=ADMIN)
    await ledger.set_user_concurrency(GUILD, 50, by=ADMIN)
    await ledger.grant(GUILD, BOB, 2 * USD, "welcome", by=ADMIN)
    for n in range(12):
        user = ALICE if n % 2 else BOB
        await store.create(job(f"job-{n}", user_id=user, created_at=clock.now))
        await ledger.reserve(f"job-{n}", user, GUILD, [ROLE_VIP], USD // 2 + n)
        if n % 3 == 0:
            await ledger.capture(f"job-{n}", USD // 4 + (n * 1000 if n != 9 else USD))  # overrun
            await store.advance(f"job-{n}", JobState.DELIVERED)
        elif n % 3 == 1:
            await ledger.release(f"job-{n}", "failed")
            await store.advance(f"job-{n}", JobState.FAILED)
        clock.advance(hours=7)
    catalogue = load(make_env()).catalogue
    servers = GuildSettingsStore(db, catalogue)
    await servers.set(GUILD, by=ADMIN, duration=5)
    preferences = PreferenceStore(db, catalogue, servers)
    await preferences.set(GUILD, ALICE, duration=6, dm=True)
    await preferences.note_told(GUILD, ALICE, ["dm"])
    await db.run(
        lambda c: c.execute(
            "INSERT INTO eta_stats (model, resolution, duration, count, mean, var, updated_at)"
            " VALUES ('m', '720p', 5, 3, 41.5, 2.25, 1)"
        )
    )


async def test_every_row_moves_and_the_totals_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path, url = tmp_path / "bot.sqlite3", pg_url(shared_admin_url())
    clock = Clock()
    lite = await Database.open(path)
    await _busy_ledger(lite, clock)
    columns = {
        table: ", ".join(r[1] for r in await peek(lite, f"PRAGMA table_info({table})"))
        for table in TABLES
    }
    select = {table: f"SELECT {columns[table]} FROM {table}" for table in TABLES}  # noqa: S608
    expected = {table: await peek(lite, select[table]) for table in TABLES}
    lite_ledger = Ledger(lite, budget(default_bot_cap_usd="100"), clock=clock)
    summaries = [await lite_ledger.summary(u, GUILD, [ROLE_VIP]) for u in (ALICE, BOB)]
    report = await lite_ledger.report(GUILD)
    unfinished = await JobStore(lite).unfinished()
    await lite.close()
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BOT_CONFIG", str(Path(__file__).parents[2] / "config" / "bot.toml"))

    assert await asyncio.to_thread(main, ["migrate-to-postgres"]) == 0  # asyncio.run inside

    out = capsys.readouterr().out
    assert "holds: 12 rows" in out
    assert "the same on both sides" in out
    assert "password" not in out
    pg = await Target("postgres", url=url).open()
    try:
        for table in TABLES:
            moved = await peek(pg, select[table])
            assert sorted(moved, key=repr) == sorted(expected[table], key=repr), table
        ledger = Ledger(pg, budget(default_bot_cap_usd="100"), clock=clock)
        assert [await ledger.summary(u, GUILD, [ROLE_VIP]) for u in (ALICE, BOB)] == summaries
        assert await ledger.report(GUILD) == report
        assert await ledger.audit() == []
        assert await JobStore(pg).unfinished() == unfinished
        clock.advance(days=1)
        await ledger.grant(GUILD, ALICE, USD, "after the move", by=ADMIN)  # ids go on
        assert (await peek(pg, "SELECT max(id), count(*) FROM grants")) == [(2, 2)]
    finally:
        await pg.close()

    assert await asyncio.to_thread(main, ["migrate-to-postgres"]) == 2  # no longer empty
    assert "already holds data" in capsys.readouterr().err


def test_nothing_to_move_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "missing.sqlite3"))
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:secret@127.0.0.1:1/none")

    assert main(["migrate-to-postgres"]) == 2

    err = capsys.readouterr().err
    assert "does not exist" in err
    assert "secret" not in err


def test_without_a_database_url_it_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate-to-postgres"]) == 2
    assert "DATABASE_URL is not set" in capsys.readouterr().err
