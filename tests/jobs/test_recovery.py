"""Recovery: what a restarted bot does with the jobs the last run left unfinished, and how an
admin settles an uncertain job; over the real Atlas simulator and SQLite (`tests.jobs.rig`).

Rows are left as a crashed run leaves them: by a service stopped mid-way (its tasks cancelled,
as a deploy does), or written with the job store in one transaction with the ledger, as the
runner writes them.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.jobs.lifecycle import PreparedJob
from bot.jobs.progress import FailureReason, JobStatus, JobView
from bot.jobs.record import JobState
from bot.jobs.store import JobStore
from tests.crash.ledger_check import check_db
from tests.crash.waiting import until
from tests.jobs.rig import (
    ADMIN,
    GUILD,
    MEMBER,
    OTHER_GUILD,
    OTHER_MEMBER,
    QUOTE,
    SAMPLE_BYTES,
    RecordingProgress,
    Rig,
)

THIRD_MEMBER = 14
FOURTH_MEMBER = 15


async def left_uploading(rig: Rig, prompt: str, user_id: int = MEMBER) -> PreparedJob:
    job = await rig.prepare(prompt, user_id=user_id)
    await rig.services.job_store.advance(job.job_id, JobState.UPLOADING)
    return job


async def left_submitting(rig: Rig, prompt: str, user_id: int = MEMBER) -> PreparedJob:
    """As the runner leaves a job at the point of no return: SUBMITTING, hold pinned."""
    job = await rig.prepare(prompt, user_id=user_id)
    async with rig.services.db.transaction() as tx:
        await rig.services.job_store.advance(
            job.job_id, JobState.SUBMITTING, tx=tx, meta=job.order.meta
        )
        await rig.services.ledger.pin(job.job_id, tx=tx)
    return job


async def left_generating(rig: Rig, prompt: str, user_id: int = MEMBER) -> tuple[PreparedJob, str]:
    """A job Atlas accepted and is still making when the bot stops; its prediction id."""
    rig.sim.script_prompt(prompt, generation_seconds=60)
    job = await rig.prepare(prompt, user_id=user_id)
    sink = rig.progress()
    rig.jobs.run(job, sink)
    await until(lambda: JobStatus.GENERATING in sink.statuses, "Atlas to take the job", 5)
    stored = await rig.stored(job.job_id)
    assert stored.prediction_id is not None
    return job, stored.prediction_id


async def wait_final(rig: Rig, job_id: str) -> RecordingProgress:
    sink = rig.recovered[job_id]
    await sink.final()

    async def ended() -> bool:  # the row moves to DELIVERED just after the video is shown
        return (await rig.stored(job_id)).state.is_terminal

    await until(ended, "the job row to end", 5)
    return sink


# -- never reached Atlas -------------------------------------------------------------------


async def test_jobs_that_never_reached_atlas_are_released_and_failed(rig: Rig) -> None:
    await rig.services.server_settings.set(
        GUILD, by=ADMIN, approval_threshold=500_000, approval_timeout_seconds=60
    )
    held = await rig.prepare("held, never run")
    waiting = await rig.prepare("waiting for an admin", user_id=OTHER_MEMBER)
    rig.jobs.run(waiting, rig.progress())
    await asyncio.sleep(0)
    uploading = await left_uploading(rig, "uploading", user_id=THIRD_MEMBER)
    await rig.restart()

    report = await rig.jobs.recover(rig.progress_for)

    ids = [held.job_id, waiting.job_id, uploading.job_id]
    assert sorted(report.released) == sorted(ids)
    assert (report.resumed, report.uncertain, report.expired_holds) == ([], [], 0)
    assert rig.sim.requests == [], "nothing is sent to Atlas"
    for job_id in ids:
        sink = rig.recovered[job_id]
        assert sink.statuses == [JobStatus.FAILED]
        assert sink.last.failure is FailureReason.RESTARTED
        assert (sink.shown[0].state, sink.shown[0].money) == (JobState.FAILED, "released")
        stored = await rig.stored(job_id)
        assert (stored.state, stored.error) == (JobState.FAILED, "bot restarted before submit")
        assert await rig.entries(job_id) == [("release", 0)]
    for user_id in (MEMBER, OTHER_MEMBER, THIRD_MEMBER):
        summary = await rig.summary(user_id)
        assert (summary.spent, summary.held) == (0, 0)


async def test_a_hold_that_expired_while_the_bot_was_down_is_released_once(rig: Rig) -> None:
    job = await rig.prepare("held, never run")
    await rig.stop()
    rig.clock.advance(seconds=rig.settings.budget.hold_ttl_seconds + 1)
    await rig.start()

    report = await rig.jobs.recover(rig.progress_for)

    assert (report.expired_holds, report.released) == (1, [job.job_id])
    assert (await rig.stored(job.job_id)).state is JobState.FAILED
    assert await rig.entries(job.job_id) == [("release", 0)]


# -- caught mid-submit ---------------------------------------------------------------------


async def test_a_job_left_submitting_becomes_uncertain_and_keeps_its_hold(rig: Rig) -> None:
    job = await left_submitting(rig, "a fox")
    await rig.restart()

    report = await rig.jobs.recover(rig.progress_for)

    assert (report.uncertain, report.released, report.resumed) == ([job.job_id], [], [])
    assert rig.recovered[job.job_id].statuses == [JobStatus.UNCERTAIN]
    stored = await rig.stored(job.job_id)
    assert (stored.state, stored.prediction_id) == (JobState.UNCERTAIN, None)
    assert await rig.settlement(job.job_id) is None, "never released"
    assert await rig.pinned(job.job_id)
    far = rig.clock.now + timedelta(days=1)
    assert await rig.services.ledger.expire_stale_holds(far) == []
    assert rig.submit_bodies() == [], "never submitted again: a second job would be billed"
    summary = await rig.summary()
    assert (summary.spent, summary.held) == (0, QUOTE)


async def test_a_bot_stopped_while_atlas_took_the_submit_keeps_the_hold(rig: Rig) -> None:
    gate = asyncio.Event()
    rig.sim.on_submit = gate.wait  # Atlas is slow to answer generateVideo
    job = await rig.prepare("a fox")
    rig.jobs.run(job, rig.progress())
    await until(lambda: rig.sim.submits_by_prompt["a fox"] == 1, "the submit to arrive", 5)
    await rig.restart()  # stops while the submit is in flight
    gate.set()  # ... which Atlas then carries out
    await until(lambda: bool(rig.created_at_atlas("a fox")), "Atlas to create the job", 5)

    report = await rig.jobs.recover(rig.progress_for)

    assert report.uncertain == [job.job_id]
    assert len(rig.created_at_atlas("a fox")) == 1, "Atlas has the job and bills it"
    assert (await rig.stored(job.job_id)).state is JobState.UNCERTAIN
    assert await rig.settlement(job.job_id) is None
    assert await rig.pinned(job.job_id)
    assert rig.sim.submits_by_prompt["a fox"] == 1


# -- accepted by Atlas ---------------------------------------------------------------------


async def test_a_submitted_job_is_followed_again_and_captured_once(rig: Rig) -> None:
    rig.sim.price_usd = "0.80"
    job, prediction_id = await left_generating(rig, "a long fox")
    await rig.restart()
    rig.sim.complete_now(prediction_id)

    report = await rig.jobs.recover(rig.progress_for)
    sink = await wait_final(rig, job.job_id)

    assert report.resumed == [job.job_id]
    assert sink.statuses == [JobStatus.GENERATING, JobStatus.DELIVERED]
    assert sink.videos == [SAMPLE_BYTES]
    assert sink.last.charged == 800_000
    assert rig.sim.submits_by_prompt["a long fox"] == 1, "followed, never submitted again"
    assert rig.sim.requests_to(f"/model/prediction/{prediction_id}"), "polled again"
    stored = await rig.stored(job.job_id)
    assert (stored.state, stored.prediction_id) == (JobState.DELIVERED, prediction_id)
    assert await rig.entries(job.job_id) == [("capture", 800_000)]
    summary = await rig.summary()
    assert (summary.spent, summary.held) == (800_000, 0)


class StopsWhileDelivering(RecordingProgress):
    """A member's message that hangs as the video is posted: the bot stops right there."""

    async def show(self, view: JobView, video: Path | None = None) -> None:
        await super().show(view, video)
        if view.status is JobStatus.DELIVERED:
            await asyncio.Event().wait()


