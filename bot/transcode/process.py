"""Running the encoder as a child process: its own process group, killed whole when abandoned.

Nothing here blocks the event loop: the child is an `asyncio` subprocess, its stderr is read line
by line and only the last lines are kept, so memory does not grow with a long or chatty run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

STDERR_LINE_LIMIT = 1 << 20

MAX_NICENESS = 19
"""The lowest CPU priority Linux gives."""


@dataclass(frozen=True)
class Finished:
    """How a child ended: its exit status and the last lines it wrote to stderr."""

    returncode: int
    stderr: tuple[str, ...]


def kill_group(process: asyncio.subprocess.Process) -> None:
    """SIGKILL the child's whole process group (a wrapper script and what it started)."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def lower_priority(process: asyncio.subprocess.Process, niceness: int) -> None:
    """Make the child's whole process group (each of its threads, those it starts later
    too) `niceness` steps less urgent than this process, so its CPU goes to the bot first.
    Best effort: where the system refuses, the child keeps running as it is."""
    if niceness <= 0:
        return
    with contextlib.suppress(OSError, AttributeError):  # AttributeError: not on Windows
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PGRP, process.pid, min(MAX_NICENESS, ours + niceness))


async def run(
    argv: Sequence[str],
    *,
    keep_lines: int = 40,
    watch: Callable[[asyncio.subprocess.Process, bool], None] | None = None,
    niceness: int = 0,
) -> Finished:
    """Run `argv` to its end, `niceness` steps below this process's CPU priority. Cancelled
    (a timeout, `close()`), it kills the process group and reaps the child before the
    cancellation goes on.

    `watch(process, True)` is called when the child starts, `watch(process, False)` when it
    is gone."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        limit=STDERR_LINE_LIMIT,
    )
    lower_priority(process, niceness)
    if watch is not None:
        watch(process, True)
    lines: deque[str] = deque(maxlen=keep_lines)
    try:
        assert process.stderr is not None
        async for raw in process.stderr:
            line = raw.decode("utf-8", errors="replace").rstrip()
            if line:
                lines.append(line)
        returncode = await process.wait()
    except BaseException:
        await _reap(process)
        raise
    finally:
        if watch is not None:
            watch(process, False)
    return Finished(returncode, tuple(lines))


async def capture(argv: Sequence[str]) -> tuple[int, str]:
    """(exit status, stdout) of a short command; cancelled, it kills and reaps the child."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        stdout, _ = await process.communicate()
    except BaseException:
        await _reap(process)
        raise
    assert process.returncode is not None
    return process.returncode, stdout.decode("utf-8", errors="replace")


async def _reap(process: asyncio.subprocess.Process) -> None:
    """Kill the child's group and wait (briefly) for it, so no zombie or orphan is left."""
    kill_group(process)
    with contextlib.suppress(TimeoutError, asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(process.wait()), 10)
