"""Reading videos with ffmpeg itself: its report parsed, whole-file decodes, the box order."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.transcode import Encoder, UnreadableInput, decodes, faststart, probe
from bot.transcode.probe import parse_probe, top_level_boxes
from bot.transcode.process import run
from tests.transcode.conftest import cut_short

REPORT = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'out.mp4':
  Metadata:
    major_brand     : isom
    encoder         : Lavf62.3.100
  Duration: 00:00:08.02, start: 0.000000, bitrate: 2913 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709, \
progressive), 1280x720 [SAR 1:1 DAR 16:9], 2779 kb/s, 23.98 fps, 23.98 tbr, 24k tbn (default)
    Metadata:
      handler_name    : VideoHandler
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, \
128 kb/s (default)
At least one output file must be specified
"""


def test_the_report_gives_duration_size_codecs_and_frame_rate() -> None:
    info = parse_probe(REPORT)

    assert info.duration == pytest.approx(8.02)
    assert (info.width, info.height, info.fps) == (1280, 720, 23.98)
    assert (info.video_codec, info.pix_fmt, info.audio_codec) == ("h264", "yuv420p", "aac")
    assert (info.audio_kbps, info.audio_channels) == (128, 2)
    assert info.has_audio


@pytest.mark.parametrize(
    ("layout", "channels"),
    [("mono", 1), ("stereo", 2), ("5.1(side)", 6), ("3 channels", 3), ("weird", None)],
)
def test_audio_channels(layout: str, channels: int | None) -> None:
    info = parse_probe(REPORT.replace("48000 Hz, stereo,", f"48000 Hz, {layout},"))

    assert info.audio_channels == channels


def test_a_video_stored_sideways_reports_its_displayed_size() -> None:
    rotated = REPORT.replace(
        "      handler_name    : VideoHandler",
        "      handler_name    : VideoHandler\n    Side data:\n"
        "      displaymatrix: rotation of -90.00 degrees",
    )

    info = parse_probe(rotated)

    assert (info.width, info.height) == (720, 1280)


def test_a_silent_video_and_a_cover_picture() -> None:
    lines = [line for line in REPORT.splitlines() if "Audio:" not in line]
    lines.insert(
        4,
        "  Stream #0:2: Video: mjpeg (Baseline), yuvj420p(pc), 600x600, 90k tbn (attached pic)",
    )

    info = parse_probe("\n".join(lines))

    assert (info.width, info.height, info.video_codec) == (1280, 720, "h264")
    assert info.audio_codec is None
    assert not info.has_audio


@pytest.mark.parametrize(
    ("report", "reason"),
    [
        ("x.mp4: Invalid data found when processing input", "no video stream"),
        (REPORT.replace("Duration: 00:00:08.02", "Duration: N/A"), "how long"),
        (REPORT.replace("1280x720 ", ""), "no size"),
        ("", "no video stream"),
    ],
)
def test_what_is_no_video_is_unreadable(report: str, reason: str) -> None:
    with pytest.raises(UnreadableInput, match=reason):
        parse_probe(report)


async def test_probing_a_real_file(encoder: Encoder, hd_4s: Path) -> None:
    info = await probe(hd_4s, encoder)

    assert (info.width, info.height, info.fps, info.duration) == (1280, 720, 24.0, 4.0)
    assert (info.video_codec, info.pix_fmt, info.audio_codec) == ("h264", "yuv420p", "aac")


async def test_probing_garbage_or_nothing(encoder: Encoder, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"this is not a video" * 100)

    with pytest.raises(UnreadableInput):
        await probe(garbage, encoder)
    with pytest.raises(UnreadableInput, match="no such file"):
        await probe(tmp_path / "missing.mp4", encoder)


async def test_a_truncated_file_does_not_decode(
    encoder: Encoder, hd_4s: Path, tmp_path: Path
) -> None:
    truncated = cut_short(hd_4s, tmp_path / "truncated.mp4", 0.5)

    assert await decodes(hd_4s, encoder)
    assert not await decodes(truncated, encoder)


async def test_faststart_reads_the_box_order(encoder: Encoder, hd_4s: Path, tmp_path: Path) -> None:
    moov_last = tmp_path / "moov-last.mp4"
    finished = await run(
        [encoder.path, "-v", "error", "-i", str(hd_4s), "-c", "copy", str(moov_last)]
    )
    assert finished.returncode == 0

    assert faststart(hd_4s)
    assert not faststart(moov_last)
    kinds = [kind for kind, _ in top_level_boxes(moov_last)]
    assert kinds.index("mdat") < kinds.index("moov")


def test_boxes_that_do_not_tile_the_file_are_unreadable(hd_4s: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    shutil.copyfile(hd_4s, cut)
    with cut.open("r+b") as file:
        file.truncate(hd_4s.stat().st_size - 10)

    with pytest.raises(UnreadableInput, match="overruns"):
        top_level_boxes(cut)
