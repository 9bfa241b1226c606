"""`JobService` on its own: prepare, run, cancel, approval, message deletion and its upkeep,
over the real Atlas simulator and SQLite (see `tests.jobs.rig`), without Discord.

Each test checks what reached Atlas (the simulator's records) and what was stored (the job row,
the ledger's settlement and the member's summary), not only what the member was shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.jobs import service as service_module
from bot.jobs.approval import DecisionRefused
from bot.jobs.offers import BudgetRefused
from bot.jobs.orders import JobRefused
from bot.jobs.overview import DeleteRefused
from bot.jobs.progress import FailureReason, JobStatus
from bot.jobs.record import JobState
from bot.jobs.service import CancelRefused
from tests.crash.waiting import until
from tests.jobs.rig import (
    ADMIN,
    GUILD,
    LIMIT,
    MEMBER,
    OTHER_GUILD,
    OTHER_MEMBER,
    QUOTE,
    SAMPLE_BYTES,
    T0,
    Rig,
    running_rig,
)


async def assert_nothing_happened(rig: Rig) -> None:
    """No job row, no hold, no request to Atlas, nothing held or spent."""
    assert await rig.job_rows() == 0
    assert await rig.holds() == 0
    assert rig.sim.requests == []
    summary = await rig.summary()
    assert (summary.spent, summary.held) == (0, 0)


# -- prepare: refusals ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"prompt": "   "}, "refused.prompt_empty"),
        ({"model_id": "acme/no-such-model"}, "refused.unknown_model"),
        ({"duration": 7}, "refused.invalid_option"),
        ({"seed": -1}, "refused.bad_seed"),
    ],
)
async def test_prepare_refuses_bad_input_before_any_money_moves(
    rig: Rig, changes: dict[str, object], key: str
) -> None:
    with pytest.raises(JobRefused) as refused:
        await rig.jobs.prepare(rig.order(**{"prompt": "a fox", **changes}))

    assert refused.value.key == key
    assert not isinstance(refused.value, BudgetRefused)
    await assert_nothing_happened(rig)


async def test_prepare_refuses_a_job_the_budget_cannot_hold(rig: Rig) -> None:
    await rig.services.ledger.set_user_limit(GUILD, MEMBER, QUOTE // 2, by=ADMIN)

    with pytest.raises(BudgetRefused) as refused:
        await rig.prepare("a fox")

    assert refused.value.key == "refused.budget.user"
    assert (refused.value.params["needed"], refused.value.params["remaining"]) == (
        QUOTE,
        QUOTE // 2,
    )
    offer = refused.value.offer
    assert offer is not None, "a cheaper video that fits is offered"
    assert offer.price <= QUOTE // 2
    assert offer.user_id == MEMBER
    await assert_nothing_happened(rig)


async def test_prepare_refuses_a_job_over_the_servers_cap(tmp_path: Path) -> None:
    async with running_rig(tmp_path, default_guild_cap_usd="0.50") as rig:
        with pytest.raises(BudgetRefused) as refused:
            await rig.prepare("a fox")

        assert refused.value.key == "refused.budget.guild"
        await assert_nothing_happened(rig)


async def test_prepare_holds_the_quote_with_the_job_row_and_sends_nothing(rig: Rig) -> None:
    job = await rig.prepare("a fox", duration=4, resolution="720p", seed=7)

    assert job.approval_timeout is None
    assert job.view.status is JobStatus.QUEUED
    assert job.view.quote == job.order.price == 600_000  # 0.20 + 4 x 0.10
    stored = await rig.stored(job.job_id)
    assert (stored.state, stored.quote, stored.user_id, stored.guild_id) == (
        JobState.HELD,
        600_000,
        MEMBER,
        GUILD,
    )
    assert (stored.meta.prompt, stored.meta.duration, stored.meta.seed) == ("a fox", 4, 7)
    assert await rig.settlement(job.job_id) is None, "held, not settled"
    assert not await rig.pinned(job.job_id), "a hold not sent to Atlas may still expire"
    summary = await rig.summary()
    assert (summary.spent, summary.held) == (0, 600_000)
    assert rig.sim.requests == []


# -- prepare + run -------------------------------------------------------------------------


async def test_run_delivers_and_captures_the_quote_exactly_once(rig: Rig) -> None:
    job = await rig.prepare("a fox in the snow", seed=42)

    sink = await rig.run(job)

    # Shown: generating, then delivered with the video attached (a quick download shows
    # no step of its own).
    assert sink.statuses == [JobStatus.GENERATING, JobStatus.DELIVERED]
    generating, delivered = sink.shown
    assert (generating.state, generating.money) == (JobState.SUBMITTED, "held")
    assert generating.view.started_at == T0
    assert delivered.video_size == SAMPLE_BYTES
    assert sink.videos == [SAMPLE_BYTES], "the video is given once"
    assert delivered.money == "captured", "captured before the video is handed over"
    assert (delivered.view.charged, delivered.view.remaining) == (QUOTE, LIMIT - QUOTE)
    # Sent: one generateVideo with the order's options, then polls and one download.
    prediction_ids = rig.created_at_atlas("a fox in the snow")
    assert len(prediction_ids) == 1
    assert rig.submit_bodies() == [
        {
            "model": job.order.model.id,
            "prompt": "a fox in the snow",
            "duration": 8,
            "aspect_ratio": "16:9",
            "resolution": "1080p",
            "seed": 42,
        }
    ]
    assert len(rig.sim.requests_to(f"/media/outputs/{prediction_ids[0]}.mp4")) == 1
    # Stored: delivered, with Atlas's id; one capture of the quote.
    stored = await rig.stored(job.job_id)
    assert (stored.state, stored.prediction_id, stored.submitted_at) == (
        JobState.DELIVERED,
        prediction_ids[0],
        T0,
    )
    settlement = await rig.settlement(job.job_id)
    assert settlement is not None
    assert (settlement.outcome, settlement.amount, settlement.quoted) == ("captured", QUOTE, QUOTE)
    assert await rig.entries(job.job_id) == [("capture", QUOTE)]
    summary = await rig.summary()
    assert (summary.spent, summary.held, summary.remaining) == (QUOTE, 0, LIMIT - QUOTE)


async def test_run_captures_the_price_atlas_reports_not_the_quote(rig: Rig) -> None:
    rig.sim.price_usd = "0.75"
    job = await rig.prepare("a fox")

    sink = await rig.run(job)

    assert sink.last.status is JobStatus.DELIVERED
    assert (sink.last.charged, sink.last.remaining) == (750_000, LIMIT - 750_000)
    stored = await rig.stored(job.job_id)
    assert (stored.state, stored.actual_price, stored.quote) == (JobState.DELIVERED, 750_000, QUOTE)
    settlement = await rig.settlement(job.job_id)
    assert settlement is not None
    assert (settlement.outcome, settlement.amount, settlement.quoted) == (
        "captured",
        750_000,
        QUOTE,
    )
    assert await rig.entries(job.job_id) == [("capture", 750_000)]
    assert (await rig.summary()).spent == 750_000
    assert len(rig.submit_bodies()) == 1


async def test_a_job_waiting_for_a_slot_shows_its_place_then_runs(tmp_path: Path) -> None:
    async with running_rig(tmp_path, max_in_flight=1) as rig:
        rig.sim.script_prompt("[slow]", generation_seconds=0.1)
        first = await rig.prepare("first [slow]")
        second = await rig.prepare("second")
        first_sink, second_sink = rig.progress(), rig.progress()

        runs = [rig.jobs.run(first, first_sink), rig.jobs.run(second, second_sink)]
        await asyncio.wait_for(asyncio.gather(*runs), 5)

        assert first.view.queue_position is None
        assert second.view.queue_position == 1, "its first message shows its place"
        assert second.view.starts_at is not None
        queued = [s for s in second_sink.shown if s.view.status is JobStatus.QUEUED]
        assert queued == [], "the place it was prepared with costs no edit"
        assert first_sink.last.status is second_sink.last.status is JobStatus.DELIVERED
        assert [body["prompt"] for body in rig.submit_bodies()] == ["first [slow]", "second"]
        assert (await rig.summary()).spent == 2 * QUOTE


# -- cancel --------------------------------------------------------------------------------


async def test_cancel_before_submit_releases_and_atlas_never_sees_the_job(rig: Rig) -> None:
    job = await rig.prepare("a fox")

    view = await rig.jobs.cancel(job.job_id, MEMBER)
    sink = await rig.run(job)  # a run that starts after the cancel must not submit

    assert view.status is JobStatus.CANCELLED
    assert sink.shown == []
    assert rig.sim.requests == [], "never submitted"
    stored = await rig.stored(job.job_id)
    assert (stored.state, stored.error) == (JobState.CANCELLED, "cancelled")
    settlement = await rig.settlement(job.job_id)
    assert settlement is not None
    assert (settlement.outcome, settlement.amount) == ("released", 0)
    summary = await rig.summary()
    assert (summary.spent, summary.held) == (0, 0)


async def test_cancel_while_waiting_in_line_stops_the_job_before_atlas(tmp_path: Path) -> None:
    async with running_rig(tmp_path, max_in_flight=1) as rig:
        rig.sim.script_prompt("[stuck]", outcome="stuck")
        blocker = await rig.prepare("blocker [stuck]")
        waiting = await rig.prepare("waiting")
        blocker_sink, waiting_sink = rig.progress(), rig.progress()
        rig.jobs.run(blocker, blocker_sink)
        task = rig.jobs.run(waiting, waiting_sink)
        await until(lambda: bool(rig.submit_bodies()), "the blocker to take the slot", 5)
        assert waiting.view.queue_position == 1, "it waits in line"

        await rig.jobs.cancel(waiting.job_id, MEMBER)

        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 2)
        assert task.cancelled()
        assert [body["prompt"] for body in rig.submit_bodies()] == ["blocker [stuck]"]
        assert (await rig.stored(waiting.job_id)).state is JobState.CANCELLED
        settlement = await rig.settlement(waiting.job_id)
        assert settlement is not None
        assert settlement.outcome == "released"
        assert (await rig.summary()).held == QUOTE, "only the blocker's hold is left"


async def test_cancel_by_another_member_is_refused_and_changes_nothing(rig: Rig) -> None:
    job = await rig.prepare("a fox")

    with pytest.raises(CancelRefused) as refused:
        await rig.jobs.cancel(job.job_id, OTHER_MEMBER)

    assert refused.value.reason == "not_yours"
    assert (await rig.stored(job.job_id)).state is JobState.HELD
    assert await rig.settlement(job.job_id) is None
    with pytest.raises(CancelRefused) as unknown:
        await rig.jobs.cancel("no-such-job", MEMBER)
    assert unknown.value.reason == "unknown"


async def test_cancel_after_atlas_has_the_job_is_too_late(rig: Rig) -> None:
    job = await rig.prepare("a fox")
    await rig.run(job)

    with pytest.raises(CancelRefused) as refused:
        await rig.jobs.cancel(job.job_id, MEMBER)

    assert refused.value.reason == "too_late"
    settlement = await rig.settlement(job.job_id)
    assert settlement is not None
    assert settlement.outcome == "captured"
    assert await rig.entries(job.job_id) == [("capture", QUOTE)]


# -- approval ------------------------------------------------------------------------------


async def needs_approval(rig: Rig, timeout: float) -> None:
    """The server wants an admin's yes for any job over USD 0.50."""
    await rig.services.server_settings.set(
        GUILD, by=ADMIN, approval_threshold=500_000, approval_timeout_seconds=timeout
    )