async def test_a_job_stopped_while_delivering_is_delivered_again_not_charged_again(
    rig: Rig,
) -> None:
    rig.sim.price_usd = "0.90"
    job = await rig.prepare("a fox")
    sink = StopsWhileDelivering(rig)
    rig.jobs.run(job, sink)
    await sink.final()
    assert (await rig.stored(job.job_id)).state is JobState.DOWNLOADING
    assert await rig.entries(job.job_id) == [("capture", 900_000)]
    rig.sim.price_usd = "1.10"  # whatever Atlas reports the second time
    await rig.restart()

    report = await rig.jobs.recover(rig.progress_for)
    again = await wait_final(rig, job.job_id)

    assert report.resumed == [job.job_id]
    assert again.videos == [SAMPLE_BYTES]
    assert again.last.charged == 900_000, "the first capture stands"
    assert (await rig.stored(job.job_id)).state is JobState.DELIVERED
    assert await rig.entries(job.job_id) == [("capture", 900_000)]
    assert rig.sim.submits_by_prompt["a fox"] == 1
    summary = await rig.summary()
    assert (summary.spent, summary.held) == (900_000, 0)


async def test_a_resumed_job_atlas_rejected_meanwhile_is_released(rig: Rig) -> None:
    job, prediction_id = await left_generating(rig, "a long [nope] fox")
    rig.sim.jobs[prediction_id].outcome = "reject"
    await rig.restart()
    rig.sim.complete_now(prediction_id)

    await rig.jobs.recover(rig.progress_for)
    sink = await wait_final(rig, job.job_id)

    assert sink.last.failure is FailureReason.CONTENT_REJECTED
    assert (await rig.stored(job.job_id)).state is JobState.REJECTED
    assert await rig.entries(job.job_id) == [("release", 0)]


