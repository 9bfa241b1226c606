"""Load benchmark of the whole bot: many members, many jobs at once, each job minutes long.

    .venv/bin/python bench/load.py --smoke                         # N=10, a few seconds
    .venv/bin/python bench/load.py --jobs 100 --scale 1 --baseline  # the real clock
    .venv/bin/python bench/load.py --jobs 1000 --scale 0.25 --baseline
    .venv/bin/python bench/load.py --fit --jobs 100 --scale 0.25   # 720p/1080p/4k into 10 MiB

This process hosts the Atlas simulator and the fake Discord (tests/fake_discord, with its
OpenAPI schema checks unless --no-schema) on 127.0.0.1; the real bot runs in its own process
(bench/botproc.py), so its CPU time and memory are measured alone, from /proc. Members run
/video in several servers; the simulator takes `loadkit.KINDS` seconds +- 20 % per video.
`--scale` multiplies every simulated duration (generation times, the bot's poll intervals,
timeouts, message timings and expected times, the tutorial's 3 s sleep) by the same factor;
latencies after completion are reported as measured (the poll-gap part of them shrinks with
the scale).

Outputs are the simulator's realistic ones (real H.264 + AAC at Atlas's bitrates, cached under
~/.cache/atlas-video-bot/sim-outputs or `--output-cache`; made before the first phase), or the
tiny sample with `--sample-outputs`. `--fit` measures fitting them to Discord's upload limit
instead (bench/fitload.py): Gemini 720p, 1080p and 4k videos of 8 and 10 s into a server that
takes 10 MiB.

Phases: a warm-up (a few jobs of each kind: the history the bot learns generation times from),
an optional relay of one big video (memory added while a 25 MB MP4 goes through), then the
measured jobs, arriving evenly over `--ramp` seconds (scaled). With --baseline, the same jobs
again through the tutorial's approach (bench/tutorial.py: blocking requests, a 3 s poll loop,
one thread per job) against the same simulator.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web

from bench import loadkit as kit
from bench.fitload import run_fit
from bench.report import print_report
from bot.catalogue import Catalogue
from bot.money import usd
from bot.settings import load_file
from bot.sim import AtlasSimulator
from tests.fake_discord import FakeDiscord, FakeInteraction

ATLAS_KEY = "bench-atlas-key"
BIG_UPLOAD_LIMIT = 32 * 1024 * 1024
_MARKER = re.compile(r"\[(\w+-\d{5})\]")
_ENDINGS = ("Done", "Failed", "Cancelled", "We could not confirm")


@dataclass
class Fired:
    """A job a member started: its interaction and when."""

    job: kit.PlannedJob
    interaction: FakeInteraction
    fired_at: float


class _NoSchema:
    """Stands in for the fake's OpenAPI checker when --no-schema is given."""

    def check(self, *args: Any, **kwargs: Any) -> list[str]:
        return []


def _status(interaction: FakeInteraction) -> str:
    message = interaction.message
    for embed in message.embeds if message else []:
        for field in embed.get("fields", []):
            if field["name"] == "Status":
                return str(field["value"])
    return ""


def _ended(interaction: FakeInteraction) -> bool:
    if interaction.response_data and interaction.response_data.get("flags", 0) & 64:
        return True  # refused with an ephemeral message
    message = interaction.message
    return message is not None and (
        bool(message.attachments) or _status(interaction).startswith(_ENDINGS)
    )