async def test_a_job_nobody_approves_in_time_is_released_unsent(rig: Rig) -> None:
    await needs_approval(rig, timeout=0.05)
    job = await rig.prepare("an expensive fox")
    assert job.view.status is JobStatus.AWAITING_APPROVAL
    assert job.approval_timeout == pytest.approx(0.05)
    assert (await rig.summary()).held == QUOTE, "held while it waits"

    sink = await rig.run(job)

    assert sink.statuses == [JobStatus.FAILED]
    assert sink.last.failure is FailureReason.APPROVAL_TIMED_OUT
    assert rig.sim.requests == []
    stored = await rig.stored(job.job_id)
    assert stored.state is JobState.EXPIRED
    assert stored.meta.approved_by is None
    settlement = await rig.settlement(job.job_id)
    assert settlement is not None
    assert settlement.outcome == "released"
    with pytest.raises(DecisionRefused):
        rig.jobs.decide(job.job_id, GUILD, approved=True, by=ADMIN)  # too late to click


async def test_an_approved_job_runs_and_remembers_who_approved_it(rig: Rig) -> None:
    await needs_approval(rig, timeout=5)
    cheap = await rig.prepare(
        "a cheap fox", model_id="google/veo3.1-lite/text-to-video", duration=4
    )
    job = await rig.prepare("an expensive fox")
    assert cheap.approval_timeout is None, "below the threshold: no approval"
    with pytest.raises(DecisionRefused):
        rig.jobs.decide(job.job_id, OTHER_GUILD, approved=True, by=ADMIN)

    sink = rig.progress()
    task = rig.jobs.run(job, sink)
    rig.jobs.decide(job.job_id, GUILD, approved=True, by=ADMIN)
    await asyncio.wait_for(task, 5)

    assert sink.statuses[0] is JobStatus.QUEUED
    assert sink.shown[0].view.approval_deadline is None
    assert sink.last.status is JobStatus.DELIVERED
    assert [body["prompt"] for body in rig.submit_bodies()] == ["an expensive fox"]
    stored = await rig.stored(job.job_id)
    assert (stored.state, stored.meta.approved_by) == (JobState.DELIVERED, ADMIN)
    settlement = await rig.settlement(job.job_id)
    assert settlement is not None
    assert (settlement.outcome, settlement.amount) == ("captured", QUOTE)


