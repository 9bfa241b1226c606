"""The transcoder on real files through the real encoder, scaled down: a 720p 4 s clip into
1 MB takes the same path as a 4k clip into 10 MiB."""

from __future__ import annotations

import asyncio
import hashlib
import os
import struct
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.launcher import new_event_loop
from bot.transcode import (
    CannotFit,
    Encoder,
    EncodeTimedOut,
    Fitted,
    Policy,
    TranscodeError,
    Transcoder,
    UnreadableInput,
    clean_leftovers,
    decodes,
    probe,
)
from bot.transcode.process import run
from bot.transcode.transcoder import NICENESS
from tests.transcode.conftest import cut_short, group_alive, hanging_encoder, mode_of, size_of

LIMIT = 1_000_000


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return tmp_path / "data" / "transcode"


@pytest.fixture
async def transcoder(encoder: Encoder, work: Path) -> AsyncIterator[Transcoder]:
    transcoder = Transcoder(encoder, work, max_concurrent=2, timeout_seconds=120)
    yield transcoder
    await transcoder.close()


def box_order(path: Path) -> list[bytes]:
    """The top-level MP4 boxes, read from the file here rather than trusted to the code."""
    kinds, data, offset = [], path.read_bytes(), 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        assert size >= 8
        kinds.append(kind)
        offset += size
    assert offset == len(data)
    return kinds


def leftovers(folder: Path, *keep: Fitted) -> list[str]:
    kept = {fitted.path.name for fitted in keep}
    return sorted(p.name for p in folder.iterdir() if p.name not in kept)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_video_over_the_limit_comes_out_under_it_and_plays_inline(
    transcoder: Transcoder, encoder: Encoder, hd_4s: Path, work: Path
) -> None:
    assert size_of(hd_4s) > LIMIT * 1.4

    fitted = await transcoder.fit(hd_4s, LIMIT)

    assert fitted.changed
    assert fitted.attempts == 1
    assert fitted.path.parent == work
    assert LIMIT * 0.85 < size_of(fitted.path) == fitted.size_bytes <= LIMIT
    info = await probe(fitted.path, encoder)
    assert (info.video_codec, info.pix_fmt, info.audio_codec) == ("h264", "yuv420p", "aac")
    assert info.duration == pytest.approx(4.0, abs=0.2)
    assert (info.width, info.height) == (fitted.width, fitted.height) == (854, 480)
    assert fitted.audio_copied  # AAC stereo at 128 kbit/s already: sent as it is
    assert (info.audio_kbps, info.audio_channels) == (128, 2)
    order = box_order(fitted.path)
    assert order.index(b"moov") < order.index(b"mdat")  # faststart: plays while loading
    assert await decodes(fitted.path, encoder)
    assert leftovers(work, fitted) == []
    assert mode_of(work) == 0o700
    assert mode_of(fitted.path) == 0o600


def test_it_runs_on_the_bots_event_loop(encoder: Encoder, hd_4s: Path, work: Path) -> None:
    """The bot runs on uvloop (`bot.launcher`), whose subprocesses take no `umask`: the
    encode works there too, and its file is still owner-only."""

    async def fit() -> Fitted:
        transcoder = Transcoder(encoder, work, timeout_seconds=120)
        try:
            return await transcoder.fit(hd_4s, LIMIT)
        finally:
            await transcoder.close()

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        fitted = runner.run(fit())

    assert fitted.changed
    assert size_of(fitted.path) <= LIMIT
    assert mode_of(fitted.path) == 0o600


async def test_mono_audio_comes_out_stereo(
    transcoder: Transcoder, encoder: Encoder, hd_4s: Path, tmp_path: Path
) -> None:
    mono = tmp_path / "mono.mp4"
    made = await run(
        [encoder.path, "-v", "error", "-i", str(hd_4s), "-c:v", "copy", "-ac", "1", str(mono)]
    )
    assert made.returncode == 0

    fitted = await transcoder.fit(mono, LIMIT)

    assert not fitted.audio_copied
    info = await probe(fitted.path, encoder)
    assert (info.audio_codec, info.audio_channels) == ("aac", 2)


