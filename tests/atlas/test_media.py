"""Uploading images, downloading outputs and checking the key, against the simulator."""

from __future__ import annotations

import os
import stat
import tracemalloc
from pathlib import Path

import pytest
from aiohttp import BodyPartReader, web
from pydantic import SecretStr

from bot.atlas import (
    AtlasClient,
    AuthenticationError,
    NotFound,
    OutputTooLarge,
    PayloadTooLarge,
    PermissionDenied,
    PollSchedule,
    ServerError,
    UnexpectedResponse,
)
from bot.settings import Settings
from bot.sim import AtlasSimulator, make_png
from bot.sim.jobs import sample_video
from tests.atlas.conftest import video_request

QUICK = PollSchedule(expected_seconds=0.05, interval_seconds=0.02, total_timeout_seconds=2.0)


async def test_upload_streams_a_file_and_reads_download_url(
    client: AtlasClient, sim: AtlasSimulator, tmp_path: Path
) -> None:
    image = make_png(640, 360, size=3_000_000)
    path = tmp_path / "still.png"
    path.write_bytes(image)
    url = await client.upload_media(path, filename="still.png", content_type="image/png")
    assert url.startswith(sim.base_url.removesuffix("/api/v1") + "/media/uploads/")
    assert url.endswith("/still.png")
    (stored,) = sim.uploads.values()
    assert stored == image
    (sent,) = sim.requests_to("/model/uploadMedia")
    assert sent.headers["Content-Type"].startswith("multipart/form-data")
    assert sent.headers["Authorization"] == f"Bearer {sim.api_key}"


async def test_upload_from_bytes(client: AtlasClient, sim: AtlasSimulator) -> None:
    url = await client.upload_media(make_png(), filename="a.png", content_type="image/png")
    assert url.endswith("/a.png")


@pytest.mark.parametrize("field", ["url", "top_level_url"])
async def test_upload_url_fallbacks(client: AtlasClient, sim: AtlasSimulator, field: str) -> None:
    sim.upload_url_field = field  # type: ignore[assignment]
    url = await client.upload_media(make_png(), filename="b.png", content_type="image/png")
    assert "/media/uploads/" in url


async def test_upload_without_url_is_unexpected(client: AtlasClient, sim: AtlasSimulator) -> None:
    sim.upload_url_field = "nothing"  # type: ignore[assignment]
    with pytest.raises(UnexpectedResponse):
        await client.upload_media(make_png(), filename="c.png", content_type="image/png")


async def test_upload_is_retried_and_resends_the_whole_file(
    client: AtlasClient, sim: AtlasSimulator, tmp_path: Path
) -> None:
    image = make_png(256, 256, size=500_000)
    path = tmp_path / "again.png"
    path.write_bytes(image)
    sim.fail_next("upload", 503)
    sim.fail_next("upload", "drop")
    await client.upload_media(path, filename="again.png", content_type="image/png")
    assert len(sim.requests_to("/model/uploadMedia")) == 3
    assert list(sim.uploads.values()) == [image]


async def test_upload_over_the_limit_is_refused_once(
    client: AtlasClient, sim: AtlasSimulator, tmp_path: Path
) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(make_png(size=20_000_001))
    with pytest.raises(PayloadTooLarge):
        await client.upload_media(path, filename="huge.png", content_type="image/png")
    assert len(sim.requests_to("/model/uploadMedia")) == 1


async def _finished_job(client: AtlasClient, prompt: str) -> str:
    prediction_id = await client.submit(video_request(prompt))
    done = await client.wait(prediction_id, schedule=QUICK)
    return done.outputs[0]


async def test_download_writes_the_video(client: AtlasClient, tmp_path: Path) -> None:
    url = await _finished_job(client, "download me")
    dest = tmp_path / "out.mp4"
    size = await client.download(url, dest, max_bytes=10_000_000)
    assert dest.read_bytes() == sample_video()
    assert size == len(sample_video())
    assert dest.read_bytes()[4:8] == b"ftyp"


async def test_a_downloaded_video_is_owner_only_whatever_the_umask(
    client: AtlasClient, tmp_path: Path
) -> None:
    url = await _finished_job(client, "private")
    dest = tmp_path / "out.mp4"
    before = os.umask(0o022)
    try:
        await client.download(url, dest, max_bytes=10_000_000)
    finally:
        os.umask(before)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600


