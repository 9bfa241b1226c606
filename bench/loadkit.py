"""Shared pieces of the load benchmark: the job plan, process probes, and statistics.

Used by bench/load.py (the driver, which hosts the Atlas simulator and the fake Discord),
bench/botproc.py (the real bot, in its own process) and bench/tutorial.py (the baseline).
"""

from __future__ import annotations

import json
import os
import random
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

GEMINI = "google/gemini-omni-flash/text-to-video-developer"
SEEDANCE = "bytedance/seedance-2.0/text-to-video"


@dataclass(frozen=True)
class Kind:
    """One (model, resolution, duration) with its true generation time at Atlas (real clock)."""

    model: str
    resolution: str
    duration: int
    seconds: float
    weight: float


# The example (60 s +- 20 % for 1080p/8 s) is most of the load; two other kinds show
# that each combination is learned apart, one of them far from the config's estimate.
KINDS = (
    Kind(GEMINI, "1080p", 8, 60.0, 0.6),
    Kind(GEMINI, "720p", 4, 30.0, 0.2),
    Kind(SEEDANCE, "720p", 5, 75.0, 0.2),
)
SPREAD = 0.2
"""Generation times are uniform in [1 - SPREAD, 1 + SPREAD] x the kind's seconds."""

TUTORIAL_POLL_SECONDS = 3.0
REFRESH_SECONDS = 5.0
"""How often a job waiting in line may show its new place (the bot's default)."""
NOTICE_AFTER_SECONDS = 1.0
"""A step shorter than this gets no edit of its own (the bot's default)."""


@dataclass(frozen=True)
class PlannedJob:
    """One /video a member will run: when (offset from the phase start), what, and how long
    the simulator will take for it (already scaled)."""

    index: int
    phase: str
    model: str
    resolution: str
    duration: int
    generation_seconds: float
    offset_seconds: float
    user_id: int
    guild_id: int
    channel_id: int

    @property
    def marker(self) -> str:
        """The unique tag in its prompt: the simulator's script and the job's identity."""
        return f"[{self.phase}-{self.index:05d}]"

    @property
    def prompt(self) -> str:
        return f"a red fox running through snow {self.marker}"


@dataclass(frozen=True)
class Members:
    """Who runs the jobs: `guilds` servers with one channel each and their members."""

    guilds: list[int]
    channels: dict[int, int]
    members: dict[int, list[int]]

    @classmethod
    def for_jobs(cls, jobs: int, *, one_server: bool = False) -> Members:
        """About two jobs per member and a hundred members per server (or every member in one
        server: a server event)."""
        users = max(4, (jobs + 1) // 2)
        per_guild = users if one_server else 100
        guilds = [1_000 + g for g in range((users + per_guild - 1) // per_guild)]
        members = {
            guild: [50_000 + i for i in range(g * per_guild, min(users, (g + 1) * per_guild))]
            for g, guild in enumerate(guilds)
        }
        return cls(guilds, {guild: guild + 500_000 for guild in guilds}, members)


def plan(
    phase: str, count: int, *, scale: float, ramp: float, members: Members, seed: int
) -> list[PlannedJob]:
    """`count` jobs arriving evenly over `ramp` seconds; kinds by weight, users in turn."""
    rng = random.Random(seed)
    everyone = [(g, u) for g in members.guilds for u in members.members[g]]
    jobs = []
    for index in range(count):
        kind = rng.choices(KINDS, weights=[k.weight for k in KINDS])[0]
        guild, user = everyone[index % len(everyone)]
        jobs.append(
            PlannedJob(
                index=index,
                phase=phase,
                model=kind.model,
                resolution=kind.resolution,
                duration=kind.duration,
                generation_seconds=kind.seconds * scale * rng.uniform(1 - SPREAD, 1 + SPREAD),
                offset_seconds=ramp * index / max(1, count),
                user_id=user,
                guild_id=guild,
                channel_id=members.channels[guild],
            )
        )
    return jobs


def warmup_plan(per_kind: int, *, scale: float, members: Members, seed: int) -> list[PlannedJob]:
    """`per_kind` jobs of every kind at once: the history the bot learns from."""
    rng = random.Random(seed)
    everyone = [(g, u) for g in members.guilds for u in members.members[g]]
    jobs = []
    for kind in KINDS:
        for _ in range(per_kind):
            index = len(jobs)
            guild, user = everyone[index % len(everyone)]
            jobs.append(
                PlannedJob(
                    index=index,
                    phase="warm",
                    model=kind.model,
                    resolution=kind.resolution,
                    duration=kind.duration,
                    generation_seconds=kind.seconds * scale * rng.uniform(1 - SPREAD, 1 + SPREAD),
                    offset_seconds=0.0,
                    user_id=user,
                    guild_id=guild,
                    channel_id=members.channels[guild],
                )
            )
    return jobs


def dump_jobs(jobs: list[PlannedJob], path: Path) -> None:
    path.write_text(json.dumps([asdict(j) for j in jobs]))


def load_jobs(path: Path) -> list[PlannedJob]:
    return [PlannedJob(**j) for j in json.loads(path.read_text())]


# -- process probes (Linux /proc) --------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def cpu_precise(pid: int) -> float:
    """CPU seconds of the process's live threads, in nanosecond resolution (schedstat): for
    short windows such as the idle rate, where /proc/<pid>/stat's 10 ms ticks are too coarse."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except OSError:
            continue
    return total / 1e9


def cpu_split(pid: int) -> dict[str, float]:
    """CPU seconds of a process by kind: user and system time of its main thread and of the
    other threads together (the SQLite thread, `to_thread` workers), from /proc."""
    split = {"main user": 0.0, "main system": 0.0, "threads user": 0.0, "threads system": 0.0}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        who = "main" if task.name == str(pid) else "threads"
        split[f"{who} user"] += int(fields[11]) / _TICKS
        split[f"{who} system"] += int(fields[12]) / _TICKS
    return split


def memory_kib(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def children_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the children a process has waited for (its encoders)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / _TICKS


def encoders_of(pid: int) -> list[tuple[int, int]]:
    """(pid, RSS KiB) of each encoder (an ffmpeg writing H.264) the process runs now."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent != pid or b"libx264" not in (entry / "cmdline").read_bytes():
                continue
            found.append((int(entry.name), memory_kib(int(entry.name))[0]))
        except (OSError, IndexError, KeyError, ValueError):
            continue  # it ended meanwhile
    return found


def reset_peak(pid: int) -> bool:
    """Reset the kernel's peak RSS (VmHWM) of a process to its current RSS (Linux >= 4.0)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# -- statistics ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest-rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(values: list[float]) -> dict[str, Any]:
    """p50, p99 and max of a list (seconds or whatever unit it holds)."""
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "max": max(values) if values else float("nan"),
    }


def free_port() -> int:
    """A TCP port on 127.0.0.1 free right now (for the bot's webhook endpoint)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
