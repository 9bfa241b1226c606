"""Fetching a finished video from Atlas (issue #19, item 6): a download that fails is retried
for minutes, also after a restart, and only then linked with "the download failed", never "too
large"; a video past `max_download_mb` is never downloaded; the files go away afterwards.

Through the real job service (`tests.jobs.rig`): the simulator's scripted faults on its output
route, the real ledger; the retry window shrunk through `[delivery] download_retry_minutes`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.builder import transcode_folder
from bot.jobs.progress import JobStatus
from bot.jobs.record import JobState, LinkReason
from tests.crash.waiting import until
from tests.jobs.rig import QUOTE, SAMPLE_BYTES, Rig, running_rig

SHORT_WINDOW_MINUTES = 0.05
"""3 s of retries: the first pause 10 ms, none longer than 0.3 s."""


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """The job service, retrying a failing download for 3 s instead of 10 minutes."""
    async with running_rig(tmp_path) as built:
        await with_delivery(built, download_retry_minutes=SHORT_WINDOW_MINUTES)
        yield built


async def with_delivery(rig: Rig, **changes: object) -> None:
    """Change `[delivery]` and start the service again with it."""
    rig.settings.delivery = rig.settings.delivery.model_copy(update=changes)
    await rig.restart()


def downloads(rig: Rig, prediction_id: str) -> int:
    """Requests for the job's output file."""
    return len(rig.sim.requests_to(f"/media/outputs/{prediction_id}.mp4", "GET"))


async def test_a_download_failing_for_a_while_is_retried_and_delivered(rig: Rig) -> None:
    # The client tries 4 times in a row (pausing up to 3.5 s in all); then the job waits and
    # tries again, if its window is not over by then: 30 s here.
    await with_delivery(rig, download_retry_minutes=0.5)
    rig.sim.fail_next("download", 500, count=6)
    job = await rig.prepare("a fox")

    sink = await rig.run(job, timeout=15)

    assert sink.last.status is JobStatus.DELIVERED
    assert sink.videos == [SAMPLE_BYTES]
    retrying = [s.view for s in sink.shown if s.view.retry_until is not None]
    assert len(retrying) == 1, "one edit says it keeps trying, and until when"
    assert retrying[0].status is JobStatus.DOWNLOADING
    assert retrying[0].retry_until is not None
    (prediction_id,) = rig.created_at_atlas("a fox")
    assert downloads(rig, prediction_id) == 7
    assert await rig.entries(job.job_id) == [("capture", QUOTE)]


async def test_a_download_that_keeps_failing_says_so_with_the_link(rig: Rig) -> None:
    rig.sim.fail_next("download", 503, count=10_000)
    job = await rig.prepare("a fox")
    started = time.monotonic()

    sink = await rig.run(job, timeout=30)

    assert time.monotonic() - started >= SHORT_WINDOW_MINUTES * 60, "tried for the whole window"
    assert sink.last.status is JobStatus.DELIVERED
    assert sink.videos == []
    sent = sink.last.sent
    assert sent is not None
    assert sent.link is LinkReason.DOWNLOAD_FAILED, "never 'too large'"
    assert sink.last.video_url is not None
    stored = await rig.stored(job.job_id)
    assert (stored.state, stored.meta.sent) == (JobState.DELIVERED, sent)
    assert await rig.entries(job.job_id) == [("capture", QUOTE)], "Atlas billed it"


async def test_a_download_atlas_refuses_for_good_is_not_retried(rig: Rig) -> None:
    rig.sim.fail_next("download", 404)
    job = await rig.prepare("a fox")

    sink = await rig.run(job)

    assert sink.last.sent is not None
    assert sink.last.sent.link is LinkReason.DOWNLOAD_FAILED
    (prediction_id,) = rig.created_at_atlas("a fox")
    assert downloads(rig, prediction_id) == 1
    assert not [s for s in sink.shown if s.view.retry_until is not None]


