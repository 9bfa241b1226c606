"""`JobRunner`: one job's way through Atlas and the ledger, driven through the job service over
the real Atlas simulator and SQLite (see `tests.jobs.rig`).

The invariant above all: a job Atlas may have created is never released. Atlas bills what it
ran, so a hold whose submit may have reached Atlas stays (pinned, uncertain) for an admin; only
an answer that proves Atlas did not take the job releases it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from yarl import URL

from bot.atlas.errors import SUBMIT_REFUSED_STATUSES
from bot.catalogue import ModelKind
from bot.jobs.lifecycle import PreparedJob
from bot.jobs.orders import ImageInput
from bot.jobs.progress import FailureReason, JobStatus
from bot.jobs.record import JobState, LinkReason
from bot.sim.simulator import FaultStatus
from tests.images import png
from tests.jobs.rig import (
    GUILD,
    LIMIT,
    MEMBER,
    QUOTE,
    Rig,
    running_rig,
)

IMAGE_MODEL = "google/gemini-omni-flash/image-to-video-developer"


async def assert_kept_for_an_admin(rig: Rig, job: PreparedJob) -> None:
    """The job is uncertain: its hold is neither captured nor released, and it cannot expire."""
    stored = await rig.stored(job.job_id)
    assert stored.state is JobState.UNCERTAIN
    assert await rig.settlement(job.job_id) is None, "never released (nor captured)"
    assert await rig.entries(job.job_id) == []
    assert await rig.pinned(job.job_id), "the hold no longer expires"
    # Not even a long time later: neither the stale-hold expiry nor the sweep release it.
    far = rig.clock.now + timedelta(seconds=rig.settings.budget.hold_ttl_seconds * 10)
    assert job.job_id not in await rig.services.ledger.expire_stale_holds(far)
    await rig.jobs.sweep()
    assert await rig.settlement(job.job_id) is None
    assert job.job_id in [j.id for j in await rig.jobs.uncertain_jobs(GUILD)]
    summary = await rig.summary()
    assert (summary.spent, summary.held) == (0, QUOTE)


async def assert_released_unbilled(rig: Rig, job: PreparedJob, state: JobState) -> None:
    stored = await rig.stored(job.job_id)
    assert stored.state is state
    settlement = await rig.settlement(job.job_id)
    assert settlement is not None
    assert (settlement.outcome, settlement.amount) == ("released", 0)
    assert await rig.entries(job.job_id) == [("release", 0)]
    summary = await rig.summary()
    assert (summary.spent, summary.held) == (0, 0)


# -- the submit: may it have reached Atlas? --------------------------------------------------


@pytest.mark.parametrize("fault", [500, 502, 504, "drop"])
async def test_a_submit_that_may_have_reached_atlas_keeps_its_hold(
    rig: Rig, fault: FaultStatus
) -> None:
    rig.sim.fail_next("submit", fault)
    job = await rig.prepare("a fox")

    sink = await rig.run(job)

    assert sink.statuses == [JobStatus.UNCERTAIN]
    assert len(rig.submit_bodies()) == 1, "a submit that may have reached Atlas is never resent"
    if fault == "drop":  # the simulator created the job, then the connection was lost
        assert len(rig.created_at_atlas("a fox")) == 1
    await assert_kept_for_an_admin(rig, job)
    assert (await rig.stored(job.job_id)).prediction_id is None


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_a_job_atlas_created_but_answered_with_an_error_is_never_released(
    rig: Rig, status: int
) -> None:
    rig.sim.late_submit_errors.append(status)
    job = await rig.prepare("a fox")

    sink = await rig.run(job)

    assert len(rig.created_at_atlas("a fox")) == 1, "Atlas has the job (and will bill it)"
    assert len(rig.submit_bodies()) == 1
    assert sink.last.status is JobStatus.UNCERTAIN
    assert sink.shown[-1].money == "held"
    assert f"HTTP {status}" in ((await rig.stored(job.job_id)).error or "")
    await assert_kept_for_an_admin(rig, job)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (400, FailureReason.ATLAS_REFUSED),
        (401, FailureReason.ATLAS_KEY_REJECTED),
        (402, FailureReason.ATLAS_NO_BALANCE),
        (422, FailureReason.ATLAS_UNAVAILABLE),
    ],
)
async def test_a_submit_atlas_refused_is_released_and_failed(
    rig: Rig, status: int, reason: FailureReason
) -> None:
    assert status in SUBMIT_REFUSED_STATUSES
    rig.sim.fail_next("submit", status)
    job = await rig.prepare("a fox")

    sink = await rig.run(job)

    assert len(rig.submit_bodies()) == 1, "a refusal is final: not retried"
    assert rig.sim.jobs == {}
    assert sink.statuses == [JobStatus.FAILED]
    assert sink.last.failure is reason
    await assert_released_unbilled(rig, job, JobState.FAILED)


@pytest.mark.parametrize(
    ("status", "reason"),
    [(429, FailureReason.ATLAS_BUSY), (503, FailureReason.ATLAS_UNAVAILABLE)],
)
async def test_a_submit_still_refused_after_its_retries_is_released(
    rig: Rig, status: int, reason: FailureReason
) -> None:
    rig.sim.fail_next("submit", status, count=4)
    job = await rig.prepare("a fox")

    sink = await rig.run(job)

    assert len(rig.submit_bodies()) == 4, "retried: Atlas refused before taking the job"
    assert rig.sim.jobs == {}
    assert sink.last.failure is reason
    await assert_released_unbilled(rig, job, JobState.FAILED)


async def test_a_submit_refused_once_then_taken_creates_one_job(rig: Rig) -> None:
    rig.sim.fail_next("submit", 429)
    job = await rig.prepare("a fox")

    sink = await rig.run(job)

    assert len(rig.submit_bodies()) == 2
    assert len(rig.created_at_atlas("a fox")) == 1
    assert sink.last.status is JobStatus.DELIVERED
    assert await rig.entries(job.job_id) == [("capture", QUOTE)]


async def test_the_hold_is_pinned_before_generate_video_is_sent(rig: Rig) -> None:
    job = await rig.prepare("a fox")
    seen_by_atlas: list[tuple[object, ...]] = []

    async def look() -> None:
        seen_by_atlas.append((*await rig.stored_now(job.job_id), await rig.pinned(job.job_id)))

    rig.sim.on_submit = look

    await rig.run(job)

    assert seen_by_atlas == [(JobState.SUBMITTING, "held", True)]


# -- Atlas ends the job without a video ----------------------------------------------------


async def test_a_job_rejected_by_moderation_is_released_and_counted(rig: Rig) -> None:
    rig.sim.script_prompt("[nope]", outcome="reject")
    job = await rig.prepare("a [nope] fox")

    sink = await rig.run(job)

    assert len(rig.created_at_atlas("a [nope] fox")) == 1
    assert sink.statuses == [JobStatus.GENERATING, JobStatus.FAILED]
    assert sink.last.failure is FailureReason.CONTENT_REJECTED
    await assert_released_unbilled(rig, job, JobState.REJECTED)
    assert "content moderation" in ((await rig.stored(job.job_id)).error or "")
    assert not await rig.services.moderation.strikes.is_paused(GUILD, MEMBER), "one strike"


async def test_a_failed_generation_is_released(rig: Rig) -> None:
    rig.sim.script_prompt("[broken]", outcome="fail")
    job = await rig.prepare("a [broken] fox")

    sink = await rig.run(job)

    assert sink.last.failure is FailureReason.GENERATION_FAILED
    await assert_released_unbilled(rig, job, JobState.FAILED)


async def test_a_job_that_never_finishes_expires_and_is_released(tmp_path: Path) -> None:
    async with running_rig(tmp_path, polling={"total_timeout_seconds": 0.2}) as rig:
        rig.sim.script_prompt("[stuck]", outcome="stuck")
        job = await rig.prepare("a [stuck] fox")

        sink = await rig.run(job)

        assert sink.last.failure is FailureReason.TIMED_OUT
        await assert_released_unbilled(rig, job, JobState.EXPIRED)


async def test_polls_refused_after_atlas_took_the_job_keep_the_hold(rig: Rig) -> None:
    rig.sim.script_prompt("[slow]", generation_seconds=10)
    rig.sim.fail_next("poll", 401)  # e.g. the key was revoked while the video was made
    job = await rig.prepare("a [slow] fox")

    sink = await rig.run(job)

    assert sink.last.status is JobStatus.UNCERTAIN
    stored = await rig.stored(job.job_id)
    assert stored.prediction_id == rig.created_at_atlas("a [slow] fox")[0]
    await assert_kept_for_an_admin(rig, job)


# -- Atlas made the video: capture, whatever happens to the delivery ---------------------------


async def test_transient_poll_failures_do_not_end_the_job(rig: Rig) -> None:
    rig.sim.fail_next("poll", 503, count=5)
    job = await rig.prepare("a fox")

    sink = await rig.run(job)

    assert sink.last.status is JobStatus.DELIVERED
    assert len(rig.submit_bodies()) == 1
    assert await rig.entries(job.job_id) == [("capture", QUOTE)]


@pytest.mark.parametrize("status", [403, 404])
async def test_a_video_whose_download_fails_is_still_captured_once(rig: Rig, status: int) -> None:
    rig.sim.fail_next("download", status)
    job = await rig.prepare("a fox")

    sink = await rig.run(job)

    (prediction_id,) = rig.created_at_atlas("a fox")
    assert len(rig.sim.requests_to(f"/media/outputs/{prediction_id}.mp4")) == 1
    assert sink.last.status is JobStatus.DELIVERED
    assert sink.videos == [], "no file: the member gets Atlas's link"
    assert sink.last.video_url is not None
    assert sink.last.video_url.endswith(f"/media/outputs/{prediction_id}.mp4")
    assert (sink.last.charged, sink.last.remaining) == (QUOTE, LIMIT - QUOTE)
    assert (await rig.stored(job.job_id)).state is JobState.DELIVERED
    assert await rig.entries(job.job_id) == [("capture", QUOTE)], "Atlas billed it: captured"
    summary = await rig.summary()
    assert (summary.spent, summary.held) == (QUOTE, 0)


async def test_a_video_too_big_to_attach_is_compressed_and_captured_once(rig: Rig) -> None:
    rig.sim.script_prompt("[big]", output_bytes=50_000)
    job = await rig.prepare("a [big] fox")

    sink = await rig.run(job, rig.progress(upload_limit=10_000), timeout=30)

    assert sink.last.status is JobStatus.DELIVERED
    [size] = sink.videos
    assert size <= 10_000, "a smaller rendition of the padded sample"
    assert JobStatus.COMPRESSING in sink.statuses, "the member saw it being compressed"
    sent = sink.last.sent
    assert sent is not None
    assert (sent.original_bytes, sent.attached_bytes, sent.compressed) == (50_000, size, True)
    assert (await rig.stored(job.job_id)).meta.sent == sent, "kept for Info"
    assert await rig.entries(job.job_id) == [("capture", QUOTE)]


async def test_a_video_that_cannot_fit_is_linked_and_captured_once(rig: Rig) -> None:
    rig.sim.script_prompt("[big]", output_bytes=50_000)
    job = await rig.prepare("a [big] fox")

    sink = await rig.run(job, rig.progress(upload_limit=1_000), timeout=30)

    assert sink.last.status is JobStatus.DELIVERED
    assert sink.videos == []
    assert sink.last.video_url is not None
    assert sink.last.sent is not None
    assert sink.last.sent.link is LinkReason.CANNOT_FIT
    assert await rig.entries(job.job_id) == [("capture", QUOTE)]


async def test_the_video_is_attached_with_its_bytes(rig: Rig) -> None:
    rig.sim.script_prompt("[big]", output_bytes=50_000)
    job = await rig.prepare("a [big] fox")

    sink = await rig.run(job)

    assert sink.videos == [50_000]
    assert sink.shown[-1].state is JobState.DOWNLOADING, "delivered once shown"
    assert (await rig.stored(job.job_id)).state is JobState.DELIVERED


async def test_a_flagged_video_held_for_review_is_captured(rig: Rig) -> None:
    await rig.services.server_settings.set(GUILD, by=MEMBER, flagged_outputs="review")
    rig.sim.script_prompt("[flagged]", nsfw=True)
    job = await rig.prepare("a [flagged] fox")

    sink = await rig.run(job)

    assert sink.last.status is JobStatus.HELD_FOR_REVIEW
    assert sink.videos == [], "not shown to the channel"
    stored = await rig.stored(job.job_id)
    assert stored.state is JobState.DELIVERED
    assert await rig.entries(job.job_id) == [("capture", QUOTE)]


# -- never submit unpaid -------------------------------------------------------------------


async def test_a_hold_that_expired_before_submit_is_never_submitted(rig: Rig) -> None:
    job = await rig.prepare("a fox")
    rig.clock.advance(seconds=rig.settings.budget.hold_ttl_seconds + 1)
    assert await rig.services.ledger.expire_stale_holds() == [job.job_id]

    sink = await rig.run(job)

    assert rig.sim.requests == [], "never sent to Atlas"
    assert sink.statuses == [JobStatus.FAILED]
    assert sink.last.failure is FailureReason.HOLD_EXPIRED
    stored = await rig.stored(job.job_id)
    assert stored.state is JobState.FAILED
    assert await rig.entries(job.job_id) == [("release", 0)], "released once, by the expiry"
    assert not await rig.pinned(job.job_id)


# -- images --------------------------------------------------------------------------------


def image_of(rig: Rig, name: str = "dog.png") -> ImageInput:
    """A PNG served on 127.0.0.1 (by the simulator's media route), as Discord describes it."""
    content = png()
    rig.sim.uploads["discord-attachment"] = content
    url = URL(rig.sim.base_url).origin() / "media" / "uploads" / "discord-attachment" / name
    return ImageInput(
        url=str(url),
        filename=name,
        content_type="image/png",
        size=len(content),
        width=256,
        height=256,
    )


async def test_images_are_uploaded_before_the_submit_that_names_them(rig: Rig) -> None:
    job = await rig.prepare(
        "a dog surfs", kind=ModelKind.IMAGE_TO_VIDEO, model_id=IMAGE_MODEL, images=(image_of(rig),)
    )

    sink = await rig.run(job)

    assert sink.statuses[0] is JobStatus.UPLOADING
    assert sink.shown[0].state is JobState.UPLOADING
    assert sink.last.status is JobStatus.DELIVERED
    paths = [r.path for r in rig.sim.requests]
    assert paths.index("/api/v1/model/uploadMedia") < paths.index("/api/v1/model/generateVideo")
    (body,) = rig.submit_bodies()
    stored = await rig.stored(job.job_id)
    assert body["images"] == list(stored.meta.image_urls)
    assert len(stored.meta.image_urls) == 1
    assert await rig.entries(job.job_id) == [("capture", QUOTE)]


async def test_an_upload_atlas_refuses_releases_the_job_unsubmitted(rig: Rig) -> None:
    rig.sim.fail_next("upload", 400)
    job = await rig.prepare(
        "a dog surfs", kind=ModelKind.IMAGE_TO_VIDEO, model_id=IMAGE_MODEL, images=(image_of(rig),)
    )

    sink = await rig.run(job)

    assert rig.submit_bodies() == []
    assert sink.statuses == [JobStatus.UPLOADING, JobStatus.FAILED]
    assert sink.last.failure is FailureReason.ATLAS_REFUSED
    await assert_released_unbilled(rig, job, JobState.FAILED)
