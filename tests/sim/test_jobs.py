"""Simulated jobs: progress on a clock, playable outputs, scripted outcomes and faults."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.settings import Settings
from bot.sim import AtlasSimulator
from bot.sim.jobs import sample_video
from bot.transcode import UnreadableInput, find_encoder, probe
from tests.sim.conftest import AUTH, FakeClock

BODY = {
    "model": "google/veo3.1-lite/text-to-video",
    "prompt": "a kite over the dunes",
    "duration": 4,
    "aspect_ratio": "16:9",
    "resolution": "720p",
}


async def submit(sim: AtlasSimulator, http: aiohttp.ClientSession, prompt: str) -> str:
    async with http.post(
        f"{sim.base_url}/model/generateVideo", json={**BODY, "prompt": prompt}, headers=AUTH
    ) as response:
        assert response.status == 200
        return str((await response.json())["data"]["id"])


async def poll(sim: AtlasSimulator, http: aiohttp.ClientSession, job: str) -> dict[str, Any]:
    async with http.get(f"{sim.base_url}/model/prediction/{job}", headers=AUTH) as response:
        assert response.status == 200
        body = await response.json()
    assert body["code"] == 200
    data: dict[str, Any] = body["data"]
    return data


def top_level_boxes(mp4: bytes) -> list[tuple[bytes, int]]:
    """(type, size) of each top-level MP4 box; the sizes must tile the file exactly."""
    boxes, offset = [], 0
    while offset < len(mp4):
        size, kind = struct.unpack(">I4s", mp4[offset : offset + 8])
        assert size >= 8
        boxes.append((kind, size))
        offset += size
    assert offset == len(mp4)
    return boxes


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def timed(settings: Settings, clock: FakeClock) -> Any:
    async with AtlasSimulator(
        settings.catalogue, generation_seconds=10, clock=clock, price_usd="0.45"
    ) as simulator:
        yield simulator


async def test_status_follows_the_clock(
    timed: AtlasSimulator, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    job = await submit(timed, http, "clockwork")
    first = await poll(timed, http, job)
    assert first["status"] == "starting"
    assert first["outputs"] == []
    assert first["completed_at"] is None
    assert "price" not in first
    clock.now += 5
    assert (await poll(timed, http, job))["status"] == "processing"
    clock.now += 5
    done = await poll(timed, http, job)
    assert done["status"] == "completed"
    assert done["model"] == BODY["model"]
    assert done["price"] == 0.45
    assert done["has_nsfw_contents"] == [False]
    assert done["error"] == ""
    assert done["completed_at"]
    assert done["created_at"]
    assert done["outputs"] == [f"{timed.base_url[:-7]}/media/outputs/{job}.mp4"]


async def test_output_is_the_playable_sample(
    timed: AtlasSimulator, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    job = await submit(timed, http, "sample")
    clock.now += 10
    (url,) = (await poll(timed, http, job))["outputs"]
    async with http.get(url) as response:
        assert response.status == 200
        assert response.content_type == "video/mp4"
        video = await response.read()
    assert video == sample_video()
    kinds = [kind for kind, _ in top_level_boxes(video)]
    assert kinds[0] == b"ftyp"
    assert b"moov" in kinds
    assert b"mdat" in kinds


async def test_output_of_a_chosen_size_stays_a_valid_mp4(
    timed: AtlasSimulator, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    timed.script_prompt("#huge", output_bytes=26_000_000)
    job = await submit(timed, http, "bigger than discord allows #huge")
    clock.now += 10
    (url,) = (await poll(timed, http, job))["outputs"]
    async with http.get(url) as response:
        assert response.content_length == 26_000_000
        video = await response.read()
    assert len(video) == 26_000_000
    assert video.startswith(sample_video())
    assert top_level_boxes(video)[-1] == (b"free", 26_000_000 - len(sample_video()))


async def test_a_damaged_output_looks_like_an_mp4_and_is_none(
    timed: AtlasSimulator, clock: FakeClock, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    timed.script_prompt("#broken", damaged=True, output_bytes=300_000)
    job = await submit(timed, http, "a broken reel #broken")
    clock.now += 10
    (url,) = (await poll(timed, http, job))["outputs"]
    async with http.get(url) as response:
        assert (response.status, response.content_type) == (200, "video/mp4")
        video = await response.read()
    assert len(video) == 300_000
    assert video[4:8] == b"ftyp", "it starts like one"
    path = tmp_path / "broken.mp4"
    path.write_bytes(video)
    with pytest.raises(UnreadableInput, match="no video stream"):
        await probe(path, await find_encoder())


async def test_output_is_not_served_before_completion(
    timed: AtlasSimulator, http: aiohttp.ClientSession
) -> None:
    job = await submit(timed, http, "not yet")
    async with http.get(f"{timed.base_url[:-7]}/media/outputs/{job}.mp4") as response:
        assert response.status == 404


@pytest.mark.parametrize(
    ("outcome", "code"), [("reject", 1039), ("fail", 1001)], ids=["reject", "fail"]
)
async def test_scripted_failures(
    timed: AtlasSimulator,
    clock: FakeClock,
    http: aiohttp.ClientSession,
    outcome: Any,
    code: int,
) -> None:
    timed.script_prompt("#bad", outcome=outcome)
    job = await submit(timed, http, "oops #bad")
    clock.now += 10
    data = await poll(timed, http, job)
    assert data["status"] == "failed"
    assert data["error_code"] == code
    assert data["error"]
    assert data["outputs"] == []
    assert "price" not in data  # failed jobs are not billed


async def test_stuck_job_until_completed_by_hand(
    timed: AtlasSimulator, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    timed.script_prompt("#stuck", outcome="stuck", nsfw=True)
    job = await submit(timed, http, "hang #stuck")
    clock.now += 10_000
    assert (await poll(timed, http, job))["status"] == "processing"
    timed.complete_now(job)
    data = await poll(timed, http, job)
    assert data["status"] == "completed"
    assert data["has_nsfw_contents"] == [True]


async def test_per_prompt_generation_time(
    timed: AtlasSimulator, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    timed.script_prompt("#quick", generation_seconds=1)
    job = await submit(timed, http, "fast one #quick")
    clock.now += 1
    assert (await poll(timed, http, job))["status"] == "completed"


async def test_faults_apply_to_their_endpoint_only_and_run_out(
    sim: AtlasSimulator, http: aiohttp.ClientSession
) -> None:
    sim.fail_next("poll", 503, count=2)
    job = await submit(sim, http, "fault order")  # a poll fault leaves submits alone
    sim.fail_next("any", 429)
    statuses = []
    for _ in range(5):
        async with http.get(f"{sim.base_url}/model/prediction/{job}", headers=AUTH) as r:
            statuses.append(r.status)
    assert statuses == [503, 503, 429, 200, 200]


async def test_any_fault_applies_to_every_endpoint(
    sim: AtlasSimulator, http: aiohttp.ClientSession
) -> None:
    sim.fail_next("any", 402)
    async with http.post(
        f"{sim.base_url}/model/generateVideo", json=BODY, headers=AUTH
    ) as response:
        assert response.status == 402
        body = await response.json()
    assert body["msg"] == "insufficient balance"
    assert sim.submits_by_prompt[BODY["prompt"]] == 1  # received, though refused
    assert sim.jobs == {}


async def test_dropped_submit_still_creates_the_job(
    sim: AtlasSimulator, http: aiohttp.ClientSession
) -> None:
    sim.fail_next("submit", "drop")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await submit(sim, http, "lost reply")
    assert len(sim.jobs) == 1
    assert sim.submits_by_prompt["lost reply"] == 1


async def test_slow_responses(sim: AtlasSimulator, http: aiohttp.ClientSession) -> None:
    sim.slow_seconds = 0.2
    timeout = aiohttp.ClientTimeout(total=0.05)
    with pytest.raises(asyncio.TimeoutError):
        async with http.get(f"{sim.base_url}/model/prediction/x", headers=AUTH, timeout=timeout):
            pass
