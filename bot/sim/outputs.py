"""Realistic simulator outputs: real, playable H.264 + AAC MP4s as large as Atlas's.

Atlas's outputs are H.264 + AAC at about 3 Mbit/s at 720p, 8 at 1080p and 30 at 4k; a test
that relays the tiny sample proves little about upload limits, download time or transcoding.
These files have the requested size, aspect ratio and duration, at a bitrate per model and
resolution (configurable, real-world figures by default, interpolated by pixel count between
them), and a picture that compresses like footage: a textured scene panning under a moving test
pattern, with a little grain, and a tone. The texture was calibrated so that x264 at CRF 23
needs about the real-world bitrate for it: 3.7 Mbit/s at 720p, 7.4 at 1080p, 26 at 4k with
`-preset veryfast`; 3.8, 8.6 and 30 with the default preset (bench/transcode.py's crf23 row).

Each file is encoded once with the real encoder (`-preset ultrafast`, CBR with filler so the
size meets the target) and cached on disk by (size, duration, bitrate); a file is written under
a temporary name and renamed into place, so two processes making it at once never serve half
of one.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.sim.jobs import SimJob
from bot.transcode.encoder import Encoder, find_encoder
from bot.transcode.files import private_folder
from bot.transcode.process import run

ANCHORS_MBPS: Mapping[str, float] = {"720p": 3.0, "1080p": 8.0, "4k": 30.0}
"""Total bitrate (video + audio) of Atlas's outputs by resolution; others are interpolated."""
ANY_MODEL = "*"
SHORT_SIDES: Mapping[str, int] = {
    "360p": 360,
    "480p": 480,
    "540p": 540,
    "720p": 720,
    "1080p": 1080,
    "1080p-sr": 1080,
    "1440p": 1440,
    "2k": 1440,
    "4k": 2160,
}
FPS = 24
AUDIO_KBPS = 128
GENERATOR_VERSION = 1
"""Part of every cached file's name: bump it when the picture or the encoding changes."""
GENERATE_TIMEOUT_SECONDS = 600.0
DEFAULT_DURATION_SECONDS = 5  # Seedance's "auto" (-1)


@dataclass(frozen=True)
class OutputSpec:
    """One output to make: frame size, whole seconds, total kbit/s (video + audio)."""

    width: int
    height: int
    duration: int
    kbps: int

    @property
    def filename(self) -> str:
        """The cache's name for it."""
        return (
            f"sim-{self.width}x{self.height}-{self.duration}s-{self.kbps}k-g{GENERATOR_VERSION}.mp4"
        )

    @property
    def video_kbps(self) -> int:
        """What the video gets once the audio is taken off."""
        return max(100, self.kbps - AUDIO_KBPS)


def frame_size(resolution: str, aspect_ratio: str) -> tuple[int, int]:
    """(width, height) of `resolution` ("720p", "4k") at `aspect_ratio` ("16:9", "9:16"),
    the resolution naming the short side, both even; "adaptive" is taken as 16:9."""
    short = SHORT_SIDES.get(resolution.lower())
    if short is None:
        digits = resolution.lower().removesuffix("p")
        if not digits.isdigit():
            raise ValueError(f"unknown resolution {resolution!r}")
        short = int(digits)
    across, _, down = (aspect_ratio if ":" in aspect_ratio else "16:9").partition(":")
    wide, high = int(across), int(down)
    long = round(short * max(wide, high) / min(wide, high) / 2) * 2
    return (long, short) if wide >= high else (short, long)


class BitrateTable:
    """Total Mbit/s per model and resolution: the real-world anchors unless configured, and
    between anchors, interpolated by pixel count (a 1:1 or a 480p gets its share)."""

    def __init__(self, per_model: Mapping[str, Mapping[str, float]] | None = None) -> None:
        self.per_model = {key: dict(value) for key, value in (per_model or {}).items()}

    def mbps(self, model: str, resolution: str, width: int, height: int) -> float:
        """The bitrate for an output of `model` at `resolution`, `width` x `height`."""
        table = {**ANCHORS_MBPS, **self.per_model.get(ANY_MODEL, {})}
        table.update(self.per_model.get(model, {}))
        points = sorted(
            (frame_size(name, "16:9")[0] * frame_size(name, "16:9")[1], rate)
            for name, rate in table.items()
        )
        return _interpolate(points, width * height)