async def test_a_download_failing_when_the_bot_stops_is_fetched_after_the_restart(
    rig: Rig,
) -> None:
    await with_delivery(rig, download_retry_minutes=10)
    rig.sim.fail_next("download", 500, count=10_000)
    job = await rig.prepare("a fox")
    sink = rig.progress()
    rig.jobs.run(job, sink)
    await until(
        lambda: any(s.view.retry_until is not None for s in sink.shown), "a retry to be shown", 10
    )
    assert (await rig.stored(job.job_id)).state is JobState.DOWNLOADING
    assert await rig.entries(job.job_id) == [("capture", QUOTE)], "captured before the download"

    await rig.restart()
    rig.sim.clear_faults()  # Atlas's storage is back
    report = await rig.jobs.recover(rig.progress_for)

    assert report.resumed == [job.job_id]
    resumed = rig.recovered[job.job_id]
    await resumed.final(timeout=10)
    assert resumed.last.status is JobStatus.DELIVERED
    assert resumed.videos == [SAMPLE_BYTES]

    async def stored_delivered() -> bool:
        return (await rig.stored(job.job_id)).state is JobState.DELIVERED

    await until(stored_delivered, "the delivery to be stored", 5)
    assert await rig.entries(job.job_id) == [("capture", QUOTE)], "charged once"
    summary = await rig.summary()
    assert (summary.spent, summary.held) == (QUOTE, 0)


async def test_a_full_disk_while_downloading_is_tried_again(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = rig.services.atlas.download
    calls: list[str] = []

    async def disk_full_once(url: str, dest: Path, *, max_bytes: int) -> int:
        calls.append(url)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return await real(url, dest, max_bytes=max_bytes)

    monkeypatch.setattr(rig.services.atlas, "download", disk_full_once)
    job = await rig.prepare("a fox")

    sink = await rig.run(job, timeout=15)

    assert len(calls) == 2
    assert sink.videos == [SAMPLE_BYTES]
    assert await rig.entries(job.job_id) == [("capture", QUOTE)]


async def test_a_video_past_max_download_mb_is_never_downloaded(rig: Rig) -> None:
    await with_delivery(rig, max_download_mb=1)
    rig.sim.script_prompt("[vast]", output_bytes=2_000_000)
    job = await rig.prepare("a [vast] fox")

    sink = await rig.run(job, rig.progress(upload_limit=500_000))

    assert sink.videos == []
    sent = sink.last.sent
    assert sent is not None
    assert (sent.link, sent.original_bytes) == (LinkReason.TOO_BIG_TO_FETCH, 2_000_000)
    assert await rig.entries(job.job_id) == [("capture", QUOTE)]


async def test_a_video_waiting_for_the_encoder_says_how_many_are_ahead(rig: Rig) -> None:
    await with_delivery(rig, max_encoders=1)
    transcoder = rig.services.transcoder
    assert transcoder is not None
    await transcoder._acquire(None)  # another video holds the only encoder
    rig.sim.script_prompt("[big]", output_bytes=60_000)
    job = await rig.prepare("a [big] fox")
    sink = rig.progress(upload_limit=20_000)
    rig.jobs.run(job, sink)
    try:
        await until(lambda: transcoder.waiting == 1, "the video to wait for the encoder", 10)
    finally:
        transcoder._release()
    await sink.final(timeout=30)

    compressing = [s.view for s in sink.shown if s.view.status is JobStatus.COMPRESSING]
    assert [view.encoder_ahead for view in compressing] == [1], "one edit: waiting, 1 ahead"
    assert sink.last.sent is not None
    assert sink.last.sent.compressed


async def test_the_work_folder_is_owner_only_and_left_empty(rig: Rig) -> None:
    folder = transcode_folder(rig.settings)
    rig.sim.script_prompt("[big]", output_bytes=60_000)
    job = await rig.prepare("a [big] fox")

    sink = await rig.run(job, rig.progress(upload_limit=20_000), timeout=30)

    assert sink.last.sent is not None
    assert sink.last.sent.compressed
    assert (folder.stat().st_mode & 0o777) == 0o700, "members' videos: owner only"
    assert await asyncio.to_thread(lambda: list(folder.iterdir())) == []


async def test_files_a_dead_process_left_are_removed_at_start(rig: Rig) -> None:
    folder = transcode_folder(rig.settings)
    old, fresh, foreign = folder / "fit-dead.part.mp4", folder / "fit-now.mp4", folder / "x"
    for path in (old, fresh, foreign):
        path.write_bytes(b"left over")
    an_hour_ago = time.time() - 3700
    os.utime(old, (an_hour_ago, an_hour_ago))

    await rig.restart()

    assert sorted(p.name for p in folder.iterdir()) == ["fit-now.mp4", "x"], (
        "only the transcoder's own files, and only old ones (another process may be encoding)"
    )
