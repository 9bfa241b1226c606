"""The load benchmark's `--fit` mode: realistic videos into a server that takes 10 MiB (issue #19).

    .venv/bin/python bench/load.py --fit --jobs 100 --scale 0.25
    .venv/bin/python bench/load.py --fit --fit-only 4k-8 --jobs 3 --ramp 120 --scale 0.25

Members run `/video` with Gemini at 720p, 1080p and 4k (a third each), 8 or 10 s, arriving
evenly over `--ramp` seconds (scaled); each takes 60 s +- 20 % at the simulator (scaled). The
outputs are the simulator's realistic files (3, 8 and 30 Mbit/s: 3-3.8 MB, 8-10 MB, 30-38 MB),
so every 4k video and no 720p one is over the limit. The bot runs in its own process with the
shipped `[delivery]` settings (one encoder per CPU). It prints:

- the share delivered as an attachment (and the share that would have been with the code
  before issue 19: the outputs already under the limit), compressed, and linked;
- completion -> delivered p50 / p99 per resolution (the simulator knows when each job
  completed; delivered is the upload that carried the video);
- encoder seconds per compressed video p50 / p99 (from the bot's log: the encode and its
  verification, without the wait for a free encoder) and encoder CPU per video (the CPU of
  the bot's reaped children);
- event-loop lag p99 while every encoder runs (the probe in the bot, its samples taken when
  the driver saw `max_encoders` encoders at work), and overall;
- peak RSS of the bot, and of its encoders together.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import random
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import loadkit as kit

if TYPE_CHECKING:
    from bench.load import Bench

FIT_KINDS = tuple(
    kit.Kind(kit.GEMINI, resolution, duration, 60.0, 1.0)
    for resolution in ("720p", "1080p", "4k")
    for duration in (8, 10)
)
SMOKE_KINDS = (
    kit.Kind(kit.GEMINI, "720p", 8, 60.0, 1.0),
    kit.Kind(kit.GEMINI, "720p", 4, 60.0, 1.0),
)
"""--fit --smoke: 720p 8 s (3 MB) and 4 s (1.5 MB) into 2 MiB: the same path, in seconds."""
MIB = 1024 * 1024
_FITTED = re.compile(
    r"video fitted: (\d+) bytes -> (\d+) bytes at (\d+)x(\d+): ([\d.]+) s encoding"
)
_HOOK = re.compile(r"^/webhooks/\d+/([^/]+)/messages/@original$")
_CHANNEL = re.compile(r"^/channels/\d+/messages/(\d+)$")


def fit_plan(
    count: int,
    *,
    scale: float,
    ramp: float,
    members: kit.Members,
    seed: int,
    kinds: tuple[kit.Kind, ...] = FIT_KINDS,
) -> list[kit.PlannedJob]:
    """`count` jobs of `kinds` in turn (shuffled), arriving evenly over `ramp` seconds."""
    rng = random.Random(seed)
    kinds = tuple(kinds[i % len(kinds)] for i in range(count))
    kinds = tuple(rng.sample(kinds, len(kinds)))
    everyone = [(g, u) for g in members.guilds for u in members.members[g]]
    jobs = []
    for index, kind in enumerate(kinds):
        guild, user = everyone[index % len(everyone)]
        spread = rng.uniform(1 - kit.SPREAD, 1 + kit.SPREAD)
        jobs.append(
            kit.PlannedJob(
                index=index,
                phase="fit",
                model=kind.model,
                resolution=kind.resolution,
                duration=kind.duration,
                generation_seconds=kind.seconds * scale * spread,
                offset_seconds=ramp * index / max(1, count),
                user_id=user,
                guild_id=guild,
                channel_id=members.channels[guild],
            )
        )
    return jobs


async def run_fit(args: argparse.Namespace, make_bench: Callable[..., Bench]) -> int:
    """The `--fit` run: start the world, fire the jobs, print the figures; 0 when every job
    ended."""
    if args.smoke:
        args.jobs, args.limit_mib = 4, 2.0
    kinds = SMOKE_KINDS if args.smoke else FIT_KINDS
    if args.fit_only:  # one kind alone, e.g. 4k-8: a lone clip's completion -> channel
        kinds = tuple(k for k in FIT_KINDS if f"{k.resolution}-{k.duration}" == args.fit_only)
    began = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-fit-") as tmp:
        folder = Path(tmp)
        if args.keep:
            folder = args.keep.resolve()
            folder.mkdir(parents=True, exist_ok=True)
        bench = make_bench(args, folder)
        limit = int(args.limit_mib * MIB)
        await bench.start()
        try:
            sources = await _sources(bench, kinds)
            for guild in bench.discord.guilds.values():
                guild.upload_limit = limit
            phase = await _phase(bench, limit, kinds)
        finally:
            recorded = await bench.stop()
        log = (folder / "bot.log").read_text(errors="replace")
    figures = _figures(bench, args, phase, recorded, sources, limit, log)
    figures["wall_seconds"] = time.time() - began
    _print(figures, args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0 if figures["ended"] == figures["jobs"] else 1


async def _sources(bench: Bench, kinds: tuple[kit.Kind, ...]) -> dict[tuple[str, int], int]:
    """Make (or find in the cache) each kind's output; its size in bytes."""
    outputs = bench.sim.realistic_outputs
    assert outputs is not None, "--fit needs realistic outputs (no --sample-outputs)"
    sizes = {}
    for kind in kinds:
        path = await outputs.path(
            outputs.spec_for(kind.model, kind.resolution, "16:9", kind.duration)
        )
        sizes[(kind.resolution, kind.duration)] = path.stat().st_size
    return sizes


