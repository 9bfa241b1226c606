"""Database faults: another process holding the write lock, and a disk that cannot take more
bytes. Either way the member gets a short error, nothing is charged, the file stays whole,
and once the fault is gone the bot works again.

A truly full filesystem needs a tiny mount (root only), so the full disk is played two ways:
end to end with a file-size limit on the bot process (writes past it fail with EFBIG, which
SQLite reports as a disk I/O error), and at the ledger level with `PRAGMA max_page_count`,
which makes SQLite answer SQLITE_FULL exactly as on a full disk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.db import Database, DatabaseUnavailable
from bot.db.times import utc_now
from bot.jobs.record import JobMeta, JobRecord, JobState
from bot.jobs.store import JobStore
from bot.ledger import HoldNotFound, Ledger
from bot.settings import Settings, load
from tests.conftest import make_env
from tests.crash.ledger_check import check_db, check_ledger
from tests.crash.world import crash_world, message_status
from tests.e2e.conftest import GUILD, MEMBER, World, running_world, status_of
from tests.fake_discord import FakeInteraction

ONE_JOB = 1_000_000


def _ephemeral_texts(interaction: FakeInteraction) -> list[str]:
    """What only the member saw: an ephemeral reply or followups."""
    texts = [m.content or "" for m in interaction.followups if m.ephemeral]
    if interaction.message is not None and interaction.message.ephemeral:
        texts.append(interaction.message.content or "")
    return texts


async def _video_while_locked(world: World, prompt: str) -> FakeInteraction:
    """A member runs /video while another process holds the database's write lock."""
    other = sqlite3.connect(world.settings.env.database_path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN EXCLUSIVE")
        interaction = await world.video(prompt=prompt)
        await world.discord.wait_until(
            lambda: bool(_ephemeral_texts(interaction)), timeout=15, what="the error reply"
        )
    finally:
        other.execute("ROLLBACK")
        other.close()
    return interaction


async def test_locked_database_refuses_charges_nothing_and_recovers(tmp_path: Path) -> None:
    async with running_world(tmp_path) as world:
        interaction = await _video_while_locked(world, "a locked door")
        texts = _ephemeral_texts(interaction)
        assert any("nothing was held or charged" in text.lower() for text in texts), texts
        assert not world.sim.requests_to("/model/generateVideo"), "Atlas never called"
        summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
        assert (summary.spent, summary.held) == (0, 0)

        # The lock is gone: the same member is served normally.
        again = await world.video(prompt="an open door")
        message = await world.final(again)
        assert status_of(message).startswith("Done")
    facts = await check_ledger(world.settings.env.database_path, world.settings)
    assert [j.state for j in facts.jobs.values()] == [JobState.DELIVERED]


async def test_locked_database_says_busy_and_leaves_no_thinking_message(tmp_path: Path) -> None:
    async with running_world(tmp_path) as world:
        interaction = await _video_while_locked(world, "a locked door")
        public = interaction.message
        assert public is None or public.ephemeral or public.deleted or not public.loading, (
            "no public 'thinking...' message is left behind"
        )
        texts = " ".join(_ephemeral_texts(interaction))
        assert "try again" in texts.lower(), texts
        assert "went wrong" not in texts, "a busy database is not a bug"


async def test_disk_refusing_writes_leaves_the_ledger_whole(tmp_path: Path) -> None:
    async with crash_world(tmp_path) as world:
        db = await Database.open(world.db_path)  # created and migrated; closing empties the WAL
        await db.close()

        # The shared-memory index needs 32 KiB; past that, no file may grow.
        world.start_bot(max_file_bytes=32 * 1024)
        await world.wait_connected()
        interaction = await world.video(prompt="a full disk")
        await world.discord.wait_until(
            lambda: bool(_ephemeral_texts(interaction)), timeout=10, what="the error reply"
        )
        texts = _ephemeral_texts(interaction)
        assert any("nothing was held or charged" in text.lower() for text in texts), (
            f"{texts}\n{world.logs()}"
        )
        assert not world.sim.requests_to("/model/generateVideo")
        assert "disk I/O error" in world.bots[-1].log() or "disk is full" in world.bots[-1].log()
        world.kill_bots()
        facts = await check_ledger(world.db_path, world.settings)
        assert not facts.jobs, "the refused job left no row"
        assert not facts.summaries, "and no hold"

        # Room again: the bot serves the member.
        world.start_bot()
        await world.wait_connected()
        again = await world.video(prompt="a disk with room")
        message = await world.until_final(again)
        assert message_status(message).startswith("Done"), world.logs()
        await world.until(lambda: world.job_state() == JobState.DELIVERED, "the delivery")
        world.kill_bots()
        facts = await check_ledger(world.db_path, world.settings)
        assert [j.state for j in facts.jobs.values()] == [JobState.DELIVERED]


def _job(job_id: str, user_id: int, guild_id: int) -> JobRecord:
    now = utc_now()
    meta = JobMeta(prompt="p", duration=8, resolution="1080p", aspect_ratio="16:9", seed=1)
    return JobRecord(
        id=job_id,
        user_id=user_id,
        guild_id=guild_id,
        channel_id=1,
        message_id=None,
        model="google/gemini-omni-flash/text-to-video-developer",
        meta=meta,
        state=JobState.HELD,
        prediction_id=None,
        quote=ONE_JOB,
        actual_price=None,
        error=None,
        created_at=now,
        updated_at=now,
        submitted_at=None,
    )


async def _prepare(db: Database, ledger: Ledger, store: JobStore, n: int) -> None:
    """What JobService.prepare commits: the job row and its hold, in one transaction."""
    async with db.transaction() as tx:
        await store.create(_job(f"job-{n}", 1 + n, 1 + n), tx=tx)
        await ledger.reserve(f"job-{n}", 1 + n, 1 + n, [], ONE_JOB, tx=tx)


async def _ledger_on_a_full_disk(tmp_path: Path) -> tuple[Database, Ledger, JobStore]:
    """A fresh ledger whose connection may not grow the file: SQLITE_FULL, as on a full disk."""
    db = await Database.open(tmp_path / "bot.sqlite3")
    pages = int((await db.read(lambda c: c.fetchone("PRAGMA page_count")) or [0])[0])
    await db.read(lambda c: c.fetchone(f"PRAGMA max_page_count = {pages}"))
    return db, Ledger(db, _settings(tmp_path).budget), JobStore(db)


async def _until_full(write: Callable[[int], Awaitable[None]]) -> tuple[int, Exception]:
    """Run `write(0)`, `write(1)`... until the disk refuses one: (how many fit, the refusal)."""
    for n in range(5000):
        try:
            await write(n)
        except DatabaseUnavailable as exc:
            assert n > 0, "some writes fit before the disk filled"
            return n, exc
    raise AssertionError("the disk never filled")


async def _room_again(db: Database) -> None:
    await db.read(lambda c: c.fetchone("PRAGMA max_page_count = 1073741823"))


def _settings(tmp_path: Path) -> Settings:
    return load(make_env(database_path=tmp_path / "bot.sqlite3"))


async def test_full_disk_refuses_one_hold_and_keeps_the_others(tmp_path: Path) -> None:
    db, ledger, _ = await _ledger_on_a_full_disk(tmp_path)
    try:

        async def hold(n: int) -> None:  # its own group commit, as the bot's single writes
            await ledger.reserve(f"job-{n}", 1 + n, 1 + n, [], ONE_JOB)

        held, refused = await _until_full(hold)
        assert "disk is full" in str(refused)
        with pytest.raises(HoldNotFound):
            await ledger.settlement(f"job-{held}")
        assert await ledger.audit() == []
        assert await db.read(lambda c: c.fetchone("PRAGMA integrity_check")) == ("ok",)

        await _room_again(db)
        await ledger.reserve(f"job-{held}", 1 + held, 1 + held, [], ONE_JOB)
        settlement = await ledger.capture(f"job-{held}")
        assert (settlement.outcome, settlement.amount) == ("captured", ONE_JOB)
        for n in range(held):
            assert (await ledger.release(f"job-{n}", "test over")).outcome == "released"
        await check_db(db, _settings(tmp_path))
    finally:
        await db.close()


async def test_full_disk_inside_a_job_transaction_says_disk_full(tmp_path: Path) -> None:
    db, ledger, store = await _ledger_on_a_full_disk(tmp_path)
    try:
        stored, refused = await _until_full(lambda n: _prepare(db, ledger, store, n))
        assert "disk is full" in str(refused)
        failed = f"job-{stored}"
        assert await store.get(failed) is None, "no job row without its hold"
        with pytest.raises(HoldNotFound):
            await ledger.settlement(failed)

        await _room_again(db)
        await _prepare(db, ledger, store, stored)
        for n in range(stored + 1):
            await ledger.release(f"job-{n}", "test over")
            await store.advance(f"job-{n}", JobState.FAILED)
        await check_db(db, _settings(tmp_path))
    finally:
        await db.close()