# -- twice ---------------------------------------------------------------------------------


async def crashed_run(rig: Rig) -> dict[str, PreparedJob]:
    """One job in each state a crash can leave; the bot then restarts."""
    jobs = {
        "held": await rig.prepare("held"),
        "uploading": await left_uploading(rig, "uploading", user_id=OTHER_MEMBER),
        "submitting": await left_submitting(rig, "submitting", user_id=THIRD_MEMBER),
    }
    jobs["generating"], prediction_id = await left_generating(
        rig, "generating", user_id=FOURTH_MEMBER
    )
    await rig.restart()
    rig.sim.complete_now(prediction_id)
    return jobs


async def test_recovering_twice_changes_nothing_the_second_time(rig: Rig) -> None:
    jobs = await crashed_run(rig)
    first = await rig.jobs.recover(rig.progress_for)
    await wait_final(rig, jobs["generating"].job_id)
    before = await rig.snapshot()
    first_sinks = dict(rig.recovered)
    shown = {job_id: len(sink.shown) for job_id, sink in first_sinks.items()}
    rig.recovered.clear()
    requests = len(rig.sim.requests)

    second = await rig.jobs.recover(rig.progress_for)
    await asyncio.sleep(0.1)  # anything it might have started

    assert sorted(first.released) == sorted([jobs["held"].job_id, jobs["uploading"].job_id])
    assert first.uncertain == [jobs["submitting"].job_id]
    assert first.resumed == [jobs["generating"].job_id]
    assert (second.resumed, second.released, second.uncertain, second.expired_holds) == (
        [],
        [],
        [],
        0,
    )
    assert await rig.snapshot() == before
    assert len(rig.sim.requests) == requests, "nothing more was sent to Atlas"
    assert [sink.shown for sink in rig.recovered.values()] == [[] for _ in rig.recovered]
    assert {job_id: len(sink.shown) for job_id, sink in first_sinks.items()} == shown
    assert rig.sim.submits_by_prompt["generating"] == 1
    assert await rig.entries(jobs["generating"].job_id) == [("capture", QUOTE)]


async def test_recovering_again_after_another_restart_settles_nothing_twice(rig: Rig) -> None:
    jobs = await crashed_run(rig)
    await rig.jobs.recover(rig.progress_for)
    await wait_final(rig, jobs["generating"].job_id)
    before = await rig.snapshot()
    await rig.restart()
    rig.recovered.clear()

    report = await rig.jobs.recover(rig.progress_for)

    assert (report.resumed, report.released, report.uncertain) == ([], [], [])
    # Only the uncertain job is still unfinished; it waits for an admin, untouched.
    assert list(rig.recovered) == [jobs["submitting"].job_id]
    assert rig.recovered[jobs["submitting"].job_id].shown == []
    assert await rig.snapshot() == before


async def test_recovering_again_while_a_resumed_job_runs_follows_it_once(rig: Rig) -> None:
    job, prediction_id = await left_generating(rig, "a long fox")
    await rig.restart()

    await rig.jobs.recover(rig.progress_for)
    first_sink = rig.recovered[job.job_id]
    await rig.jobs.recover(rig.progress_for)
    second_sink = rig.recovered[job.job_id]
    rig.sim.complete_now(prediction_id)
    await asyncio.wait_for(first_sink.final(), 2)

    assert len(first_sink.videos) == 1, "delivered once, by the follow already running"
    assert second_sink.shown == [], "the second recovery did not follow it again"
    assert await rig.entries(job.job_id) == [("capture", QUOTE)]


# -- leases --------------------------------------------------------------------------------