async def test_a_video_under_the_limit_is_never_touched(
    transcoder: Transcoder, hd_4s: Path, work: Path
) -> None:
    before = digest(hd_4s)

    fitted = await transcoder.fit(hd_4s, size_of(hd_4s))

    assert not fitted.changed
    assert fitted.attempts == 0
    assert fitted.path == hd_4s
    assert digest(fitted.path) == before
    assert (fitted.width, fitted.height) == (1280, 720)
    assert transcoder.peak_encoding == 0
    assert leftovers(work) == []


async def test_a_1080p_video_just_over_the_limit_stays_1080p(
    transcoder: Transcoder, full_hd_2s: Path
) -> None:
    limit = int(size_of(full_hd_2s) * 0.97)

    fitted = await transcoder.fit(full_hd_2s, limit)

    assert (fitted.width, fitted.height) == (1920, 1080)
    assert fitted.size_bytes <= limit


async def test_a_large_video_with_a_tiny_limit_is_scaled_down(
    transcoder: Transcoder, full_hd_2s: Path
) -> None:
    fitted = await transcoder.fit(full_hd_2s, 250_000)

    assert (fitted.width, fitted.height) == (854, 480)
    assert fitted.size_bytes <= 250_000


async def test_a_small_video_is_never_scaled_up(
    transcoder: Transcoder, encoder: Encoder, small_4s: Path
) -> None:
    fitted = await transcoder.fit(small_4s, 400_000)

    assert (fitted.width, fitted.height) == (640, 360)
    info = await probe(fitted.path, encoder)
    assert (info.width, info.height) == (640, 360)
    assert fitted.size_bytes <= 400_000


async def test_when_nothing_fits_no_encoder_runs(
    transcoder: Transcoder, full_hd_2s: Path, work: Path
) -> None:
    with pytest.raises(CannotFit, match="too thin even at 854x480"):
        await transcoder.fit(full_hd_2s, 40_000)
    with pytest.raises(CannotFit, match="no room for video"):
        await transcoder.fit(full_hd_2s, 10_000)

    assert transcoder.peak_encoding == 0
    assert leftovers(work) == []


async def test_a_first_attempt_over_the_limit_is_tried_again_lower(
    encoder: Encoder, hd_4s: Path, work: Path
) -> None:
    # A planner that overshoots by a third: the first output cannot fit.
    reckless = Transcoder(encoder, work, policy=Policy(safety_margin=-0.35))

    fitted = await reckless.fit(hd_4s, LIMIT)

    assert fitted.attempts == 2
    assert fitted.size_bytes <= LIMIT
    assert leftovers(work, fitted) == []


@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing"])
async def test_an_unreadable_input_is_said_so(
    transcoder: Transcoder, hd_4s: Path, tmp_path: Path, work: Path, damage: str
) -> None:
    source = tmp_path / f"{damage}.mp4"
    if damage == "garbage":
        source.write_bytes(os.urandom(200_000))
    elif damage == "truncated":  # a download cut short: the header is whole, the data is not
        cut_short(hd_4s, source, 2 / 3)

    with pytest.raises(UnreadableInput):
        await transcoder.fit(source, LIMIT)

    assert leftovers(work) == []


async def test_a_job_over_its_time_is_killed_and_cleaned_up(
    encoder: Encoder, hd_4s: Path, tmp_path: Path, work: Path
) -> None:
    transcoder = Transcoder(hanging_encoder(tmp_path, encoder), work, timeout_seconds=1)
    job = asyncio.create_task(transcoder.fit(hd_4s, LIMIT))
    await transcoder.wait_for_encoders(1)
    (group,) = transcoder.encoder_pids

    with pytest.raises(EncodeTimedOut, match="over 1 s"):
        await job

    assert group_alive(group) == []  # the shell and its sleeping child
    assert transcoder.encoding == 0
    assert leftovers(work) == []


async def test_encoders_never_run_more_than_the_maximum_at_once(
    transcoder: Transcoder, hd_4s: Path, work: Path
) -> None:
    heard: dict[int, list[int]] = {job: [] for job in range(4)}

    results = await asyncio.gather(
        *(transcoder.fit(hd_4s, LIMIT, on_wait=heard[job].append) for job in range(4))
    )

    assert transcoder.max_concurrent == 2
    assert transcoder.peak_encoding == 2
    assert all(fitted.size_bytes <= LIMIT for fitted in results)
    # Two started at once; the third waited first in line; the fourth second, then first.
    assert sorted(heard.values()) == [[], [], [0], [1, 0]]
    assert transcoder.waiting == 0
    assert leftovers(work, *results) == []