async def test_a_denied_job_is_cancelled_and_released_unsent(rig: Rig) -> None:
    await needs_approval(rig, timeout=5)
    job = await rig.prepare("an expensive fox")

    sink = rig.progress()
    task = rig.jobs.run(job, sink)
    rig.jobs.decide(job.job_id, GUILD, approved=False, by=ADMIN)
    await asyncio.wait_for(task, 5)

    assert sink.last.failure is FailureReason.APPROVAL_DENIED
    assert rig.sim.requests == []
    stored = await rig.stored(job.job_id)
    assert (stored.state, stored.error) == (JobState.CANCELLED, f"denied by admin {ADMIN}")
    settlement = await rig.settlement(job.job_id)
    assert settlement is not None
    assert settlement.outcome == "released"


async def test_cancel_while_awaiting_approval_releases_and_nothing_runs(rig: Rig) -> None:
    await needs_approval(rig, timeout=5)
    job = await rig.prepare("an expensive fox")
    sink = rig.progress()
    task = rig.jobs.run(job, sink)
    await asyncio.sleep(0)

    await rig.jobs.cancel(job.job_id, MEMBER)
    await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 2)

    assert rig.sim.requests == []
    assert (await rig.stored(job.job_id)).state is JobState.CANCELLED
    assert await rig.entries(job.job_id) == [("release", 0)]
    with pytest.raises(DecisionRefused):
        rig.jobs.decide(job.job_id, GUILD, approved=True, by=ADMIN)


