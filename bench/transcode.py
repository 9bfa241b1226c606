"""Fitting realistic simulator outputs into Discord's 10 MiB, against two baselines.

For each clip (720p, 1080p and 4k, 8 and 10 s, at Atlas's bitrates, plus a 1080p clip just
over the limit) it prints the original size, then for three ways of sending it: what was
delivered (resolution, size, whether it fits), the encoder's wall and CPU seconds, and SSIM
against the original scaled to the delivered resolution (ffmpeg's `ssim` filter); and, since
a smaller picture always scores higher at its own size, SSIM with both scaled to 1080p (for
sources of 1080p and more: what a member sees full screen). The ways:

  fit    the bot's `Transcoder` with the shipped defaults (probe, plan, encode, verify)
  crf23  `ffmpeg -i in -c:v libx264 -crf 23 -c:a copy` (quality-based: the size is luck)
  naive  one pass at the bitrate that fills the limit, always scaled to 720p, veryfast

Sources come from `bot.sim.outputs` (cached under ~/.cache/atlas-video-bot/sim-outputs).
Timings are wall-clock: the load average is printed so a busy machine shows.

    .venv/bin/python bench/transcode.py              # every clip, ~6 min on two cores
    .venv/bin/python bench/transcode.py --only 4k-8s --repeat 3 --ways fit,naive
    .venv/bin/python bench/transcode.py --preset faster --ways fit   # a what-if
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.sim.outputs import BitrateTable, SimOutputs
from bot.transcode import Encoder, Transcoder, find_encoder, probe
from bot.transcode.process import run
from bot.transcode.transcoder import DEFAULT_PRESET

LIMIT = 10 * 1024 * 1024  # Discord: 10 MiB in a server without boosts, and in DMs
RICHER = "what-if/1080p-at-9-mbps"  # a model that encodes 1080p at 9 Mbit/s: just over

CLIPS: dict[str, tuple[str, str, int]] = {
    "720p-8s": ("any", "720p", 8),
    "720p-10s": ("any", "720p", 10),
    "1080p-8s": ("any", "1080p", 8),
    "1080p-10s": ("any", "1080p", 10),
    "1080p-10s-9mbps": (RICHER, "1080p", 10),
    "4k-8s": ("any", "4k", 8),
    "4k-10s": ("any", "4k", 10),
}


@dataclass
class Outcome:
    """One way of sending one clip."""

    path: Path
    width: int
    height: int
    size: int
    wall: float
    cpu: float
    ssim: float | None = None
    ssim_1080: float | None = None


def size_of(path: Path) -> int:
    return path.stat().st_size


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def timed(work: Callable[[], Awaitable[Path]], repeat: int) -> tuple[Path, float, float]:
    """(output, best wall seconds, CPU seconds of that run) over `repeat` runs."""
    best: tuple[Path, float, float] | None = None
    for _ in range(repeat):
        cpu, wall = children_cpu(), time.perf_counter()
        path = await work()
        result = (path, time.perf_counter() - wall, children_cpu() - cpu)
        if best is None or result[1] < best[1]:
            best = result
    assert best is not None
    return best


async def ffmpeg(encoder: Encoder, *args: str) -> str:
    finished = await run([encoder.path, "-hide_banner", "-nostdin", "-y", *args], keep_lines=60)
    if finished.returncode != 0:
        raise RuntimeError("ffmpeg failed: " + " | ".join(finished.stderr[-5:]))
    return "\n".join(finished.stderr)


async def ssim(encoder: Encoder, original: Path, delivered: Path, width: int, height: int) -> float:
    """SSIM (All) of `delivered` against `original`, both scaled to width x height."""
    scale = f"scale={width}:{height}:flags=bicubic"
    report = await ffmpeg(
        encoder, "-i", str(delivered), "-i", str(original), "-lavfi",
        f"[0:v]{scale}[out];[1:v]{scale}[ref];[out][ref]ssim", "-f", "null", "-",
    )  # fmt: skip
    found = re.findall(r"All:([0-9.]+)", report)
    return float(found[-1])


async def outcome(encoder: Encoder, path: Path, wall: float, cpu: float) -> Outcome:
    info = await probe(path, encoder)
    return Outcome(path, info.width, info.height, size_of(path), wall, cpu)


async def bench_clip(
    name: str,
    source: Path,
    encoder: Encoder,
    transcoder: Transcoder,
    out: Path,
    repeat: int,
    ways: set[str],
) -> dict[str, Outcome]:
    info = await probe(source, encoder)
    results: dict[str, Outcome] = {}

    async def fit() -> Path:
        return (await transcoder.fit(source, LIMIT)).path

    if "fit" in ways:
        results["fit"] = await outcome(encoder, *await timed(fit, repeat))
    await run_baselines(name, source, info.duration, encoder, out, repeat, ways, results)
    for result in results.values():
        if result.path == source:
            result.ssim = result.ssim_1080 = 1.0
            continue
        result.ssim = await ssim(encoder, source, result.path, result.width, result.height)
        if min(info.width, info.height) >= 1080:
            full_hd = (1920, 1080) if info.width >= info.height else (1080, 1920)
            same = (result.width, result.height) == full_hd
            result.ssim_1080 = (
                result.ssim if same else await ssim(encoder, source, result.path, *full_hd)
            )
    return results


async def run_baselines(
    name: str,
    source: Path,
    duration: float,
    encoder: Encoder,
    out: Path,
    repeat: int,
    ways: set[str],
    results: dict[str, Outcome],
) -> None:
    async def crf23() -> Path:
        dest = out / f"{name}.crf23.mp4"
        await ffmpeg(encoder, "-v", "error", "-i", str(source), "-c:v", "libx264", "-crf", "23",
                     "-c:a", "copy", str(dest))  # fmt: skip
        return dest

    if "crf23" in ways:
        results["crf23"] = await outcome(encoder, *await timed(crf23, repeat))

    async def naive() -> Path:
        dest = out / f"{name}.naive.mp4"
        video = f"{int(LIMIT * 8 / duration / 1000) - 128}k"
        await ffmpeg(encoder, "-v", "error", "-i", str(source), "-vf", "scale=-2:720",
                     "-c:v", "libx264", "-preset", "veryfast", "-b:v", video,
                     "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart",
                     str(dest))  # fmt: skip
        return dest

    if "naive" in ways:
        results["naive"] = await outcome(encoder, *await timed(naive, repeat))


def _ssim(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(CLIPS), help="these clips")
    parser.add_argument("--repeat", type=int, default=1, help="best wall time of N runs")
    parser.add_argument("--cache", type=Path, default=None, help="sim outputs cache folder")
    parser.add_argument("--preset", default=DEFAULT_PRESET, help="x264 preset of the fit")
    parser.add_argument("--ways", default="fit,crf23,naive", help="which ways, comma-separated")
    args = parser.parse_args()

    encoder = await find_encoder()
    outputs = SimOutputs(cache_dir=args.cache, bitrates=BitrateTable({RICHER: {"1080p": 9.0}}))
    names = args.only or list(CLIPS)
    ways = set(args.ways.split(","))
    print(
        f"encoder {encoder.version} ({encoder.origin}); {os.cpu_count()} CPUs; limit {LIMIT}; "
        f"fit preset {args.preset}" + ("" if args.preset == DEFAULT_PRESET else " (what-if)")
    )
    print(f"sources ({outputs.cache_dir}):")
    sources: dict[str, Path] = {}
    for name in names:
        model, resolution, seconds = CLIPS[name]
        spec = outputs.spec_for(model, resolution, "16:9", seconds)
        started = time.perf_counter()
        sources[name] = await outputs.path(spec)
        made = "made" if outputs.generated else "cached"
        print(f"  {name:16} {spec.width}x{spec.height} {seconds} s {spec.kbps / 1000:g} Mbit/s "
              f"{size_of(sources[name]):>10,} B  {made} in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        outputs.generated = 0
    print(load())
    header = f"{'clip':16} {'way':6} {'delivered':>10} {'bytes':>12} {'fits':>5} "
    print(header + f"{'wall s':>7} {'cpu s':>7} {'SSIM':>7} {'@1080p':>7}")
    with tempfile.TemporaryDirectory(prefix="bench-transcode-") as scratch:
        out = Path(scratch)
        transcoder = Transcoder(encoder, out / "transcode", preset=args.preset)
        fitted_all = True
        for name in names:
            results = await bench_clip(
                name, sources[name], encoder, transcoder, out, args.repeat, ways
            )
            original = size_of(sources[name])
            print(f"{name:16} {'source':6} {'':>10} {original:>12,}")
            for way, result in results.items():
                fits = result.size <= LIMIT
                fitted_all &= fits or way != "fit"
                print(f"{'':16} {way:6} {result.width:>5}x{result.height:<4} {result.size:>12,} "
                      f"{'yes' if fits else 'NO':>5} {result.wall:>7.2f} {result.cpu:>7.2f} "
                      f"{result.ssim:>7.4f} {_ssim(result.ssim_1080):>7}")  # fmt: skip
        await transcoder.close()
    print(load())
    print("every fit under 10 MiB:", "yes" if fitted_all else "NO")


if __name__ == "__main__":
    if sys.platform != "win32":
        asyncio.run(main())
