"""Realistic simulator outputs: real H.264 + AAC files at Atlas's sizes, made once and cached,
served by the simulator when asked to; the tiny sample stays the default."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.settings import Settings
from bot.sim import AtlasSimulator
from bot.sim.jobs import sample_video
from bot.sim.outputs import (
    BitrateTable,
    OutputSpec,
    SimOutputs,
    default_cache_dir,
    frame_size,
)
from bot.transcode import decodes, faststart, find_encoder, probe
from tests.sim.conftest import AUTH, FakeClock
from tests.sim.test_jobs import poll


def names(folder: Path) -> list[str]:
    """The files in `folder` (a sync helper: async tests do not block on pathlib)."""
    return sorted(path.name for path in folder.iterdir())


@pytest.mark.parametrize(
    ("resolution", "aspect", "size"),
    [
        ("720p", "16:9", (1280, 720)),
        ("720p", "9:16", (720, 1280)),
        ("1080p", "1:1", (1080, 1080)),
        ("720p", "4:3", (960, 720)),
        ("720p", "3:4", (720, 960)),
        ("720p", "21:9", (1680, 720)),
        ("480p", "16:9", (854, 480)),
        ("4k", "16:9", (3840, 2160)),
        ("4k", "9:16", (2160, 3840)),
        ("1080p-SR", "16:9", (1920, 1080)),
        ("2k", "16:9", (2560, 1440)),
        ("720p", "adaptive", (1280, 720)),
    ],
)
def test_frame_size_follows_resolution_and_aspect(
    resolution: str, aspect: str, size: tuple[int, int]
) -> None:
    assert frame_size(resolution, aspect) == size


def test_an_unknown_resolution_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown resolution"):
        frame_size("huge", "16:9")


def test_bitrates_default_to_real_world_figures_and_interpolate() -> None:
    table = BitrateTable()

    def mbps(resolution: str, aspect: str = "16:9") -> float:
        return table.mbps("any/model", resolution, *frame_size(resolution, aspect))

    assert (mbps("720p"), mbps("1080p"), mbps("4k")) == (3.0, 8.0, 30.0)
    assert mbps("720p", "9:16") == 3.0
    assert mbps("480p") == pytest.approx(3.0 * 854 * 480 / (1280 * 720))
    assert 8.0 < mbps("1440p") < 30.0
    assert 3.0 < mbps("1080p", "1:1") < 8.0  # fewer pixels, fewer bits


def test_bitrates_are_configurable_per_model() -> None:
    table = BitrateTable(
        {"*": {"720p": 4.0}, "bytedance/seedance-2.0/text-to-video": {"1080p": 12}}
    )

    assert table.mbps("bytedance/seedance-2.0/text-to-video", "1080p", 1920, 1080) == 12
    assert table.mbps("google/veo3.1-lite/text-to-video", "1080p", 1920, 1080) == 8.0
    assert table.mbps("google/veo3.1-lite/text-to-video", "720p", 1280, 720) == 4.0


def test_the_cache_lives_in_the_users_cache_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere/cache")
    assert default_cache_dir() == Path("/somewhere/cache/atlas-video-bot/sim-outputs")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "atlas-video-bot" / "sim-outputs"


async def test_an_output_is_a_real_video_of_the_size_asked(tmp_path: Path) -> None:
    outputs = SimOutputs(cache_dir=tmp_path / "cache")
    spec = outputs.spec_for("google/veo3.1-lite/text-to-video", "720p", "9:16", 4)

    path = await outputs.path(spec)

    encoder = await find_encoder()
    info = await probe(path, encoder)
    assert (info.width, info.height, info.duration, info.fps) == (720, 1280, 4.0, 24.0)
    assert (info.video_codec, info.pix_fmt, info.audio_codec) == ("h264", "yuv420p", "aac")
    assert faststart(path)
    assert await decodes(path, encoder)
    # 3 Mbit/s for 4 s: 1.5 MB, within a few per cent.
    assert path.stat().st_size == pytest.approx(1_500_000, rel=0.06)


async def test_an_output_is_made_once_and_then_cached(tmp_path: Path) -> None:
    spec = OutputSpec(640, 360, 2, 1000)
    first = SimOutputs(cache_dir=tmp_path)

    made = await asyncio.gather(first.path(spec), first.path(spec))
    again = SimOutputs(cache_dir=tmp_path)  # another process, later
    cached = await again.path(spec)

    assert made[0] == made[1] == cached
    assert (first.generated, again.generated) == (1, 0)
    assert names(tmp_path) == [spec.filename]


async def test_two_processes_making_the_same_output_never_serve_half_a_file(
    tmp_path: Path,
) -> None:
    spec = OutputSpec(640, 360, 2, 1000)
    # Two simulators, as two processes would be: each encodes, each renames a whole file.
    racing = [SimOutputs(cache_dir=tmp_path) for _ in range(2)]

    paths = await asyncio.gather(*(outputs.path(spec) for outputs in racing))

    assert paths[0] == paths[1]
    assert names(tmp_path) == [spec.filename]  # no .part left
    assert await decodes(paths[0], await find_encoder())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def realistic(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[AtlasSimulator]:
    async with AtlasSimulator(
        settings.catalogue, generation_seconds=1, clock=clock, outputs="realistic",
        output_cache=tmp_path / "sim-outputs",
    ) as simulator:  # fmt: skip
        yield simulator


async def completed_output(
    sim: AtlasSimulator, clock: FakeClock, http: aiohttp.ClientSession, body: dict[str, object]
) -> str:
    async with http.post(f"{sim.base_url}/model/generateVideo", json=body, headers=AUTH) as sent:
        assert sent.status == 200
        job = str((await sent.json())["data"]["id"])
    clock.now += 1
    (url,) = (await poll(sim, http, job))["outputs"]
    return str(url)


@pytest.mark.parametrize("length_known", [True, False])
async def test_the_simulator_serves_a_realistic_output(
    realistic: AtlasSimulator,
    clock: FakeClock,
    http: aiohttp.ClientSession,
    tmp_path: Path,
    length_known: bool,
) -> None:
    realistic.send_content_length = length_known
    body = {
        "model": "bytedance/seedance-2.0/text-to-video",
        "prompt": "a square of sea",
        "duration": 4,
        "ratio": "1:1",
        "resolution": "720p",
    }
    url = await completed_output(realistic, clock, http, body)

    async with http.get(url) as response:
        assert response.content_type == "video/mp4"
        assert (response.content_length is not None) == length_known
        video = await response.read()

    (cached,) = (tmp_path / "sim-outputs").iterdir()
    assert video == cached.read_bytes()
    info = await probe(cached, await find_encoder())
    assert (info.width, info.height, info.duration) == (720, 720, 4.0)


async def test_a_scripted_size_still_gets_the_padded_sample(
    realistic: AtlasSimulator, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    realistic.script_prompt("#bytes", output_bytes=300_000)
    body = {
        "model": "google/veo3.1-lite/text-to-video",
        "prompt": "only the size matters #bytes",
        "duration": 4,
        "aspect_ratio": "16:9",
        "resolution": "720p",
    }
    url = await completed_output(realistic, clock, http, body)

    async with http.get(url) as response:
        video = await response.read()

    assert len(video) == 300_000
    assert video.startswith(sample_video())


async def test_the_tiny_sample_stays_the_default(settings: Settings) -> None:
    simulator = AtlasSimulator(settings.catalogue)

    assert simulator.realistic_outputs is None