# -- delete_message ------------------------------------------------------------------------


async def test_delete_message_rules(rig: Rig) -> None:
    removed: list[str] = []

    def remover(name: str) -> Callable[[], Awaitable[None]]:
        async def remove() -> None:
            removed.append(name)

        return remove

    waiting = await rig.prepare("still held")
    done = await rig.prepare("a fox")
    await rig.run(done)
    before = await rig.settlement(done.job_id)

    with pytest.raises(DeleteRefused) as unknown:
        await rig.jobs.delete_message("nope", MEMBER, moderator=False, remove=remover("x"))
    with pytest.raises(DeleteRefused) as not_yours:
        await rig.jobs.delete_message(
            done.job_id, OTHER_MEMBER, moderator=False, remove=remover("x")
        )
    with pytest.raises(DeleteRefused) as not_finished:
        await rig.jobs.delete_message(waiting.job_id, MEMBER, moderator=False, remove=remover("x"))
    assert (unknown.value.reason, not_yours.value.reason, not_finished.value.reason) == (
        "unknown",
        "not_yours",
        "not_finished",
    )
    assert removed == [], "a refused deletion touches no message"

    await rig.jobs.delete_message(done.job_id, MEMBER, moderator=False, remove=remover("own"))
    assert (await rig.stored(done.job_id)).meta.deleted_by == MEMBER
    await rig.jobs.delete_message(done.job_id, ADMIN, moderator=True, remove=remover("mod"))

    assert removed == ["own", "mod"]
    stored = await rig.stored(done.job_id)
    assert (stored.state, stored.meta.deleted_by) == (JobState.DELIVERED, ADMIN)
    assert await rig.settlement(done.job_id) == before, "the money stays as it was"
    assert await rig.entries(done.job_id) == [("capture", QUOTE)]


