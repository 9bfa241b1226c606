"""The load benchmark's figures: computed from what the fakes and /proc recorded, printed, and
checked against the targets of issue #7."""

from __future__ import annotations

import argparse
import math
import os
import time
from typing import TYPE_CHECKING, Any

from bench import loadkit as kit

if TYPE_CHECKING:
    from bench.load import Bench

TARGET_CALL_RATIO = 0.35
TARGET_P50, TARGET_P99 = 1.5, 3.0
TARGET_CPU_MS = 5.0
TARGET_KIB_PER_JOB = 64
TARGET_LAG_P99_MS = 50.0
TARGET_RELAY_KIB = 4 * 1024


def _in_flight(spans: list[tuple[float, float]], at: float) -> int:
    return sum(1 for start, end in spans if start <= at < end)


def _per_in_flight(
    rss: list[tuple[float, int]], spans: list[tuple[float, float]], start_kib: int
) -> tuple[int, float]:
    """(peak jobs in flight, KiB of RSS above the start per job in flight at that moment)."""
    best, per_job = 0, math.nan
    for at, kib in rss:
        count = _in_flight(spans, at)
        if count > best:
            best, per_job = count, (kib - start_kib) / count
    return best, per_job


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def bot_figures(bench: Bench, phase: dict[str, Any], recorded: dict[str, Any]) -> dict[str, Any]:
    fired, ended = phase["fired"], phase["ended"]
    t0, t1 = phase["window"]
    markers = [f.job.marker for f in fired]
    atlas = bench.atlas_figures(markers)
    discord = bench.discord_figures(fired, (t0, t1))
    delivered = discord["delivered"]
    lat = [bench.latency(m, delivered.get(m)) for m in markers]
    found = [x for x in lat if x is not None]
    n = len(fired)
    spans = [(f.fired_at, ended.get(f.job.marker, t1)) for f in fired]
    rss = [(t, k) for t, k in bench.rss if t0 <= t <= t1]
    peak_jobs, kib_per_job = _per_in_flight(rss, spans, phase["rss_start_kib"])
    lag = [lag for at, lag in recorded.get("lag", []) if t0 <= at <= t1]
    by_kind: dict[str, list[int]] = {}
    for f in fired:
        key = f"{f.job.model.split('/')[1]} {f.job.resolution}/{f.job.duration}s"
        by_kind.setdefault(key, []).append(atlas["polls"].get(f.job.marker, 0))
    idle = phase["idle_cpu_per_second"] * (t1 - t0)
    rest_total = sum(discord["kinds"].values())
    return {
        "jobs": n,
        "ended": len(ended),
        "delivered": len(delivered),
        "seconds": t1 - t0,
        "atlas": {k: v for k, v in atlas.items() if k != "polls"},
        "atlas_connections_per_job": bench.connections_in((t0, t1 + 1)) / max(1, n),
        "polls_per_job_by_kind": {k: sum(v) / len(v) for k, v in sorted(by_kind.items())},
        "learned": recorded.get("learned", []),
        "discord_calls_per_job": rest_total / max(1, n),
        "discord_calls_most_for_one_job": max(discord["per_job"].values(), default=0),
        "first_answer": kit.summary(list(discord["answered"].values())),
        "peak_bot_token_per_second": discord["peak_bot_token_per_second"],
        "discord_429s": discord["rate_limited"],
        "discord_kinds_per_job": {k: v / max(1, n) for k, v in discord["kinds"].most_common()},
        "latency": kit.summary([x[0] for x in found]),
        "detect": kit.summary([x[1] for x in found]),
        "processing": kit.summary([x[2] for x in found]),
        "cpu_seconds": phase["cpu_seconds"],
        "cpu_ms_per_job_split": {k: v / max(1, n) * 1000 for k, v in phase["cpu_split"].items()},
        "cpu_ms_per_job": phase["cpu_seconds"] / max(1, n) * 1000,
        "cpu_ms_per_job_net_of_idle": (phase["cpu_seconds"] - idle) / max(1, n) * 1000,
        "idle_cpu_per_second": phase["idle_cpu_per_second"],
        "rss_start_kib": phase["rss_start_kib"],
        "rss_peak_in_phase_kib": max((k for _, k in rss), default=0),
        "peak_rss_process_kib": phase["peak_kib"],
        "peak_in_flight": peak_jobs,
        "kib_per_in_flight_job": kib_per_job,
        "lag": kit.summary(lag),
        "driver_cpu_seconds": phase["driver_cpu_seconds"],
        "schema_errors": list(bench.discord.schema_errors[:5]),
        "unhandled": list(bench.discord.unhandled[:5]),
    }


