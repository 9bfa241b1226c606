"""Reading a video with the encoder itself: imageio-ffmpeg ships no ffprobe, so this runs
`ffmpeg -hide_banner -i FILE` and parses what it prints about the input.

Also `decodes()` (the whole file decodes without an error) and `faststart()` (the MP4's `moov`
box comes before its `mdat`, so a player starts before the download ends), both used to
verify an encoder's output.
"""

from __future__ import annotations

import asyncio
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from bot.transcode.encoder import Encoder
from bot.transcode.errors import UnreadableInput
from bot.transcode.process import run

PROBE_TIMEOUT_SECONDS = 30.0
_DURATION = re.compile(r"^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", re.MULTILINE)
_STREAM = re.compile(r"^\s*Stream #\d+:\d+\S*: (Video|Audio): (.*)$", re.MULTILINE)
_SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})")
_FPS = re.compile(r"^(\d+(?:\.\d+)?)(k?) (?:fps|tbr)$")
_KBPS = re.compile(r"^(\d+) kb/s")
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees")


@dataclass(frozen=True)
class MediaInfo:
    """What a video file holds, as the encoder reads it. Width and height are as displayed
    (a phone video stored sideways with a rotation has them swapped)."""

    duration: float
    width: int
    height: int
    video_codec: str
    pix_fmt: str
    audio_codec: str | None
    fps: float | None
    audio_kbps: int | None = None
    audio_channels: int | None = None

    @property
    def has_audio(self) -> bool:
        """Whether there is an audio stream at all."""
        return self.audio_codec is not None


def parse_probe(stderr: str) -> MediaInfo:
    """The `MediaInfo` in `ffmpeg -i`'s report, or `UnreadableInput` naming what is missing."""
    streams = _STREAM.findall(stderr)
    video = next(
        (fields for kind, fields in streams if kind == "Video" and "attached pic" not in fields),
        None,
    )
    if video is None:
        last = stderr.strip().splitlines()[-1:] or ["no output"]
        raise UnreadableInput(f"no video stream ({last[0].strip()})")
    duration = _DURATION.search(stderr)
    if duration is None:
        raise UnreadableInput("the file does not say how long it is")
    hours, minutes, seconds = duration.groups()
    length = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    parts = _split_fields(video)
    codec = parts[0].split()[0]
    pix_fmt = next(
        (p.split("(")[0] for p in parts[1:] if not _SIZE.match(p) and p[:1].isalpha()), ""
    )
    size = next((m for m in map(_SIZE.match, parts) if m is not None), None)
    if size is None or length <= 0:
        raise UnreadableInput("the video stream has no size or no duration")
    width, height = int(size.group(1)), int(size.group(2))
    rotation = _ROTATION.search(stderr)
    if rotation is not None and round(abs(float(rotation.group(1)))) % 180 == 90:
        width, height = height, width
    audio = next((fields for kind, fields in streams if kind == "Audio"), None)
    audio_parts = _split_fields(audio) if audio else []
    return MediaInfo(
        duration=length,
        width=width,
        height=height,
        video_codec=codec,
        pix_fmt=pix_fmt,
        audio_codec=audio_parts[0].split()[0] if audio_parts else None,
        fps=_fps(parts),
        audio_kbps=next((int(m.group(1)) for m in map(_KBPS.match, audio_parts) if m), None),
        audio_channels=next((c for c in map(_channels, audio_parts) if c is not None), None),
    )


def _split_fields(text: str) -> list[str]:
    """`a (x, y), b, c` -> [`a (x, y)`, `b`, `c`]: commas inside brackets do not split."""
    fields, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            fields.append(text[start:index].strip())
            start = index + 1
    fields.append(text[start:].strip())
    return fields


def _channels(field: str) -> int | None:
    """ "mono" -> 1, "stereo" -> 2, "5.1" -> 6, "3 channels" -> 3; None for other fields."""
    layout = field.split("(")[0].strip()
    named = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "5.0": 5, "5.1": 6, "7.1": 8}
    if layout in named:
        return named[layout]
    count = re.fullmatch(r"(\d+) channels", layout)
    return int(count.group(1)) if count else None


def _fps(parts: list[str]) -> float | None:
    for part in parts:
        match = _FPS.match(part.split(" (")[0])
        if match is not None:
            return float(match.group(1)) * (1000 if match.group(2) else 1)
    return None


async def probe(
    path: Path, encoder: Encoder, *, timeout: float = PROBE_TIMEOUT_SECONDS
) -> MediaInfo:
    """Duration, size, codecs and frame rate of `path`, or `UnreadableInput`."""
    if not await asyncio.to_thread(path.is_file):
        raise UnreadableInput(f"{path.name}: no such file")
    argv = [encoder.path, "-hide_banner", "-nostdin", "-i", str(path)]
    try:
        async with asyncio.timeout(timeout):
            finished = await run(argv, keep_lines=400)
    except TimeoutError:
        raise UnreadableInput(f"{path.name}: reading it took over {timeout:.0f} s") from None
    # Without an output file ffmpeg always exits 1; what it printed is the answer.
    return parse_probe("\n".join(finished.stderr))


async def decodes(
    path: Path, encoder: Encoder, *, timeout: float = 120.0, niceness: int = 0
) -> bool:
    """True when every frame of the chosen video and audio streams decodes without an error
    (the decoder `niceness` steps below the bot's CPU priority)."""
    argv = [encoder.path, "-nostdin", "-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"]
    try:
        async with asyncio.timeout(timeout):
            finished = await run(argv, niceness=niceness)
    except TimeoutError:
        return False
    return finished.returncode == 0 and not finished.stderr


def top_level_boxes(path: Path) -> list[tuple[str, int]]:
    """(type, size) of each top-level box of an MP4, read header by header (seeking past the
    payloads, so memory does not grow with the file); `UnreadableInput` if they do not tile
    the file."""
    boxes: list[tuple[str, int]] = []
    with path.open("rb") as file:
        end = file.seek(0, 2)
        offset = 0
        while offset < end:
            file.seek(offset)
            header = file.read(8)
            if len(header) < 8:
                raise UnreadableInput(f"{path.name}: truncated box header at {offset}")
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", file.read(8))[0]
            elif size == 0:
                size = end - offset
            if size < 8 or offset + size > end:
                raise UnreadableInput(f"{path.name}: box {kind!r} at {offset} overruns the file")
            boxes.append((kind.decode("latin-1"), size))
            offset += size
    return boxes


def faststart(path: Path) -> bool:
    """True when the MP4's `moov` comes before its `mdat` (playback starts while loading)."""
    kinds = [kind for kind, _ in top_level_boxes(path)]
    return "moov" in kinds and "mdat" in kinds and kinds.index("moov") < kinds.index("mdat")
