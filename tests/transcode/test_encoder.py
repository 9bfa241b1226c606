"""Finding the encoder: the configured one wins, else the bundled one, else PATH; else a clear
error that says what to do."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.transcode import Encoder, NoEncoder, find_encoder, forget_encoders
from bot.transcode import encoder as locating


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    forget_encoders()
    yield
    forget_encoders()


def script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


async def test_the_bundled_ffmpeg_is_found_and_cached() -> None:
    found = await find_encoder()

    assert found.origin == "bundled"
    assert "imageio_ffmpeg" in found.path
    assert found.version
    assert await find_encoder() is found
    assert await find_encoder("") is found


async def test_a_configured_path_always_wins(tmp_path: Path) -> None:
    bundled = await find_encoder()
    mine = script(tmp_path, "my-ffmpeg", f'exec "{bundled.path}" "$@"')

    found = await find_encoder(mine)

    assert found == Encoder(str(mine), bundled.version, "configured")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("echo hello", "is not ffmpeg"),
        ("exit 1", "is not ffmpeg"),
    ],
)
async def test_a_configured_path_that_does_not_work_is_an_error(
    tmp_path: Path, body: str, reason: str
) -> None:
    with pytest.raises(NoEncoder, match=f"encoder_path .*{reason}.*leave it empty"):
        await find_encoder(script(tmp_path, "not-ffmpeg", body))


async def test_a_missing_configured_path_is_not_replaced_by_another(tmp_path: Path) -> None:
    with pytest.raises(NoEncoder, match="does not exist"):
        await find_encoder(tmp_path / "nowhere" / "ffmpeg")


async def test_an_ffmpeg_without_libx264_is_refused(tmp_path: Path) -> None:
    bundled = await find_encoder()
    # Answers like a build without GPL encoders: no libx264 in `-encoders`.
    crippled = script(tmp_path, "ffmpeg-free", f'"{bundled.path}" "$@" | grep -v libx264')

    with pytest.raises(NoEncoder, match="lacks the libx264 encoder"):
        await find_encoder(crippled)


async def test_ffmpeg_on_path_when_nothing_is_bundled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = await find_encoder()
    forget_encoders()
    script(tmp_path, "ffmpeg", f'exec "{bundled.path}" "$@"')

    async def nothing_bundled() -> None:
        return None

    monkeypatch.setattr(locating, "_bundled", nothing_bundled)
    monkeypatch.setenv("PATH", str(tmp_path))

    found = await find_encoder()

    assert (found.origin, found.path) == ("path", str(tmp_path / "ffmpeg"))


async def test_no_encoder_anywhere_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def nothing_bundled() -> None:
        return None

    monkeypatch.setattr(locating, "_bundled", nothing_bundled)
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(NoEncoder) as caught:
        await find_encoder()

    message = str(caught.value)
    assert "no imageio-ffmpeg's ffmpeg; no ffmpeg on PATH" in message
    assert "pip install atlas-video-bot" in message
    assert "encoder_path" in message