async def test_delete_message_keeps_the_row_when_discord_fails(rig: Rig) -> None:
    done = await rig.prepare("a fox")
    await rig.run(done)

    async def failing() -> None:
        raise RuntimeError("Discord said no")

    with pytest.raises(RuntimeError):
        await rig.jobs.delete_message(done.job_id, MEMBER, moderator=False, remove=failing)

    assert (await rig.stored(done.job_id)).meta.deleted_by is None


# -- upkeep: start / close -----------------------------------------------------------------


def upkeep_tasks() -> set[str]:
    return {
        task.get_name()
        for task in asyncio.all_tasks()
        if task.get_name() in ("leases", "sweep") or task.get_name().startswith("job-")
    }


async def test_start_runs_the_upkeep_and_close_stops_every_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "SWEEP_EVERY_SECONDS", 0.01)
    async with running_rig(tmp_path, lease_seconds=0.03) as rig:
        rig.sim.script_prompt("[stuck]", outcome="stuck")
        stale = await rig.prepare("never run")
        running = await rig.prepare("running [stuck]")
        sink = rig.progress()
        rig.jobs.run(running, sink)
        await until(lambda: bool(sink.shown), "the job to reach Atlas", 5)

        await rig.jobs.start()
        assert upkeep_tasks() == {"leases", "sweep", f"job-{running.job_id}"}
        # The hold that never reached Atlas goes stale; the one at Atlas is pinned.
        rig.clock.advance(seconds=rig.settings.budget.hold_ttl_seconds + 1)

        async def swept_and_renewed() -> bool:  # both loops run every 10 ms here
            lease = await rig.services.job_store.lease(running.job_id)
            renewed = lease is not None and lease.until > rig.clock.now
            return renewed and await rig.settlement(stale.job_id) is not None

        await until(swept_and_renewed, "the upkeep to sweep and renew", 5)

        settlement = await rig.settlement(stale.job_id)
        assert settlement is not None, "the sweep released the stale hold"
        assert (settlement.outcome, settlement.reason) == ("released", "expired")
        assert await rig.settlement(running.job_id) is None, "a pinned hold never expires"
        lease = await rig.services.job_store.lease(running.job_id)
        assert lease is not None
        assert lease.until > rig.clock.now, "the lease was renewed"

        await rig.jobs.close()

        assert upkeep_tasks() == set()
        stored = await rig.stored(running.job_id)
        assert stored.state in (JobState.SUBMITTED, JobState.GENERATING), "left for recovery"
        assert await rig.settlement(running.job_id) is None


async def test_a_job_waiting_in_line_longer_than_a_hold_lives_keeps_its_hold(
    tmp_path: Path,
) -> None:
    async with running_rig(tmp_path, max_in_flight=1) as rig:
        rig.sim.script_prompt("[stuck]", outcome="stuck")  # holds the only slot until told
        first = await rig.prepare("first [stuck]")
        waiting = await rig.prepare("second")
        first_task = rig.jobs.run(first, rig.progress())
        await until(lambda: bool(rig.sim.jobs), "the first job at Atlas", 5)
        sink = rig.progress()
        second_task = rig.jobs.run(waiting, sink)
        await until(lambda: rig.jobs.in_flight(GUILD) == (1, 1), "the second job in line", 5)
        await until(lambda: rig.pinned(waiting.job_id), "its hold kept while it waits", 2)

        # It waits past the hold's time to live; the sweep runs meanwhile.
        rig.clock.advance(seconds=rig.settings.budget.hold_ttl_seconds + 60)
        await rig.jobs.sweep()
        assert await rig.settlement(waiting.job_id) is None, "still held, not expired"
        assert rig.jobs.in_flight(GUILD) == (1, 1), "still waiting"

        rig.sim.complete_now(next(iter(rig.sim.jobs)))
        await asyncio.wait_for(asyncio.gather(first_task, second_task), 10)
        assert sink.last.status is JobStatus.DELIVERED
        assert await rig.entries(waiting.job_id) == [("capture", QUOTE)]