def baseline_figures(bench: Bench, baseline: dict[str, Any]) -> dict[str, Any]:
    results = baseline["result"]["jobs"]
    markers = [job.marker for job in baseline["jobs"]]
    atlas = bench.atlas_figures(markers)
    sim_jobs = bench._sim_jobs()
    lat, detect = [], []
    spans = []
    for r in results:
        job = sim_jobs.get(r["marker"])
        if job is None:
            continue
        done = job.created + job.generation_seconds
        lat.append(r["delivered"] - done)
        detect.append(r["detected"] - done)
        spans.append((r["submitted"], r["delivered"]))
    n = len(markers)
    # What the 3-second loop costs when every sleep and poll is on time: poll, sleep, ...
    poll = kit.TUTORIAL_POLL_SECONDS * bench.args.scale
    ideal = 1 + sum(math.floor(j.generation_seconds / poll) + 1 for j in baseline["jobs"]) / n
    window = (baseline["start_at"], max((r["delivered"] for r in results), default=0) + 1)
    # From just before the first job: Python, requests and the idle threads are not the jobs'.
    peak_jobs, kib_per_job = _per_in_flight(baseline["rss"], spans, baseline["rss_start_kib"])
    return {
        "jobs": n,
        "delivered": len(results),
        "errors": baseline["result"]["errors"][:5],
        "atlas": {k: v for k, v in atlas.items() if k != "polls"},
        "atlas_connections_per_job": bench.connections_in(window) / max(1, n),
        "ideal_calls_per_job": ideal,
        "driver_busy": baseline["driver_busy"],
        "kept_up": kit.percentile(detect, 50) <= poll,
        "latency": kit.summary(lat),
        "detect": kit.summary(detect),
        "cpu_ms_per_job": baseline["cpu_seconds"] / max(1, n) * 1000,
        "rss_peak_kib": max((k for _, k in baseline["rss"]), default=0),
        "peak_in_flight": peak_jobs,
        "kib_per_in_flight_job": kib_per_job,
    }


