"""The persisted job table: forward-only states, fields that survive a restart, and job rows
that commit together with their money. On both engines (the `target` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.db import Store
from bot.guilds.delivery import Posted
from bot.jobs.record import JobMeta, JobRecord, JobState, can_move
from bot.jobs.store import IllegalTransition, JobExists, JobNotFound, JobStore
from bot.ledger import BudgetExceeded, Ledger
from tests.engines import Target, peek, target
from tests.ledger.helpers import ALICE, BOB, GUILD, USD, Clock, budget

CHANNEL = 300_000_000_000_000_001
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def job(job_id: str = "job-1", **changes: Any) -> JobRecord:
    record = JobRecord(
        id=job_id,
        user_id=ALICE,
        guild_id=GUILD,
        channel_id=CHANNEL,
        message_id=None,
        model="google/gemini-omni-flash/text-to-video-developer",
        meta=JobMeta(
            prompt="a fox in the snow, 雪の中の狐",
            duration=8,
            aspect_ratio="16:9",
            resolution="1080p",
            seed=42,
        ),
        state=JobState.HELD,
        prediction_id=None,
        quote=USD,
        actual_price=None,
        error=None,
        created_at=T0,
        updated_at=T0,
        submitted_at=None,
    )
    return replace(record, **changes)


__all__ = ["target"]


@pytest.fixture
async def db(target: Target) -> AsyncIterator[Store]:
    database = await target.open()
    yield database
    await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(minutes=1))


@pytest.fixture
def store(db: Store, clock: Clock) -> JobStore:
    return JobStore(db, clock=clock)


async def test_a_created_job_reads_back_exactly(store: JobStore, db: Store) -> None:
    record = job()

    await store.create(record)

    assert await store.get("job-1") == record
    assert await store.get("nope") is None
    assert await peek(db, "SELECT state, params FROM jobs") == [
        (
            "held",
            '{"aspect_ratio":"16:9","delivery":{"mode":"channel"},"duration":8,"image_count":0,'
            '"image_urls":[],"locale":"en-US","prompt":"a fox in the snow, 雪の中の狐",'
            '"resolution":"1080p","role_ids":[],"seed":42}',
        )
    ]


async def test_a_row_written_by_an_earlier_version_reads_back(store: JobStore, db: Store) -> None:
    await store.create(job())
    await db.run(
        lambda conn: conn.execute(
            "UPDATE jobs SET params = ? WHERE id = ?",
            (
                '{"prompt":"p","duration":4,"aspect_ratio":"9:16","resolution":"720p","seed":7,'
                '"approved_by":13,"delivered_to":{"channel_id":5,"message_id":6}}',
                "job-1",
            ),
        )
    )

    record = await store.get("job-1")

    assert record is not None
    assert record.meta == JobMeta(
        prompt="p",
        duration=4,
        aspect_ratio="9:16",
        resolution="720p",
        seed=7,
        approved_by=13,
        delivered_to=Posted(5, 6),
    )


async def test_what_the_new_kinds_keep_reads_back_typed_and_retention_blanks_it(
    store: JobStore,
) -> None:
    meta = job().meta.but(
        video_url="https://atlas/in.mp4",
        input_seconds=6.04,
        source_job="job-0",
        last_image_url="https://atlas/end.png",
        loop=True,
        helps_job="job-0",
        answer="a richer prompt",
        tokens=(120, 40),
    )
    await store.create(job(meta=meta))

    record = await store.get("job-1")

    assert record is not None
    assert record.meta == meta
    blank = meta.without_details()
    assert (blank.video_url, blank.last_image_url, blank.answer) == (None, None, None)
    assert (blank.source_job, blank.tokens, blank.input_seconds) == ("job-0", (120, 40), 6.04)


async def test_creating_the_same_id_twice_is_refused(store: JobStore) -> None:
    await store.create(job())

    with pytest.raises(JobExists):
        await store.create(job(quote=2 * USD))

    assert (await store.get("job-1")) == job()


async def test_a_job_moves_forward_and_keeps_its_fields(store: JobStore, clock: Clock) -> None:
    await store.create(job())
    submitted = clock.now + timedelta(seconds=5)

    await store.advance("job-1", JobState.UPLOADING, message_id=555)
    meta = job().meta.but(prompt="p", image_urls=("u",))
    await store.advance("job-1", JobState.SUBMITTING, meta=meta)
    await store.advance("job-1", JobState.SUBMITTED, prediction_id="pred-1", submitted_at=submitted)
    clock.advance(minutes=1)
    record = await store.advance("job-1", JobState.DOWNLOADING, actual_price=900_000)

    assert record.state is JobState.DOWNLOADING
    assert (record.message_id, record.prediction_id, record.actual_price) == (
        555,
        "pred-1",
        900_000,
    )
    assert record.meta == meta
    assert record.submitted_at == submitted
    assert record.updated_at == clock.now
    assert record.created_at == T0
    assert await store.get("job-1") == record


async def test_backward_moves_and_leaving_a_terminal_state_are_illegal(store: JobStore) -> None:
    await store.create(job())
    await store.advance("job-1", JobState.GENERATING)

    with pytest.raises(IllegalTransition, match="from generating to submitted"):
        await store.advance("job-1", JobState.SUBMITTED)
    await store.advance("job-1", JobState.DELIVERED)
    with pytest.raises(IllegalTransition):
        await store.advance("job-1", JobState.FAILED)

    record = await store.advance("job-1", JobState.DELIVERED, actual_price=1)  # same state
    assert (record.state, record.actual_price) == (JobState.DELIVERED, 1)


async def test_an_uncertain_job_only_moves_to_a_terminal_state(store: JobStore) -> None:
    await store.create(job())
    await store.advance("job-1", JobState.SUBMITTING)
    await store.advance("job-1", JobState.UNCERTAIN, error="connection reset during submit")

    assert [j.id for j in await store.unfinished()] == ["job-1"]
    with pytest.raises(IllegalTransition):
        await store.advance("job-1", JobState.GENERATING)
    await store.advance("job-1", JobState.FAILED)  # an admin settled it

    assert await store.unfinished() == []


async def test_the_message_is_attached_once_and_the_state_stays(store: JobStore) -> None:
    await store.create(job(state=JobState.SUBMITTED, prediction_id="p-1"))
    assert await store.attach_message("job-1", 111) is True
    assert await store.attach_message("job-1", 222) is False, "the first message stays"
    assert await store.attach_message("no-such-job", 333) is False
    stored = await store.get("job-1")
    assert stored is not None
    assert (stored.message_id, stored.state, stored.prediction_id) == (
        111,
        JobState.SUBMITTED,
        "p-1",
    )


def test_the_transition_table() -> None:
    assert can_move(JobState.QUOTED, JobState.HELD)
    assert can_move(JobState.HELD, JobState.CANCELLED)
    assert can_move(JobState.SUBMITTING, JobState.UNCERTAIN)
    assert not can_move(JobState.SUBMITTED, JobState.HELD)
    assert not can_move(JobState.EXPIRED, JobState.UNCERTAIN)
    # Atlas's call names an uncertain job's prediction: followed again (or settled by an admin).
    assert can_move(JobState.UNCERTAIN, JobState.SUBMITTED)
    assert not can_move(JobState.UNCERTAIN, JobState.GENERATING)
    assert can_move(JobState.UNCERTAIN, JobState.DELIVERED)
    assert [s for s in JobState if s.is_terminal] == [
        JobState.DELIVERED,
        JobState.FAILED,
        JobState.REJECTED,
        JobState.CANCELLED,
        JobState.EXPIRED,
    ]


async def test_expect_guards_a_move_against_a_race(store: JobStore) -> None:
    await store.create(job())
    await store.advance("job-1", JobState.SUBMITTING)

    with pytest.raises(IllegalTransition, match="is submitting, not held or uploading"):
        await store.advance("job-1", JobState.CANCELLED, expect=(JobState.HELD, JobState.UPLOADING))

    assert (await store.get("job-1")) is not None
    assert (await store.get("job-1")).state is JobState.SUBMITTING  # type: ignore[union-attr]


async def test_a_prediction_id_once_stored_is_never_replaced(store: JobStore) -> None:
    await store.create(job())
    await store.advance("job-1", JobState.SUBMITTED, prediction_id="pred-1")
    await store.advance("job-1", JobState.GENERATING, prediction_id="pred-1")  # same: fine

    with pytest.raises(IllegalTransition, match="already has prediction pred-1"):
        await store.advance("job-1", JobState.GENERATING, prediction_id="pred-2")


async def test_unknown_jobs_and_fields_are_refused(store: JobStore) -> None:
    with pytest.raises(JobNotFound):
        await store.advance("nope", JobState.FAILED)
    await store.create(job())
    with pytest.raises(TypeError, match="cannot set quote"):
        await store.advance("job-1", JobState.FAILED, quote=0)
    with pytest.raises(ValueError, match="actual_price"):
        await store.advance("job-1", JobState.FAILED, actual_price=-5)


async def test_unfinished_lists_jobs_to_resume_oldest_first(store: JobStore) -> None:
    for n, state in enumerate(
        [JobState.GENERATING, JobState.DELIVERED, JobState.HELD, JobState.UNCERTAIN]
    ):
        await store.create(job(f"job-{n}", created_at=T0 + timedelta(minutes=10 - n)))
        await store.advance(f"job-{n}", state)

    assert [j.id for j in await store.unfinished()] == ["job-3", "job-2", "job-0"]


async def test_recent_lists_a_members_jobs_newest_first(store: JobStore) -> None:
    for n in range(4):
        await store.create(job(f"a-{n}", created_at=T0 + timedelta(minutes=n)))
    await store.create(job("b-0", user_id=BOB))
    await store.create(job("elsewhere", guild_id=GUILD + 1))

    assert [j.id for j in await store.recent(ALICE, GUILD, limit=3)] == ["a-3", "a-2", "a-1"]
    assert [j.id for j in await store.recent(BOB, GUILD)] == ["b-0"]


async def test_a_job_row_and_its_hold_commit_together_or_not_at_all(
    db: Store, store: JobStore
) -> None:
    ledger = Ledger(db, budget(), clock=Clock())
    await ledger.reserve("other", ALICE, GUILD, [], 4 * USD)

    async def prepare() -> None:
        async with db.transaction() as tx:
            await store.create(job(quote=2 * USD), tx=tx)
            await ledger.reserve("job-1", ALICE, GUILD, [], 2 * USD, tx=tx)

    with pytest.raises(BudgetExceeded):
        await prepare()

    assert await store.get("job-1") is None
    assert await peek(db, "SELECT job_id FROM holds") == [("other",)]

    async with db.transaction() as tx:
        await ledger.capture("other", tx=tx)
        await store.create(job("other", quote=4 * USD, state=JobState.DOWNLOADING), tx=tx)
    assert (await ledger.settlement("other")) is not None
    assert (await store.get("other")) is not None


async def test_rows_are_plain_sql_for_an_admin_with_the_sqlite3_shell_or_psql(
    store: JobStore, db: Store
) -> None:
    await store.create(job(submitted_at=T0 + timedelta(seconds=1)))

    [(created, submitted)] = await peek(db, "SELECT created_at, submitted_at FROM jobs")

    assert submitted - created == 1_000_000  # microseconds since the epoch, UTC