def _interpolate(points: list[tuple[int, float]], pixels: int) -> float:
    """Piecewise linear through `points` (pixels, Mbit/s); beyond them, the nearest point's
    bits per pixel."""
    low_pixels, low_rate = points[0]
    if pixels <= low_pixels:
        return low_rate * pixels / low_pixels
    for high_pixels, high_rate in points[1:]:
        if pixels <= high_pixels:
            share = (pixels - low_pixels) / (high_pixels - low_pixels)
            return low_rate + share * (high_rate - low_rate)
        low_pixels, low_rate = high_pixels, high_rate
    return low_rate * pixels / low_pixels


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/atlas-video-bot/sim-outputs`, else under `~/.cache`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "atlas-video-bot" / "sim-outputs"


def filter_graph(spec: OutputSpec, fps: int = FPS) -> str:
    """The picture: a grey noise texture, blurred into blobs at an eighth of the frame plus a
    fine grain, 1/8 larger than the frame and panned across it (a camera moving over a
    scene), merged with testsrc2's moving pattern and colour bars, with a faint grain that
    changes every frame."""
    width, height, seconds = spec.width, spec.height, spec.duration
    pan_w, pan_h = _even(width * 9 / 8), _even(height * 9 / 8)
    return (
        f"color=c=0x808080:s={_even(pan_w / 8)}x{_even(pan_h / 8)}:r={fps}:d={1 / fps:.4f},"
        f"noise=alls=40:allf=u,scale={pan_w}x{pan_h}:flags=bicubic,noise=alls=4:allf=u,"
        f"loop=loop=-1:size=1,setpts=N/{fps}/TB,"
        f"crop={width}:{height}:x='(iw-ow)*t/{seconds}':y='(ih-oh)*(0.5+0.5*sin(t))',"
        f"setsar=1,format=yuv420p[texture];"
        f"testsrc2=s={width}x{height}:r={fps},format=yuv420p[pattern];"
        f"[texture][pattern]blend=all_mode=grainmerge,noise=alls=3:allf=t,"
        f"trim=duration={seconds}[video];"
        f"sine=f=440:r=48000:d={seconds}[audio]"
    )


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


async def generate(spec: OutputSpec, encoder: Encoder, dest: Path) -> None:
    """Encode `spec` to `dest`, atomically: a temporary file in the same folder, renamed."""
    video = f"{spec.video_kbps}k"
    part = dest.with_name(f".{dest.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    argv = [encoder.path, "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y"]
    argv += ["-filter_complex", filter_graph(spec), "-map", "[video]", "-map", "[audio]"]
    argv += [
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        # CBR with filler: the file is as big as the target even where the picture is easy.
        "-b:v", video, "-minrate", video, "-maxrate", video,
        "-bufsize", f"{spec.video_kbps // 2}k", "-x264-params", "nal-hrd=cbr",
        "-c:a", "aac", "-b:a", f"{AUDIO_KBPS}k", "-ac", "2",
        "-t", str(spec.duration), "-movflags", "+faststart", "-f", "mp4", str(part),
    ]  # fmt: skip
    try:
        async with asyncio.timeout(GENERATE_TIMEOUT_SECONDS):
            finished = await run(argv)
        if finished.returncode != 0:
            raise RuntimeError(
                f"could not make the simulated output {dest.name}: {' | '.join(finished.stderr)}"
            )
        await asyncio.to_thread(part.replace, dest)
    finally:
        await asyncio.to_thread(part.unlink, missing_ok=True)


class SimOutputs:
    """The realistic outputs of one simulator: which file a job gets, made on first use."""

    def __init__(
        self,
        *,
        cache_dir: Path | None = None,
        bitrates: BitrateTable | None = None,
        encoder_path: str | None = None,
    ) -> None:
        self.cache_dir = cache_dir or default_cache_dir()
        self.bitrates = bitrates or BitrateTable()
        self.encoder_path = encoder_path
        self.generated = 0  # files encoded by this instance (the rest came from the cache)
        self._locks: dict[OutputSpec, asyncio.Lock] = {}

    def spec_for(self, model: str, resolution: str, aspect_ratio: str, duration: int) -> OutputSpec:
        """What a job of `model` asking for these options gets."""
        width, height = frame_size(resolution, aspect_ratio)
        seconds = duration if duration > 0 else DEFAULT_DURATION_SECONDS
        mbps = self.bitrates.mbps(model, resolution.lower(), width, height)
        return OutputSpec(width, height, seconds, round(mbps * 1000))

    def spec_for_job(self, job: SimJob, aspect_ratio_param: str) -> OutputSpec:
        """What a submitted job gets: its model, resolution, aspect ratio and duration."""
        duration = job.body.get("duration")
        return self.spec_for(
            job.model,
            str(job.body.get("resolution", "720p")),
            str(job.body.get(aspect_ratio_param, "16:9")),
            duration if isinstance(duration, int) else DEFAULT_DURATION_SECONDS,
        )

    async def path(self, spec: OutputSpec) -> Path:
        """The cached file for `spec`, encoded first if it is not there yet."""
        dest = self.cache_dir / spec.filename
        lock = self._locks.setdefault(spec, asyncio.Lock())
        async with lock:
            if not await asyncio.to_thread(dest.is_file):
                await asyncio.to_thread(private_folder, self.cache_dir)
                encoder = await find_encoder(self.encoder_path)
                await generate(spec, encoder, dest)
                self.generated += 1
        return dest


async def stream_file(
    request: web.Request, path: Path, *, content_length: bool, chunk: int = 256 * 1024
) -> web.StreamResponse:
    """Send `path` as video/mp4 in chunks (memory does not grow with the file), with its
    length or chunked."""
    response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        if content_length:
            response.content_length = (await asyncio.to_thread(path.stat)).st_size
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        while data := await asyncio.to_thread(handle.read, chunk):
            await response.write(data)
    finally:
        await asyncio.to_thread(handle.close)
    await response.write_eof()
    return response