async def test_a_job_another_live_process_follows_is_left_alone(rig: Rig) -> None:
    job = await rig.prepare("taken over")
    await rig.stop()  # this process dies; once its lease ends another one takes the job
    rig.clock.advance(seconds=rig.settings.jobs.lease_seconds + 1)
    await rig.start()
    other = JobStore(rig.services.db, clock=rig.clock, owner="shards 1 of 2", lease_seconds=90)
    assert await other.take_lease(job.job_id) is True

    report = await rig.jobs.recover(rig.progress_for)

    assert report.released == []
    assert rig.recovered == {}, "not even shown: another process follows it"
    assert (await rig.stored(job.job_id)).state is JobState.HELD
    assert await rig.settlement(job.job_id) is None
    # The other process dies too: its lease ends and the job is ours to settle.
    rig.clock.advance(seconds=91)
    report = await rig.jobs.recover(rig.progress_for)
    assert report.released == [job.job_id]
    assert await rig.entries(job.job_id) == [("release", 0)]


# -- an admin settles an uncertain job -------------------------------------------------------


async def uncertain_job(rig: Rig, prompt: str) -> PreparedJob:
    rig.sim.late_submit_errors.append(502)
    job = await rig.prepare(prompt)
    await rig.run(job)
    assert (await rig.stored(job.job_id)).state is JobState.UNCERTAIN
    return job


async def test_resolve_with_a_charge_captures_once(rig: Rig) -> None:
    job = await uncertain_job(rig, "a fox")

    assert await rig.jobs.resolve(job.job_id, OTHER_GUILD, charge=True, by=ADMIN) is False
    assert await rig.settlement(job.job_id) is None, "another server's admin changes nothing"
    assert await rig.jobs.uncertain_jobs(OTHER_GUILD) == []

    assert await rig.jobs.resolve(job.job_id, GUILD, charge=True, by=ADMIN) is True
    assert await rig.jobs.resolve(job.job_id, GUILD, charge=False, by=ADMIN) is False
    assert await rig.jobs.resolve(job.job_id, GUILD, charge=True, by=ADMIN) is False

    stored = await rig.stored(job.job_id)
    assert (stored.state, stored.error) == (
        JobState.FAILED,
        f"settled by admin {ADMIN}: charged",
    )
    assert await rig.entries(job.job_id) == [("capture", QUOTE)]
    assert await rig.jobs.uncertain_jobs(GUILD) == []
    summary = await rig.summary()
    assert (summary.spent, summary.held) == (QUOTE, 0)
    assert len(rig.submit_bodies()) == 1


async def test_a_charged_uncertain_job_says_why_its_hold_was_captured(rig: Rig) -> None:
    job = await uncertain_job(rig, "a fox")
    await check_db(rig.services.db, rig.settings)  # uncertain and held: consistent

    assert await rig.jobs.resolve(job.job_id, GUILD, charge=True, by=ADMIN) is True

    stored = await rig.stored(job.job_id)
    # No video came: failed for the member; billed by Atlas: captured, and the row says so.
    assert (stored.state, stored.meta.charged_by_admin) == (JobState.FAILED, True)
    await check_db(rig.services.db, rig.settings)


async def test_resolve_without_a_charge_releases_once(rig: Rig) -> None:
    job = await uncertain_job(rig, "a fox")

    assert await rig.jobs.resolve(job.job_id, GUILD, charge=False, by=ADMIN) is True
    assert await rig.jobs.resolve(job.job_id, GUILD, charge=True, by=ADMIN) is False

    assert (await rig.stored(job.job_id)).state is JobState.FAILED
    assert await rig.entries(job.job_id) == [("release", 0)]
    summary = await rig.summary()
    assert (summary.spent, summary.held) == (0, 0)


async def test_resolve_refuses_jobs_that_are_not_uncertain(rig: Rig) -> None:
    held = await rig.prepare("held")
    done = await rig.prepare("done")
    await rig.run(done)

    for job_id in (held.job_id, done.job_id, "no-such-job"):
        assert await rig.jobs.resolve(job_id, GUILD, charge=False, by=ADMIN) is False

    assert await rig.settlement(held.job_id) is None
    assert await rig.entries(done.job_id) == [("capture", QUOTE)]


async def test_an_uncertain_job_nobody_settles_is_released_after_its_window(rig: Rig) -> None:
    job = await uncertain_job(rig, "a fox")
    window = timedelta(hours=rig.settings.budget.uncertain_release_hours)

    rig.clock.advance(seconds=window.total_seconds() - 1)
    await rig.jobs.sweep()
    assert await rig.settlement(job.job_id) is None, "kept within its window"
    rig.clock.advance(seconds=1)
    await rig.jobs.sweep()

    stored = await rig.stored(job.job_id)
    assert (stored.state, stored.error) == (JobState.FAILED, "uncertain: window passed")
    assert await rig.entries(job.job_id) == [("release", 0)]
    summary = await rig.summary(MEMBER, GUILD)
    assert (summary.spent, summary.held) == (0, 0)