def print_report(
    bench: Bench,
    args: argparse.Namespace,
    warm: dict[str, Any],
    relay: dict[str, Any] | None,
    phase: dict[str, Any],
    baseline: dict[str, Any] | None,
    recorded: dict[str, Any],
    began: float,
    loads: tuple[float, float, float],
) -> dict[str, Any]:
    """Print every figure and the targets; return them (for --json)."""
    bot = bot_figures(bench, phase, recorded)
    base = baseline_figures(bench, baseline) if baseline else None
    figures: dict[str, Any] = {
        "args": {k: str(v) if hasattr(v, "resolve") else v for k, v in vars(args).items()},
        "warmup": warm,
        "relay": relay,
        "bot": bot,
        "baseline": base,
        "all_ended": bot["ended"] == bot["jobs"],
        "wall_seconds": time.time() - began,
        "load_average": loads,
    }
    p = print
    p(
        f"\n== load: N={bot['jobs']} /video, clock x{args.scale:g} "
        f"(jobs {', '.join(f'{k.seconds * args.scale:g} s' for k in kit.KINDS)} +-20 %), "
        f"arrivals over {args.ramp * args.scale:g} s, schema check "
        f"{'off' if args.no_schema else 'on'}, warm-up {warm.get('jobs', 0)} jobs =="
    )
    p(
        f"ended {bot['ended']}/{bot['jobs']}, delivered with the video {bot['delivered']}, "
        f"phase {bot['seconds']:.1f} s"
    )
    a = bot["atlas"]
    p(
        f"Atlas calls/job (submit+polls): {a['calls_per_job']:.2f}  "
        f"(polls {a['polls_per_job']:.2f}, downloads {a['downloads_per_job']:.2f}; "
        f"{bot['atlas_connections_per_job']:.2f} new connections/job"
        + (
            f"; webhook calls {a['webhook_calls_per_job']:.2f}/job)"
            if a.get("webhook_calls_per_job")
            else ")"
        )
    )
    polls = ", ".join(f"{k} {v:.2f}" for k, v in bot["polls_per_job_by_kind"].items())
    p(f"  polls/job by kind: {polls}")
    for model, resolution, duration, count, mean, spread in bot["learned"]:
        p(
            f"  learned {model.split('/')[1]} {resolution}/{duration}s: mean {mean:.1f} s, "
            f"spread {spread:.2f} s over {count} jobs"
        )
    kinds = ", ".join(f"{k} {v:.2f}" for k, v in bot["discord_kinds_per_job"].items())
    p(f"Discord REST calls/job: {bot['discord_calls_per_job']:.2f}  ({kinds})")
    answer = bot["first_answer"]
    p(
        f"  most calls for one job: {bot['discord_calls_most_for_one_job']} (goal <= 6); "
        f"first answer p50 {_s(answer['p50'])} / p99 {_s(answer['p99'])} (goal p99 <= 1 s); "
        f"peak bot-token calls in any second: {bot['peak_bot_token_per_second']:.0f} (Discord: "
        f"50); 429s: {bot['discord_429s']}"
    )
    for name in ("latency", "detect", "processing"):
        s = bot[name]
        label = {
            "latency": "completion -> delivered",
            "detect": "  completion -> seen by a poll",
            "processing": "  seen -> delivered (capture, edits, download, upload)",
        }[name]
        p(f"{label}: p50 {_s(s['p50'])}, p99 {_s(s['p99'])}, max {_s(s['max'])} (n={s['n']})")
    p(
        f"bot CPU: {bot['cpu_seconds']:.2f} s = {bot['cpu_ms_per_job']:.2f} ms/job "
        f"({bot['cpu_ms_per_job_net_of_idle']:.2f} ms/job net of idle "
        f"{bot['idle_cpu_per_second'] * 1000:.1f} ms/s)"
    )
    split = ", ".join(f"{k} {v:.1f}" for k, v in bot["cpu_ms_per_job_split"].items())
    p(f"  ms/job by thread and mode: {split}")
    start, peak = bot["rss_start_kib"] / 1024, bot["rss_peak_in_phase_kib"] / 1024
    p(
        f"bot RSS: {start:.1f} MiB at start, {peak:.1f} MiB peak in phase (process peak "
        f"{bot['peak_rss_process_kib'] / 1024:.1f} MiB); {bot['kib_per_in_flight_job']:.1f} KiB "
        f"per in-flight job at {bot['peak_in_flight']} in flight"
    )
    lag = bot["lag"]
    p(
        f"event-loop lag: p50 {_ms(lag['p50'])}, p99 {_ms(lag['p99'])}, max {_ms(lag['max'])} "
        f"({lag['n']} probes)"
    )
    p(f"driver (simulator + fake Discord) CPU in phase: {bot['driver_cpu_seconds']:.1f} s")
    traced = recorded.get("db")
    if traced:
        t0, t1 = phase["window"]
        figures["db"] = {
            k: kit.summary([d for at, d in v if t0 <= at <= t1]) for k, v in traced.items()
        }
        for name, label in (
            ("hops", "hop to the SQLite thread"),
            ("waits", "wait for the lock"),
            ("holds", "lock held"),
        ):
            s = figures["db"][name]
            p(
                f"database {label}: p50 {_ms(s['p50'])}, p99 {_ms(s['p99'])}, "
                f"max {_ms(s['max'])} ({s['n']} in the phase)"
            )
    if bot["schema_errors"] or bot["unhandled"]:
        p(f"fake Discord saw bad requests: {bot['schema_errors'] + bot['unhandled']}")
    if relay:
        sent, got = relay["bytes"] / 1e6, relay["delivered_bytes"] / 1e6
        added, before = relay["added_kib"] / 1024, relay["rss_before_kib"] / 1024
        p(
            f"relay of a {sent:g} MB MP4: delivered {got:g} MB, peak RSS +{added:.2f} MiB over "
            f"{before:.1f} MiB{'' if relay['peak_reset'] else ' (peak not reset: upper bound)'}"
        )
    checks = [
        ("Atlas calls/job", None, None),
        ("latency p50 <= 1.5 s", bot["latency"]["p50"] <= TARGET_P50, _s(bot["latency"]["p50"])),
        ("latency p99 <= 3 s", bot["latency"]["p99"] <= TARGET_P99, _s(bot["latency"]["p99"])),
        (
            "CPU <= 5 ms/job (net of idle and the lag probe)",
            bot["cpu_ms_per_job_net_of_idle"] <= TARGET_CPU_MS,
            f"{bot['cpu_ms_per_job_net_of_idle']:.2f} ms",
        ),
        (
            "RSS <= 64 KB/in-flight job",
            bot["kib_per_in_flight_job"] <= TARGET_KIB_PER_JOB,
            f"{bot['kib_per_in_flight_job']:.1f} KiB",
        ),
        ("loop lag p99 <= 50 ms", lag["p99"] * 1000 <= TARGET_LAG_P99_MS, _ms(lag["p99"])),
    ]
    if relay:
        checks.append(
            (
                "25 MB relay adds <= 4 MB",
                relay["added_kib"] <= TARGET_RELAY_KIB,
                f"{relay['added_kib'] / 1024:.2f} MiB",
            )
        )
    if base:
        b = base["atlas"]
        ratio = a["calls_per_job"] / b["calls_per_job"] if b["calls_per_job"] else math.nan
        figures["ratios"] = {
            "atlas_calls": ratio,
            "atlas_calls_vs_loop_on_time": a["calls_per_job"] / base["ideal_calls_per_job"],
            "latency_p50": bot["latency"]["p50"] / base["latency"]["p50"],
            "cpu_per_job": bot["cpu_ms_per_job"] / base["cpu_ms_per_job"],
            "kib_per_in_flight_job": bot["kib_per_in_flight_job"] / base["kib_per_in_flight_job"],
        }
        p(
            f"\n-- baseline (tutorial: blocking requests, poll every "
            f"{kit.TUTORIAL_POLL_SECONDS * args.scale:g} s, a thread per job): "
            f"delivered {base['delivered']}/{base['jobs']} {base['errors'] or ''}"
        )
        p(
            f"Atlas calls/job: {b['calls_per_job']:.2f} (polls {b['polls_per_job']:.2f}; "
            f"{base['atlas_connections_per_job']:.2f} new connections/job)"
        )
        for name, label in (
            ("latency", "completion -> video on disk"),
            ("detect", "  completion -> seen by a poll"),
        ):
            s = base[name]
            p(f"{label}: p50 {_s(s['p50'])}, p99 {_s(s['p99'])}, max {_s(s['max'])}")
        p(
            f"CPU {base['cpu_ms_per_job']:.2f} ms/job; RSS peak {base['rss_peak_kib'] / 1024:.1f} "
            f"MiB, {base['kib_per_in_flight_job']:.1f} KiB per in-flight job at "
            f"{base['peak_in_flight']} in flight"
        )
        p(
            f"the loop on time would make {base['ideal_calls_per_job']:.2f} calls/job; the "
            f"simulator used {base['driver_busy']:.0%} of a core serving it"
            + ("" if base["kept_up"] else "; the loop did NOT keep up (its polls came late)")
        )
        r = figures["ratios"]
        p(
            f"ratios bot/baseline: Atlas calls {r['atlas_calls']:.2f}x (vs the loop on time "
            f"{r['atlas_calls_vs_loop_on_time']:.2f}x), latency p50 "
            f"{r['latency_p50']:.2f}x, CPU/job {r['cpu_per_job']:.2f}x, "
            f"RSS/in-flight job {r['kib_per_in_flight_job']:.3f}x"
        )
        # A loop that fell behind polls less (late), so compare with it on time then.
        versus = ratio if base["kept_up"] else r["atlas_calls_vs_loop_on_time"]
        checks[0] = (
            "Atlas calls <= 0.35x loop, p50 not worse"
            + ("" if base["kept_up"] else " (vs the loop on time)"),
            versus <= TARGET_CALL_RATIO and r["latency_p50"] <= 1.0,
            f"{versus:.2f}x, p50 {r['latency_p50']:.2f}x",
        )
    p("\n-- targets")
    for name, ok, value in checks:
        if ok is None:
            p(f"  {'n/a ':6} {name} (run with --baseline)")
        else:
            p(f"  {'PASS' if ok else 'MISS':6} {name}: {value}")
    cores = os.cpu_count() or 1
    warning = ""
    if loads[1] > cores:  # the bench's own two processes count for up to ~1.5 of it
        warning = ": a BUSY machine, latency and lag figures are not the bot's alone"
    p(
        f"(wall time {figures['wall_seconds']:.0f} s; load average {loads[0]:.1f} before, at "
        f"most {loads[1]:.1f} in the measured phase, {loads[2]:.1f} at the end, on {cores} "
        f"cores{warning})"
    )
    figures["targets"] = {name: ok for name, ok, _ in checks}
    return figures