async def test_close_stops_running_encoders_and_the_line(
    encoder: Encoder, hd_4s: Path, tmp_path: Path, work: Path
) -> None:
    transcoder = Transcoder(hanging_encoder(tmp_path, encoder), work, max_concurrent=1)
    running = asyncio.create_task(transcoder.fit(hd_4s, LIMIT))
    await transcoder.wait_for_encoders(1)
    (group,) = transcoder.encoder_pids
    in_line = asyncio.Event()
    waiting = asyncio.create_task(transcoder.fit(hd_4s, LIMIT, on_wait=lambda _: in_line.set()))
    await in_line.wait()

    await transcoder.close()

    for job in (running, waiting):
        with pytest.raises(TranscodeError, match="closed"):
            await job
    assert group_alive(group) == []
    assert leftovers(work) == []
    with pytest.raises(TranscodeError, match="closed"):
        await transcoder.fit(hd_4s, LIMIT)


async def test_a_cancelled_job_kills_its_encoder_and_frees_its_place(
    encoder: Encoder, hd_4s: Path, tmp_path: Path, work: Path
) -> None:
    transcoder = Transcoder(hanging_encoder(tmp_path, encoder), work, max_concurrent=1)
    job = asyncio.create_task(transcoder.fit(hd_4s, LIMIT))
    await transcoder.wait_for_encoders(1)
    (group,) = transcoder.encoder_pids

    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job

    assert group_alive(group) == []
    assert leftovers(work) == []
    # Its place in front is free again: the next job starts at once, nobody ahead of it.
    heard: list[int] = []
    second = asyncio.create_task(transcoder.fit(hd_4s, LIMIT, on_wait=heard.append))
    await transcoder.wait_for_encoders(1)
    assert heard == []
    await transcoder.close()
    with pytest.raises(TranscodeError):
        await second


def test_leftovers_of_a_dead_process_are_removed_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "transcode"
    folder.mkdir()
    stale = [folder / "fit-0123.1.part.mp4", folder / "fit-4567.mp4"]
    fresh = folder / "fit-89ab.1.part.mp4"
    other = folder / "notes.txt"
    an_hour_ago = time.time() - 3700
    for path in (*stale, fresh, other):
        path.write_bytes(b"x")
    for path in (*stale, other):
        os.utime(path, (an_hour_ago, an_hour_ago))

    assert clean_leftovers(folder) == 2

    assert sorted(p.name for p in folder.iterdir()) == [fresh.name, other.name]
    assert clean_leftovers(folder, older_than_seconds=0) == 1
    assert clean_leftovers(tmp_path / "absent") == 0


def niceness_of_threads(group: int) -> list[int]:
    """The nice value of each thread of each live process in process group `group`."""
    seen = []
    for pid in group_alive(group):
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            seen.append(int(fields[16]))  # field 19 of stat: nice
    return seen


async def test_encoders_run_below_the_bots_cpu_priority_every_process_and_thread(
    encoder: Encoder, hd_4s: Path, tmp_path: Path, work: Path
) -> None:
    """A line of 4k encodes must not slow the bot's answers or the videos needing none."""
    expected = min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)
    hanging = Transcoder(hanging_encoder(tmp_path, encoder), work, max_concurrent=1)
    job = asyncio.create_task(hanging.fit(hd_4s, LIMIT))
    await hanging.wait_for_encoders(1)
    (group,) = hanging.encoder_pids
    for _ in range(200):  # the wrapper and the child it starts
        if len(group_alive(group)) == 2:
            break
        await asyncio.sleep(0.01)
    assert len(group_alive(group)) == 2
    assert set(niceness_of_threads(group)) == {expected}
    await hanging.close()
    with pytest.raises(TranscodeError):
        await job

    real = Transcoder(encoder, tmp_path / "real", max_concurrent=1, cpus=2)
    fitting = asyncio.create_task(real.fit(hd_4s, LIMIT))
    seen: set[int] = set()
    threads = 0
    while not fitting.done():
        for group in real.encoder_pids:
            niceness = niceness_of_threads(group)
            seen |= set(niceness)
            threads = max(threads, len(niceness))
        await asyncio.sleep(0.02)
    assert (await fitting).changed
    await real.close()
    assert threads > 1, "x264 and the decoder run threads of their own"
    assert seen == {expected}