class Bench:
    """One benchmark run: the world, the bot process, the phases and their figures."""

    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args = args
        self.scale = float(args.scale)
        self.folder = folder
        catalogue = Catalogue(load_file(kit.ROOT / "config" / "bot.toml").models)
        self.sim = AtlasSimulator(
            catalogue,
            api_key=ATLAS_KEY,
            clock=time.time,
            outputs="sample" if args.sample_outputs else "realistic",
            output_cache=args.output_cache,
        )
        self.sim.account.balance = usd("1000000")  # the bench measures the bot, not the bill
        self.polls: dict[str, list[float]] = defaultdict(list)
        self.connections: list[tuple[float, int]] = []  # (when, client port) per Atlas request
        self._by_marker: dict[str, Any] = {}
        self.sim.app.middlewares.append(self._time_polls)
        self.discord = FakeDiscord()
        total = args.jobs + args.warmup * len(kit.KINDS) + 1
        self.members = kit.Members.for_jobs(total, one_server=args.one_server)
        self.bot: asyncio.subprocess.Process | None = None
        self.samples_path = folder / "bot-samples.json"
        self.rss: list[tuple[float, int]] = []
        # (when, encoders running, their RSS KiB together), sampled with the bot's RSS
        self.encoders: list[tuple[float, int, int]] = []
        # (when, method, path, file sizes) of every upload to Discord; the bytes are dropped
        self.uploads: list[tuple[float, str, str, list[int]]] = []
        self._requests_seen = 0
        self.busiest = 0.0  # the highest 1-minute load average seen during the measured phase

    @web.middleware
    async def _time_polls(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "GET" and "/model/prediction/" in request.path:
            self.polls[request.path.rsplit("/", 1)[1]].append(time.time())
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.connections.append((time.time(), peer[1] if peer else 0))
        response: web.StreamResponse = await handler(request)
        return response

    # -- the world ---------------------------------------------------------------------------

    async def start(self) -> None:
        await self.sim.start()
        await self.discord.start()
        if self.args.no_schema:
            self.discord.checker = _NoSchema()  # type: ignore[assignment]
        for guild in self.members.guilds:
            self.discord.add_guild(guild, name=f"Server {guild}")
            self.discord.add_channel(guild, self.members.channels[guild], name="videos")
            for user in self.members.members[guild]:
                self.discord.add_member(guild, user, name=f"member{user}")
        config = {
            "scale": self.scale,
            "max_in_flight": self.args.max_in_flight or self.args.jobs + 64,
            "discord_token": self.discord.bot_token,
            "atlas_key": ATLAS_KEY,
            "atlas_base_url": self.sim.base_url,
            "discord_api_base_url": self.discord.api_base,
            "discord_gateway_url": self.discord.gateway_url,
            "database_path": str(self.folder / "data" / "bot.sqlite3"),
            "log_path": str(self.folder / "bot.log"),
            "log_level": self.args.log_level,
            "samples_path": str(self.samples_path),
            "trace_db": self.args.trace_db,
            "tight_seconds": self.args.tight,
            "refresh_seconds": self.args.refresh,
            "plain_asyncio": self.args.plain_asyncio,
            "profile_path": str(self.args.profile.resolve()) if self.args.profile else None,
            "webhook_port": kit.free_port() if self.args.webhooks else None,
            "shipped_limits": self.args.shipped_limits,
        }
        config_path = self.folder / "bot.json"
        config_path.write_text(json.dumps(config))
        self.bot = await asyncio.create_subprocess_exec(
            sys.executable,
            str(kit.ROOT / "bench" / "botproc.py"),
            str(config_path),
            env={"HEALTH_FILE": str(self.folder / "health.json"), "PATH": "/usr/bin:/bin"},
            cwd=self.folder,
        )
        await self.discord.wait_until(lambda: "video" in self.discord.global_commands, 60, "sync")
        await self.discord.wait_ready(timeout=60)
        await asyncio.sleep(1.0)  # discord.py's guild_ready_timeout (0.5 s) before on_ready

    @property
    def pid(self) -> int:
        assert self.bot is not None
        return self.bot.pid

    async def stop(self) -> dict[str, Any]:
        """Stop the bot (SIGTERM) and return what it recorded."""
        if self.bot is not None and self.bot.returncode is None:
            self.bot.terminate()
            await asyncio.wait_for(self.bot.wait(), 30)
        with contextlib.suppress(AssertionError):
            await self.discord.close()
        await self.sim.close()
        result: dict[str, Any] = {"lag": [], "learned": []}
        if self.samples_path.exists():
            result.update(json.loads(self.samples_path.read_text()))
        database = self.folder / "data" / "bot.sqlite3"
        with contextlib.closing(sqlite3.connect(database)) as conn:
            result["learned"] = conn.execute(
                "SELECT model, resolution, duration, count, mean, sqrt(var) FROM eta_stats"
            ).fetchall()
        return result

    async def prepare_outputs(self, kinds: Sequence[kit.Kind]) -> None:
        """Make the realistic outputs of `kinds` before any phase (once per machine: they are
        cached), so that their encoding is not timed as the bot's latency."""
        outputs = self.sim.realistic_outputs
        if outputs is None:
            return
        for kind in kinds:
            spec = outputs.spec_for(kind.model, kind.resolution, "16:9", kind.duration)
            await outputs.path(spec)

    # -- members acting ----------------------------------------------------------------------

    async def fire(
        self,
        jobs: list[kit.PlannedJob],
        *,
        upload_limit: int = 10 * 1024 * 1024,
        output_bytes: int | None = None,
    ) -> list[Fired]:
        """Run /video for every job at its offset from now."""
        for job in jobs:
            self.sim.script_prompt(
                job.marker, generation_seconds=job.generation_seconds, output_bytes=output_bytes
            )
        start = time.time()
        fired: list[Fired] = []
        for job in jobs:
            delay = start + job.offset_seconds - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            at = time.time()
            options = {
                "prompt": job.prompt,
                "model": job.model,
                "resolution": job.resolution,
                "duration": job.duration,
            }
            interaction = await self.discord.invoke(
                "video",
                user_id=job.user_id,
                guild_id=job.guild_id,
                channel_id=job.channel_id,
                options=options,
                attachment_size_limit=upload_limit,
            )
            fired.append(Fired(job, interaction, at))
        return fired

    async def wait_ended(self, fired: list[Fired], timeout: float) -> dict[str, float]:
        """Wait until every job's message shows an ending; when each was seen ending."""
        ended: dict[str, float] = {}
        deadline = time.time() + timeout
        while len(ended) < len(fired) and time.time() < deadline:
            for f in fired:
                if f.job.marker not in ended and _ended(f.interaction):
                    ended[f.job.marker] = time.time()
            self.forget_upload_bytes()
            await asyncio.sleep(0.05)
        self.forget_upload_bytes()
        return ended

    def forget_upload_bytes(self) -> None:
        """Note the size of each file the bot uploaded, then drop its bytes from the fake's
        records: a thousand videos of 10 MB would not fit in the driver's memory."""
        requests = self.discord.requests
        for r in requests[self._requests_seen :]:
            if r.files:
                self.uploads.append((r.at, r.method, r.path, [len(d) for _, d, _ in r.files]))
                r.files = [(name, b"", kind) for name, _, kind in r.files]
        self._requests_seen = len(requests)
        for message in self.discord.messages.values():
            for file in message.attachments:
                file.data = file.data[:16]  # the MP4's first box: enough to see `ftyp`

    async def sample_rss(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.busiest = max(self.busiest, os.getloadavg()[0])
            with contextlib.suppress(OSError):
                self.rss.append((time.time(), kit.memory_kib(self.pid)[0]))
                encoders = kit.encoders_of(self.pid)
                self.encoders.append((time.time(), len(encoders), sum(k for _, k in encoders)))
            await asyncio.sleep(0.2)

    # -- phases ------------------------------------------------------------------------------

    def _timeout(self, jobs: list[kit.PlannedJob]) -> float:
        last = max(j.offset_seconds + j.generation_seconds for j in jobs)
        if self.args.shipped_limits:  # a line: the jobs run a few at a time
            longest = max(j.generation_seconds for j in jobs)
            last += longest * len(jobs) / 5
        return last * 1.5 + 30

    async def warm_up(self) -> dict[str, Any]:
        jobs = kit.warmup_plan(self.args.warmup, scale=self.scale, members=self.members, seed=1)
        if not jobs:
            return {"jobs": 0}
        fired = await self.fire(jobs)
        ended = await self.wait_ended(fired, self._timeout(jobs))
        return {"jobs": len(jobs), "ended": len(ended)}

    async def relay(self) -> dict[str, Any]:
        """One video of `--relay-mb` MB while the bot is otherwise idle: the peak RSS it adds."""
        size = int(self.args.relay_mb * 1_000_000)
        member = self.members.guilds[0]
        # A kind the load does not use (10 s), so its short time teaches nothing they rely on.
        job = kit.PlannedJob(
            0,
            "relay",
            kit.GEMINI,
            "1080p",
            10,
            1.0 * self.scale,
            0.0,
            self.members.members[member][0],
            member,
            self.members.channels[member],
        )
        await asyncio.sleep(0.5)
        rss_before = kit.memory_kib(self.pid)[0]
        peak_reset = kit.reset_peak(self.pid)
        fired = await self.fire([job], upload_limit=BIG_UPLOAD_LIMIT, output_bytes=size)
        await self.wait_ended(fired, 60 + 3 * self.scale)
        attachments = (
            fired[0].interaction.message.attachments if fired[0].interaction.message else []
        )
        rss_after, peak = kit.memory_kib(self.pid)
        return {
            "bytes": size,
            "delivered_bytes": attachments[0].size if attachments else 0,
            "rss_before_kib": rss_before,
            "peak_kib": peak,
            "rss_after_kib": rss_after,
            "peak_reset": peak_reset,
            "added_kib": peak - rss_before,
        }

    async def measured(self) -> dict[str, Any]:
        jobs = kit.plan(
            "load",
            self.args.jobs,
            scale=self.scale,
            ramp=self.args.ramp * self.scale,
            members=self.members,
            seed=2,
        )
        await asyncio.sleep(1.0)
        idle_cpu0, idle_t0 = kit.cpu_precise(self.pid), time.time()
        await asyncio.sleep(3.0)
        idle_rate = (kit.cpu_precise(self.pid) - idle_cpu0) / (time.time() - idle_t0)
        rss_start = kit.memory_kib(self.pid)[0]
        stop = asyncio.Event()
        sampler = asyncio.create_task(self.sample_rss(stop))
        spy = await self._spy() if self.args.py_spy else None
        cpu0, t0 = kit.cpu_seconds(self.pid), time.time()
        split0 = kit.cpu_split(self.pid)
        driver_cpu0 = time.process_time()
        fired = await self.fire(jobs)
        ended = await self.wait_ended(fired, self._timeout(jobs))
        t1 = max(ended.values(), default=time.time())
        cpu1 = kit.cpu_seconds(self.pid)
        split1 = kit.cpu_split(self.pid)
        driver_cpu = time.process_time() - driver_cpu0
        stop.set()
        await sampler
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            await spy.wait()
        return {
            "fired": fired,
            "ended": ended,
            "window": (t0, t1),
            "cpu_seconds": cpu1 - cpu0,
            "cpu_split": {k: split1[k] - split0.get(k, 0.0) for k in split1},
            "idle_cpu_per_second": idle_rate,
            "driver_cpu_seconds": driver_cpu,
            "rss_start_kib": rss_start,
            "peak_kib": kit.memory_kib(self.pid)[1],
            "jobs": jobs,
        }

    async def _spy(self) -> asyncio.subprocess.Process:
        """py-spy (a sampling profiler, not a dependency: give its path) on the bot for the
        measured phase; collapsed stacks of every thread go to `--spy-out`."""
        return await asyncio.create_subprocess_exec(
            str(self.args.py_spy),
            "record",
            "--pid",
            str(self.pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "--threads",
            "--nonblocking",
            "--output",
            str(self.args.spy_out),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )

    # -- figures -----------------------------------------------------------------------------

    def _sim_jobs(self) -> dict[str, Any]:
        if len(self._by_marker) != len(self.sim.jobs):
            for job in self.sim.jobs.values():
                match = _MARKER.search(job.prompt)
                if match:
                    self._by_marker[f"[{match.group(1)}]"] = job
        return self._by_marker

    def connections_in(self, window: tuple[float, float]) -> int:
        """TCP connections that carried Atlas requests in the window (distinct client ports)."""
        return len({port for at, port in self.connections if window[0] <= at <= window[1]})

    def atlas_figures(self, markers: list[str]) -> dict[str, Any]:
        """Submits and polls per job, from what the simulator received."""
        wanted = set(markers)
        submits = Counter(
            m.group(0)
            for r in self.sim.requests_to("/model/generateVideo", "POST")
            if isinstance(r.json, dict)
            and (m := _MARKER.search(str(r.json.get("prompt", ""))))
            and m.group(0) in wanted
        )
        sim_jobs = self._sim_jobs()
        polls = {m: len(self.polls.get(sim_jobs[m].id, [])) for m in markers if m in sim_jobs}
        ids = {sim_jobs[m].id for m in polls}
        downloads = sum(
            1
            for r in self.sim.requests_to(".mp4", "GET")
            if r.path.rsplit("/", 1)[1].removesuffix(".mp4") in ids
        )
        n = max(1, len(markers))
        webhooks = sum(1 for call in self.sim.webhooks.calls if call.prediction_id in ids)
        return {
            "webhook_calls_per_job": webhooks / n,
            "submits_per_job": sum(submits.values()) / n,
            "polls_per_job": sum(polls.values()) / n,
            "calls_per_job": (sum(submits.values()) + sum(polls.values())) / n,
            "downloads_per_job": downloads / n,
            "polls": polls,
        }

    def latency(self, marker: str, delivered: float | None) -> tuple[float, float, float] | None:
        """(completion -> delivery, completion -> detecting poll, detecting poll -> delivery)."""
        job = self._sim_jobs().get(marker)
        if job is None or delivered is None:
            return None
        done = job.created + job.generation_seconds
        detected = next((t for t in self.polls.get(job.id, []) if t >= done), delivered)
        return delivered - done, detected - done, delivered - detected

    def discord_figures(self, fired: list[Fired], window: tuple[float, float]) -> dict[str, Any]:
        """REST calls in the window by kind, and each job's delivery time (its upload's PATCH)."""
        by_token = {f.interaction.token: f.job.marker for f in fired}
        by_interaction = {str(f.interaction.id): f for f in fired}
        by_message = {
            str(f.interaction.message.id): f.job.marker for f in fired if f.interaction.message
        }
        kinds: Counter[str] = Counter()
        per_job: Counter[str] = Counter()  # every REST call about one job's message
        answered: dict[str, float] = {}  # fired -> the interaction's first answer
        delivered: dict[str, float] = {}
        for r in self.discord.requests:
            if r.path.startswith(("/attachments/", "/ephemeral-attachments/")):
                continue
            if window[0] <= r.at <= window[1] + 1:
                kinds[_rest_kind(r.method, r.path)] += 1
            parts = r.path.split("/")
            if r.path.startswith("/interactions/") and parts[2] in by_interaction:
                f = by_interaction[parts[2]]
                per_job[f.job.marker] += 1
                answered.setdefault(f.job.marker, r.at - f.fired_at)
            elif r.path.startswith("/webhooks/") and parts[3] in by_token:
                per_job[by_token[parts[3]]] += 1
            elif r.path.startswith("/channels/") and len(parts) > 4 and parts[4] in by_message:
                per_job[by_message[parts[4]]] += 1
            if r.method == "PATCH" and r.files and r.path.startswith("/webhooks/"):
                marker = by_token.get(r.path.split("/")[3])
                if marker is not None and marker not in delivered:
                    delivered[marker] = r.at
        return {
            "kinds": kinds,
            "delivered": delivered,
            "per_job": per_job,
            "answered": answered,
            "peak_bot_token_per_second": self.discord.peak_global_rate,
            "rate_limited": len(self.discord.rate_limited),
        }


def _rest_kind(method: str, path: str) -> str:
    if path.startswith("/interactions/"):
        return "interaction callback"
    if path.startswith("/webhooks/") and path.endswith("@original"):
        return f"{method} original response"
    if path.startswith("/webhooks/"):
        return f"{method} followup"
    if path.startswith("/channels/"):
        return f"{method} channel message"
    return f"{method} other"


async def run_baseline(bench: Bench, folder: Path) -> dict[str, Any]:
    """The same jobs through bench/tutorial.py; its figures measured the same way."""
    jobs = kit.plan(
        "base",
        bench.args.jobs,
        scale=bench.scale,
        ramp=bench.args.ramp * bench.scale,
        members=bench.members,
        seed=2,
    )
    for job in jobs:
        bench.sim.script_prompt(job.marker, generation_seconds=job.generation_seconds)
    jobs_path, out = folder / "tutorial-jobs.json", folder / "tutorial-out.json"
    kit.dump_jobs(jobs, jobs_path)
    start_at = time.time() + 2.0
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(kit.ROOT / "bench" / "tutorial.py"),
        str(jobs_path),
        bench.sim.base_url,
        ATLAS_KEY,
        str(kit.TUTORIAL_POLL_SECONDS * bench.scale),
        str(start_at),
        str(out),
    )
    rss: list[tuple[float, int]] = []
    cpu = 0.0
    driver_cpu0, began = time.process_time(), time.time()
    while child.returncode is None:
        with contextlib.suppress(OSError, KeyError, IndexError):
            rss.append((time.time(), kit.memory_kib(child.pid)[0]))
            cpu = kit.cpu_seconds(child.pid)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(child.wait(), 0.2)
    result = json.loads(out.read_text())
    before = [kib for at, kib in rss if at <= start_at]
    return {
        "jobs": jobs,
        "result": result,
        "rss": rss,
        "rss_start_kib": before[-1] if before else (rss[0][1] if rss else 0),
        "cpu_seconds": cpu,
        "start_at": start_at,
        # The simulator's share of one core while it served the tutorial: near 1, it was the
        # bottleneck, not the tutorial's loop.
        "driver_busy": (time.process_time() - driver_cpu0) / max(1e-9, time.time() - began),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=100, help="measured /video runs (N)")
    parser.add_argument("--scale", type=float, default=1.0, help="factor on every duration")
    parser.add_argument("--ramp", type=float, default=20.0, help="arrival window, real seconds")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up jobs per kind")
    parser.add_argument("--relay-mb", type=float, default=25.0, help="0: skip the big relay")
    parser.add_argument("--baseline", action="store_true", help="also run the tutorial's way")
    parser.add_argument("--no-schema", action="store_true", help="skip the fake's OpenAPI check")
    parser.add_argument("--max-in-flight", type=int, default=0, help="0: jobs + 64")
    parser.add_argument(
        "--shipped-limits",
        action="store_true",
        help="jobs at once, per member, per server and bot-wide, as config/bot.toml ships them "
        "(the rest wait in line); money limits stay lifted",
    )
    parser.add_argument("--one-server", action="store_true", help="every member in one server")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--trace-db", action="store_true", help="time database hops and lock")
    parser.add_argument("--tight", type=float, help="the learned schedule's tight interval")
    parser.add_argument(
        "--plain-asyncio", action="store_true", help="run the bot on asyncio's loop, not uvloop"
    )
    parser.add_argument("--refresh", type=float, help="how often a queued job shows its place")
    parser.add_argument("--py-spy", type=Path, help="path of a py-spy binary to sample the bot")
    parser.add_argument("--spy-out", type=Path, default=Path("bot-stacks.txt"))
    parser.add_argument("--keep", type=Path, help="keep the database, logs and samples here")
    parser.add_argument("--profile", type=Path, help="cProfile the bot process into this file")
    parser.add_argument("--smoke", action="store_true", help="N=10 on a 1/20 clock, no relay")
    parser.add_argument(
        "--webhooks", action="store_true", help="PUBLIC_WEBHOOK_URL set: Atlas calls the bot"
    )
    parser.add_argument(
        "--sample-outputs", action="store_true", help="the tiny sample MP4, not realistic ones"
    )
    parser.add_argument("--output-cache", type=Path, help="where realistic outputs are cached")
    parser.add_argument(
        "--fit", action="store_true", help="720p/1080p/4k into a 10 MiB server (bench/fitload.py)"
    )
    parser.add_argument(
        "--limit-mib", type=float, default=10.0, help="--fit: the server's upload limit"
    )
    parser.add_argument(
        "--fit-only",
        choices=[f"{r}-{d}" for r in ("720p", "1080p", "4k") for d in (8, 10)],
        help="--fit: only this resolution-duration (spread --ramp wide to time a lone clip)",
    )
    return parser


async def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.smoke:
        args.jobs, args.scale, args.warmup, args.relay_mb = 10, 0.05, 3, 0.0
    if args.fit:
        return await run_fit(args, Bench)
    began = time.time()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        folder = Path(tmp)
        if args.keep:
            folder = args.keep.resolve()
            folder.mkdir(parents=True, exist_ok=True)
        bench = Bench(args, folder)
        await bench.start()
        try:
            await bench.prepare_outputs(kit.KINDS)
            warm = await bench.warm_up()
            relay = await bench.relay() if args.relay_mb > 0 else None
            phase = await bench.measured()
            baseline = await run_baseline(bench, folder) if args.baseline else None
        finally:
            recorded = await bench.stop()
        loads = (load_before, bench.busiest, os.getloadavg()[0])
        figures = print_report(bench, args, warm, relay, phase, baseline, recorded, began, loads)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0 if figures.get("all_ended") else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