async def _phase(bench: Bench, limit: int, kinds: tuple[kit.Kind, ...]) -> dict[str, Any]:
    args = bench.args
    jobs = fit_plan(
        args.jobs,
        scale=bench.scale,
        ramp=args.ramp * bench.scale,
        members=bench.members,
        seed=3,
        kinds=kinds,
    )
    await asyncio.sleep(1.0)
    stop = asyncio.Event()
    sampler = asyncio.create_task(bench.sample_rss(stop))
    children0 = kit.children_cpu_seconds(bench.pid)
    cpu0, t0 = kit.cpu_seconds(bench.pid), time.time()
    fired = await bench.fire(jobs, upload_limit=limit)
    last = max(j.offset_seconds + j.generation_seconds for j in jobs)
    # Encodes of two cores' worth take minutes beyond the last completion.
    ended = await bench.wait_ended(fired, last * 1.5 + 120 + 15 * len(jobs))
    t1 = max(ended.values(), default=time.time())
    stop.set()
    await sampler
    return {
        "fired": fired,
        "ended": ended,
        "window": (t0, t1),
        "bot_cpu_seconds": kit.cpu_seconds(bench.pid) - cpu0,
        "encoder_cpu_seconds": kit.children_cpu_seconds(bench.pid) - children0,
        "peak_kib": kit.memory_kib(bench.pid)[1],
    }


def _delivered(bench: Bench, phase: dict[str, Any]) -> dict[str, tuple[float, int]]:
    """When each job's video reached Discord, and its size: the first upload carrying it."""
    by_token = {f.interaction.token: f.job.marker for f in phase["fired"]}
    by_message = {
        f.interaction.message.id: f.job.marker
        for f in phase["fired"]
        if f.interaction.message is not None
    }
    found: dict[str, tuple[float, int]] = {}
    for at, method, path, sizes in bench.uploads:
        if method != "PATCH" or not sizes:
            continue
        hook, channel = _HOOK.match(path), _CHANNEL.match(path)
        marker = None
        if hook is not None:
            marker = by_token.get(hook.group(1))
        elif channel is not None:
            marker = by_message.get(int(channel.group(1)))
        if marker is not None and marker not in found:
            found[marker] = (at, sizes[0])
    return found


def _figures(
    bench: Bench,
    args: argparse.Namespace,
    phase: dict[str, Any],
    recorded: dict[str, Any],
    sources: dict[tuple[str, int], int],
    limit: int,
    log: str,
) -> dict[str, Any]:
    fired, (t0, t1) = phase["fired"], phase["window"]
    delivered = _delivered(bench, phase)
    sim_jobs = bench._sim_jobs()
    latency: dict[str, list[float]] = {}
    for f in fired:
        job, got = sim_jobs.get(f.job.marker), delivered.get(f.job.marker)
        if job is not None and got is not None:
            done = job.created + job.generation_seconds
            latency.setdefault(f.job.resolution, []).append(got[0] - done)
    linked = sum(
        1
        for f in fired
        if f.interaction.message is not None
        and not f.interaction.message.attachments
        and "[download it](" in (f.interaction.message.content or "")
    )
    fitted = [
        (int(m.group(1)), int(m.group(2)), f"{m.group(3)}x{m.group(4)}", float(m.group(5)))
        for m in _FITTED.finditer(log)
    ]
    fits_as_is = sum(1 for f in fired if sources[(f.job.resolution, f.job.duration)] <= limit)
    max_encoders = os.cpu_count() or 1  # the shipped [delivery] max_encoders = 0
    busy = [at for at, count, _ in bench.encoders if count >= max_encoders]
    lag = [(at, lag) for at, lag in recorded.get("lag", []) if t0 <= at <= t1]
    lag_busy = [value for at, value in lag if busy and _near(at, busy)]
    n = len(fired)
    return {
        "jobs": n,
        "ended": len(phase["ended"]),
        "limit_bytes": limit,
        "attached": len(delivered),
        "attached_share": len(delivered) / max(1, n),
        "fits_untouched_share": fits_as_is / max(1, n),
        "compressed": len(fitted),
        "linked": linked,
        "neither": n - len(delivered) - linked,
        "over_limit_uploads": sum(1 for _, size in delivered.values() if size > limit),
        "sources_mb": {f"{r} {d}s": size / 1e6 for (r, d), size in sources.items()},
        "rendition_sizes": _count(wh for _, _, wh, _ in fitted),
        "latency_by_resolution": {r: kit.summary(v) for r, v in sorted(latency.items())},
        "encode_seconds": kit.summary([s for *_, s in fitted]),
        "encoder_cpu_per_video": phase["encoder_cpu_seconds"] / max(1, len(fitted)),
        "bot_cpu_seconds": phase["bot_cpu_seconds"],
        "lag_busy": kit.summary(lag_busy),
        "lag_all": kit.summary([value for _, value in lag]),
        "busy_seconds": len(busy) * 0.2,
        "peak_encoders": max((c for _, c, _ in bench.encoders), default=0),
        "peak_rss_bot_kib": phase["peak_kib"],
        "peak_rss_encoders_kib": max((k for *_, k in bench.encoders), default=0),
        "phase_seconds": t1 - t0,
        "load_average_max": bench.busiest,
        "schema_errors": list(bench.discord.schema_errors[:5]),
    }


