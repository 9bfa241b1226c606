"""Upload rules: PNG/JPEG/WebP by magic bytes, at most 20 MB, at least 128 px a side."""

from __future__ import annotations

import aiohttp
import pytest

from bot.sim import AtlasSimulator, NotAnImage, make_png, sniff_image
from tests.sim.conftest import AUTH, jpeg_header, webp_header


async def upload(
    sim: AtlasSimulator,
    http: aiohttp.ClientSession,
    content: bytes,
    *,
    content_type: str = "application/octet-stream",
) -> tuple[int, dict[str, object]]:
    form = aiohttp.FormData()
    form.add_field("file", content, filename="pic.bin", content_type=content_type)
    async with http.post(f"{sim.base_url}/model/uploadMedia", data=form, headers=AUTH) as r:
        return r.status, await r.json()


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (make_png(128, 128), "image/png"),
        (jpeg_header(640, 480), "image/jpeg"),
        (webp_header(300, 200, "VP8X"), "image/webp"),
        (webp_header(300, 200, "VP8L"), "image/webp"),
        (webp_header(300, 200, "VP8 "), "image/webp"),
    ],
    ids=["png", "jpeg", "webp-vp8x", "webp-vp8l", "webp-vp8"],
)
async def test_images_are_accepted_and_served_back(
    sim: AtlasSimulator, http: aiohttp.ClientSession, content: bytes, kind: str
) -> None:
    status, answer = await upload(sim, http, content)
    assert status == 200
    data = answer["data"]
    assert isinstance(data, dict)
    assert data["size"] == len(content)
    async with http.get(data["download_url"]) as served:  # no key needed, like a CDN
        assert served.status == 200
        assert served.content_type == kind
        assert await served.read() == content


@pytest.mark.parametrize(
    "content",
    [b"GIF89a" + b"\x00" * 100, b"hello, world", b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 4],
    ids=["gif", "text", "empty", "truncated-png"],
)
async def test_other_files_are_refused(
    sim: AtlasSimulator, http: aiohttp.ClientSession, content: bytes
) -> None:
    # The declared type is not trusted: only the bytes count.
    status, answer = await upload(sim, http, content, content_type="image/png")
    assert status == 400
    assert str(answer["msg"]).startswith("file:")
    assert sim.uploads == {}


@pytest.mark.parametrize(
    "content",
    [make_png(127, 400), jpeg_header(400, 100), webp_header(64, 64)],
    ids=["png", "jpeg", "webp"],
)
async def test_small_images_are_refused(
    sim: AtlasSimulator, http: aiohttp.ClientSession, content: bytes
) -> None:
    status, answer = await upload(sim, http, content)
    assert status == 400
    assert "at least 128 px" in str(answer["msg"])


async def test_size_limit(sim: AtlasSimulator, http: aiohttp.ClientSession) -> None:
    status, _ = await upload(sim, http, make_png(size=20_000_000))
    assert status == 200
    status, answer = await upload(sim, http, make_png(size=20_000_001))
    assert status == 413
    assert answer["code"] == 413


async def test_missing_file_field(sim: AtlasSimulator, http: aiohttp.ClientSession) -> None:
    form = aiohttp.FormData()
    form.add_field("image", make_png(), filename="a.png")
    async with http.post(f"{sim.base_url}/model/uploadMedia", data=form, headers=AUTH) as r:
        assert r.status == 400
        assert (await r.json())["msg"] == "file: required"


def test_make_png_pads_to_an_exact_size() -> None:
    image = make_png(200, 150, size=10_000)
    assert len(image) == 10_000
    info = sniff_image(image)
    assert (info.content_type, info.width, info.height) == ("image/png", 200, 150)
    with pytest.raises(ValueError, match="needs more"):
        make_png(size=10)


def test_sniff_refuses_a_jpeg_without_frame_header() -> None:
    with pytest.raises(NotAnImage):
        sniff_image(b"\xff\xd8\xff\xe0\x00\x04ab\xff\xda\x00\x00")


async def test_the_simulator_forgets_old_uploads_and_requests(
    settings: object, http: aiohttp.ClientSession
) -> None:
    """A dry run's members can upload all day: the simulator keeps the newest uploads up to a
    byte budget, and a bounded record of requests, not everything since it started."""
    from bot.settings import Settings

    assert isinstance(settings, Settings)
    image = make_png(128, 128) + b"\x00" * 200_000  # ~200 kB, still a PNG by its bytes
    async with AtlasSimulator(
        settings.catalogue, api_key="sim-key", max_upload_bytes=1_000_000, max_recorded=50
    ) as sim:
        urls = []
        for _ in range(20):
            status, answer = await upload(sim, http, image)
            assert status == 200
            urls.append(answer["data"]["download_url"])  # type: ignore[index]
        assert sum(len(kept) for kept in sim.uploads.values()) <= 1_000_000
        assert 1 <= len(sim.uploads) <= 5
        async with http.get(str(urls[-1])) as newest:
            assert newest.status == 200, "the newest upload is still served"
        async with http.get(str(urls[0])) as oldest:
            assert oldest.status == 404, "the oldest is gone"
        for _ in range(100):
            async with http.get(f"{sim.base_url}/model/prediction/nope", headers=AUTH):
                pass
        assert len(sim.requests) <= 50
        assert sim.requests[-1].path.endswith("/prediction/nope"), "the newest are kept"
