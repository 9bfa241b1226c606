"""Tiny real videos for tests, made with the bundled encoder (imageio-ffmpeg's ffmpeg).

A clip of any length stays a few kilobytes: 128x128 at 2 frames a second, one colour, no
audio. Each length is made once per test process.
"""

from __future__ import annotations

import functools
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg


@functools.cache
def mp4(seconds: float, width: int = 128, height: int = 128) -> bytes:
    """An H.264 MP4 `seconds` long (its container says so, and it plays)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "clip.mp4"
        subprocess.run(  # noqa: S603 - the bundled encoder, fixed arguments
            [
                imageio_ffmpeg.get_ffmpeg_exe(),
                "-hide_banner",
                "-nostdin",
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                f"color=c=0x336699:s={width}x{height}:r=2:d={seconds}",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
                "-movflags",
                "+faststart",
                str(out),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return out.read_bytes()