def _near(at: float, moments: list[float], within: float = 0.2) -> bool:
    """`at` falls within `within` seconds of one of `moments` (sorted)."""
    index = bisect.bisect_left(moments, at)
    return any(abs(moments[i] - at) <= within for i in (index - 1, index) if 0 <= i < len(moments))


def _count(items: Any) -> dict[str, int]:
    counted: dict[str, int] = {}
    for item in items:
        counted[item] = counted.get(item, 0) + 1
    return counted


def _print(f: dict[str, Any], args: argparse.Namespace) -> None:
    p = print
    sources = ", ".join(f"{k} {v:.1f} MB" for k, v in f["sources_mb"].items())
    what = "720p, 4 or 8 s" if args.smoke else "720p/1080p/4k, 8 or 10 s"
    p(
        f"\n== fit: N={f['jobs']} /video (Gemini {what}) into a server that "
        f"takes {f['limit_bytes'] / MIB:g} MiB, clock x{args.scale:g}, arrivals over "
        f"{args.ramp * args.scale:g} s, {os.cpu_count()} cores =="
    )
    p(f"outputs: {sources}")
    p(
        f"ended {f['ended']}/{f['jobs']}; delivered as an attachment {f['attached']} "
        f"({f['attached_share']:.0%}; before issue 19 only what fits untouched: "
        f"{f['fits_untouched_share']:.0%}); compressed {f['compressed']}, linked {f['linked']}, "
        f"neither (failed, refused) {f['neither']}; uploads over the limit "
        f"{f['over_limit_uploads']}"
    )
    sizes = ", ".join(f"{k} x{v}" for k, v in sorted(f["rendition_sizes"].items()))
    p(f"renditions: {sizes or 'none'}")
    for resolution, s in f["latency_by_resolution"].items():
        p(
            f"completion -> delivered {resolution:>5}: p50 {s['p50']:.2f} s, p99 {s['p99']:.2f} s, "
            f"max {s['max']:.2f} s (n={s['n']})"
        )
    e = f["encode_seconds"]
    p(
        f"encoder seconds per compressed video (encode + verify, wall): p50 {e['p50']:.2f} s, "
        f"p99 {e['p99']:.2f} s (n={e['n']}); encoder CPU {f['encoder_cpu_per_video']:.2f} s/video"
    )
    busy, every = f["lag_busy"], f["lag_all"]
    p(
        f"event-loop lag while {os.cpu_count()} encoders ran ({f['busy_seconds']:.0f} s): "
        f"p50 {busy['p50'] * 1000:.1f} ms, p99 {busy['p99'] * 1000:.1f} ms, max "
        f"{busy['max'] * 1000:.1f} ms (n={busy['n']}); whole phase p99 {every['p99'] * 1000:.1f} ms"
    )
    p(
        f"peak RSS: bot {f['peak_rss_bot_kib'] / 1024:.1f} MiB; encoders together "
        f"{f['peak_rss_encoders_kib'] / 1024:.1f} MiB (at most {f['peak_encoders']} at once)"
    )
    p(
        f"(phase {f['phase_seconds']:.0f} s, wall {f['wall_seconds']:.0f} s; bot CPU "
        f"{f['bot_cpu_seconds']:.1f} s; load average at most {f['load_average_max']:.1f})"
    )
    if f["schema_errors"]:
        p(f"fake Discord saw bad requests: {f['schema_errors']}")