async def test_download_up_to_the_limit(
    client: AtlasClient, sim: AtlasSimulator, tmp_path: Path
) -> None:
    sim.script_prompt("#big", output_bytes=300_000)
    url = await _finished_job(client, "exactly the limit #big")
    dest = tmp_path / "out.mp4"
    assert await client.download(url, dest, max_bytes=300_000) == 300_000
    assert dest.stat().st_size == 300_000


@pytest.mark.parametrize("content_length", [True, False])
async def test_download_past_the_limit_keeps_nothing(
    client: AtlasClient, sim: AtlasSimulator, tmp_path: Path, content_length: bool
) -> None:
    sim.send_content_length = content_length
    sim.script_prompt("#big", output_bytes=3_000_000)
    url = await _finished_job(client, "too big for discord #big")
    dest = tmp_path / "out.mp4"
    with pytest.raises(OutputTooLarge) as caught:
        await client.download(url, dest, max_bytes=1_000_000)
    assert caught.value.limit == 1_000_000
    assert caught.value.size == (3_000_000 if content_length else None)
    assert not dest.exists()


async def test_download_is_retried_on_server_errors(
    client: AtlasClient, sim: AtlasSimulator, tmp_path: Path
) -> None:
    url = await _finished_job(client, "flaky cdn")
    sim.fail_next("download", 502)
    sim.fail_next("download", "drop")
    assert await client.download(url, tmp_path / "o.mp4", max_bytes=10**7) > 0
    assert len(sim.requests_to(".mp4")) == 3


async def test_download_of_a_missing_output_is_not_found(
    client: AtlasClient, sim: AtlasSimulator, tmp_path: Path
) -> None:
    origin = sim.base_url.removesuffix("/api/v1")
    with pytest.raises(NotFound):
        await client.download(f"{origin}/media/outputs/nope.mp4", tmp_path / "x", max_bytes=10)
    assert len(sim.requests_to("nope.mp4")) == 1
    assert not (tmp_path / "x").exists()


async def test_the_key_never_goes_to_another_host(
    client: AtlasClient, settings: Settings, tmp_path: Path
) -> None:
    url = await _finished_job(client, "cdn elsewhere")
    async with AtlasSimulator(settings.catalogue) as cdn:
        other = url.replace(client.base_url.removesuffix("/api/v1"), cdn.base_url[:-7])
        with pytest.raises(NotFound):
            await client.download(other, tmp_path / "o.mp4", max_bytes=10**6)
        (seen,) = cdn.requests
    assert "Authorization" not in seen.headers


async def test_the_balance_call_proves_a_good_key(client: AtlasClient, sim: AtlasSimulator) -> None:
    await client.account("balance")
    (seen,) = sim.requests
    assert (seen.method, seen.path) == ("GET", "/public/v1/balance")


async def test_the_balance_call_refuses_a_bad_key(sim: AtlasSimulator) -> None:
    async with AtlasClient(sim.base_url, SecretStr("wrong")) as client:
        with pytest.raises(AuthenticationError):
            await client.account("balance")


async def test_the_balance_call_says_a_valid_key_may_not_read_it(
    client: AtlasClient, sim: AtlasSimulator
) -> None:
    sim.fail_next("balance", 403)
    with pytest.raises(PermissionDenied):
        await client.account("balance")


async def test_the_balance_call_reports_an_outage(client: AtlasClient, sim: AtlasSimulator) -> None:
    sim.fail_next("balance", 500, count=10)
    with pytest.raises(ServerError):
        await client.account("balance")


async def test_upload_from_a_path_is_streamed_not_loaded(tmp_path: Path) -> None:
    """A 12 MB file goes out in chunks: the client never holds it whole in memory."""

    async def drain(request: web.Request) -> web.Response:
        received = 0
        reader = await request.multipart()
        async for part in reader:
            assert isinstance(part, BodyPartReader)
            while chunk := await part.read_chunk(64 * 1024):
                received += len(chunk)
        return web.json_response({"code": 200, "data": {"download_url": f"http://cdn/{received}"}})

    app = web.Application()
    app.router.add_post("/api/v1/model/uploadMedia", drain)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    path = tmp_path / "big.png"
    path.write_bytes(make_png(size=12_000_000))
    try:
        async with AtlasClient(f"http://127.0.0.1:{port}/api/v1", SecretStr("k")) as client:
            tracemalloc.start()
            try:
                url = await client.upload_media(path, filename="big.png", content_type="image/png")
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
    finally:
        await runner.cleanup()
    assert url == "http://cdn/12000000"
    assert peak < 4_000_000, f"peak {peak} bytes: the file was loaded into memory"
