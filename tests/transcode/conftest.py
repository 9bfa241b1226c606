"""Real files through the real encoder, scaled down so the suite stays fast on two cores.

A 720p 4 s source and a 1 MB limit take the same path as a 4k clip into 10 MiB; the sources
are the simulator's realistic outputs, made once per test session.
"""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from bot.sim.outputs import OutputSpec, SimOutputs
from bot.transcode import Encoder, find_encoder


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return asyncio.run(find_encoder())


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> SimOutputs:
    return SimOutputs(cache_dir=tmp_path_factory.mktemp("sources"))


def make(sources: SimOutputs, width: int, height: int, seconds: int, kbps: int) -> Path:
    """A realistic source (made outside any event loop: fixtures only)."""
    return asyncio.run(sources.path(OutputSpec(width, height, seconds, kbps)))


@pytest.fixture(scope="session")
def hd_4s(sources: SimOutputs) -> Path:
    """720p, 4 s, 3 Mbit/s as Atlas makes it: about 1.5 MB."""
    return make(sources, 1280, 720, 4, 3000)


@pytest.fixture(scope="session")
def full_hd_2s(sources: SimOutputs) -> Path:
    """1080p, 2 s, 8 Mbit/s: about 2 MB."""
    return make(sources, 1920, 1080, 2, 8000)


@pytest.fixture(scope="session")
def small_4s(sources: SimOutputs) -> Path:
    """640x360, 4 s, 1 Mbit/s: smaller than the smallest size the planner picks."""
    return make(sources, 640, 360, 4, 1000)


def hanging_encoder(folder: Path, real: Encoder) -> Encoder:
    """An "ffmpeg" that reads files like the real one but hangs on an encode: it creates the
    output, then waits on a child that sleeps (both in the encoder's process group)."""
    script = folder / "hanging-ffmpeg"
    script.write_text(
        "#!/bin/sh\n"
        'case "$*" in\n'
        "  *libx264*)\n"
        '    for last in "$@"; do :; done\n'
        '    : > "$last"\n'
        "    sleep 600 &\n"
        "    wait\n"
        "    ;;\n"
        f'  *) exec "{real.path}" "$@" ;;\n'
        "esac\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return Encoder(path=str(script), version="hanging", origin="configured")


def group_alive(group: int) -> list[int]:
    """The live processes of process group `group` (zombies waiting to be reaped are gone)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        state, group_id = fields[0], int(fields[2])
        if group_id == group and state not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def size_of(path: Path) -> int:
    """The file's size (sync helpers, so async tests do not block on pathlib)."""
    return path.stat().st_size


def mode_of(path: Path) -> int:
    """The file's permission bits."""
    return path.stat().st_mode & 0o777


def cut_short(source: Path, dest: Path, share: float) -> Path:
    """`dest`: the first `share` of `source`, like a download that broke off."""
    dest.write_bytes(source.read_bytes()[: int(source.stat().st_size * share)])
    return dest
