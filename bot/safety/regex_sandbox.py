"""Admins' regular expressions run here: in worker processes, with deadlines, server by server.

Python's `re` holds the GIL for a whole match, so a pattern that backtracks without end
freezes every thread of the process, the event loop included; a thread with a timeout does
not help. The sandbox runs patterns in small child processes (`_regex_child.py`, standard
library only, started on first use) and kills one when its answer is late; the next request
starts a fresh one. Requests are JSON lines: cheap next to a job.

One server must not slow another's checks down. Prompts are checked by a small pool of
workers (`workers`, 2 by default); each server has its own lane in front of it: one check of
a server runs at a time, and at most `max_waiting_per_guild` more wait behind it; the line
as a whole holds at most `max_waiting`. A check that finds its lane or the line full is
refused at once (`SandboxBusy`). Every check has a `deadline` that counts from its arrival,
its wait included, and the run itself is stopped after `search_timeout`. Saving a rule times
the pattern (`vet`) on a worker of its own, so an admin's vetting never holds up prompts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.safety.prompt_rules import REGEX_FLAGS, adversarial_inputs

log = logging.getLogger(__name__)

CHILD = Path(__file__).with_name("_regex_child.py")
WORKERS = 2
"""Worker processes that check prompts (every server shares them, each in its own lane)."""
SEARCH_TIMEOUT_SECONDS = 0.5
"""A prompt's regexes that take longer than this are stopped: the prompt is not accepted."""
CHECK_DEADLINE_SECONDS = 2.0
"""A prompt's check gives up this long after it arrived, its wait for a worker included."""
MAX_WAITING = 32
"""Checks waiting for a worker, every server together; more are refused at once."""
MAX_WAITING_PER_GUILD = 2
"""A server's checks waiting behind its running one; more are refused at once."""
VET_TIMEOUT_SECONDS = 3.0
VET_INPUT_SECONDS = 0.25
"""A new pattern that needs longer than this on any adversarial input is refused."""
START_TIMEOUT_SECONDS = 10.0


class SandboxTimeout(Exception):
    """The check did not finish in time (a late worker was stopped), or could not start."""


class SandboxBusy(SandboxTimeout):
    """The server's lane (or the whole line) was full: the check was refused unstarted."""


class SandboxError(Exception):
    """The worker could not run the request (it answered with an error, or died)."""


class _Worker:
    """One child process; a caller has it to itself between `Pool.take` and `Pool.give`."""

    def __init__(self) -> None:
        self._proc: asyncio.subprocess.Process | None = None
        self.restarts = 0

    async def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        line = (json.dumps(request) + "\n").encode()
        try:
            async with asyncio.timeout(timeout):
                proc = await self._process()
                assert proc.stdin is not None
                assert proc.stdout is not None
                proc.stdin.write(line)
                await proc.stdin.drain()
                raw = await proc.stdout.readline()
        except TimeoutError:
            log.warning("a regex took longer than %.2f s; its worker was stopped", timeout)
            self.restarts += 1
            await self.stop()
            raise SandboxTimeout(f"no answer within {timeout:.2f} s") from None
        except (OSError, ValueError) as exc:  # a broken pipe, an over-long answer
            await self.stop()
            raise SandboxError(f"the regex worker failed: {exc}") from None
        except BaseException:
            # Cancelled mid-request: its answer would be read by the next caller.
            self.kill_now()
            raise
        if not raw:
            await self.stop()
            raise SandboxError("the regex worker died")
        answer: dict[str, Any] = json.loads(raw)
        if not answer.get("ok"):
            raise SandboxError(str(answer.get("error")))
        return answer

    async def _process(self) -> asyncio.subprocess.Process:
        if self._proc is not None and self._proc.returncode is None:
            return self._proc
        # -I: no user site, no environment variables, no current directory on the path;
        # -S: no site-packages at all (the child needs only the standard library).
        self._proc = await asyncio.wait_for(
            asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                "-S",
                str(CHILD),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            ),
            START_TIMEOUT_SECONDS,
        )
        return self._proc

    def kill_now(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()

    async def close(self) -> None:
        proc = self._proc
        if proc is not None and proc.stdin is not None and proc.returncode is None:
            proc.stdin.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 1.0)
        await self.stop()


@dataclass
class _Lane:
    """One server's checks: one runs (`lock`), `pending` counts it and those waiting."""

    lock: asyncio.Lock
    pending: int = 0


class _Pool:
    """Workers behind per-server lanes and one bounded line."""

    def __init__(self, size: int, *, max_waiting: int, max_waiting_per_guild: int) -> None:
        self.workers = [_Worker() for _ in range(size)]
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        for worker in self.workers:
            self._idle.put_nowait(worker)
        self._max_pending = max_waiting + size
        self._max_lane = max_waiting_per_guild + 1
        self._lanes: dict[int, _Lane] = {}
        self._pending = 0

    async def run(
        self, guild_id: int, request: dict[str, Any], *, timeout: float, deadline: float
    ) -> dict[str, Any]:
        """Ask a worker, in the server's lane, before `deadline` (loop time): the answer.

        `SandboxBusy` when the lane or the line is full; `SandboxTimeout` when the deadline
        passed waiting, or the run took longer than `timeout` (or the time left)."""
        lane = self._lanes.get(guild_id)
        if lane is None:
            lane = self._lanes[guild_id] = _Lane(asyncio.Lock())
        if lane.pending >= self._max_lane or self._pending >= self._max_pending:
            raise SandboxBusy("too many checks waiting")
        lane.pending += 1
        self._pending += 1
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    await lane.lock.acquire()
            except TimeoutError:
                raise SandboxTimeout("the server's earlier check did not end in time") from None
            try:
                worker = await self._take(deadline)
                try:
                    left = deadline - asyncio.get_running_loop().time()
                    if left <= 0:
                        raise SandboxTimeout("no time left to run")
                    return await worker.ask(request, min(timeout, left))
                finally:
                    self._idle.put_nowait(worker)
            finally:
                lane.lock.release()
        finally:
            lane.pending -= 1
            self._pending -= 1
            if lane.pending == 0:
                del self._lanes[guild_id]

    async def _take(self, deadline: float) -> _Worker:
        try:
            async with asyncio.timeout_at(deadline):
                return await self._idle.get()
        except TimeoutError:
            raise SandboxTimeout("no worker was free before the deadline") from None

    async def close(self) -> None:
        await asyncio.gather(*(worker.close() for worker in self.workers))


class RegexSandbox:
    """The bot's regex workers: a pool for prompts, one for vetting new rules; `close` stops
    them."""

    def __init__(
        self,
        *,
        workers: int = WORKERS,
        search_timeout: float = SEARCH_TIMEOUT_SECONDS,
        deadline: float = CHECK_DEADLINE_SECONDS,
        max_waiting: int = MAX_WAITING,
        max_waiting_per_guild: int = MAX_WAITING_PER_GUILD,
        vet_timeout: float = VET_TIMEOUT_SECONDS,
        vet_input_seconds: float = VET_INPUT_SECONDS,
    ) -> None:
        self.search_timeout = search_timeout
        self.deadline = deadline
        self.vet_timeout = vet_timeout
        self.vet_input_seconds = vet_input_seconds
        self._limits = {"max_waiting": max_waiting, "max_waiting_per_guild": max_waiting_per_guild}
        self._workers = workers
        self._search: _Pool | None = None
        self._vet: _Pool | None = None
        self.checks = 0
        """Prompts sent to the workers (for tests and logs)."""

    @property
    def restarts(self) -> int:
        """How many times a worker was stopped for being late (for tests and logs)."""
        pools = [pool for pool in (self._search, self._vet) if pool is not None]
        return sum(worker.restarts for pool in pools for worker in pool.workers)

    def _pools(self) -> tuple[_Pool, _Pool]:
        # Built on first use, inside the running loop that owns their queues and locks.
        if self._search is None or self._vet is None:
            self._search = _Pool(self._workers, **self._limits)
            self._vet = _Pool(1, max_waiting=4, max_waiting_per_guild=0)
        return self._search, self._vet

    async def vet(self, pattern: str, *, guild_id: int = 0) -> bool:
        """Whether `pattern` (folded) stays fast on texts made to trip backtracking: each
        search within `vet_input_seconds`, all within `vet_timeout` (waiting included)."""
        _, pool = self._pools()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.vet_timeout
        for text in adversarial_inputs(pattern):
            request = {"op": "time", "pattern": pattern, "flags": int(REGEX_FLAGS), "text": text}
            # Twice the allowance: the answer's own trip must not decide against the pattern.
            try:
                answer = await pool.run(
                    guild_id, request, timeout=2 * self.vet_input_seconds, deadline=deadline
                )
            except SandboxTimeout:
                return False
            if float(answer["seconds"]) > self.vet_input_seconds:
                return False
        return True

    async def search(
        self, patterns: Sequence[str], texts: Sequence[str], *, guild_id: int = 0
    ) -> int | None:
        """The index of the first pattern that finds a match in any of `texts`, or None.

        Raises `SandboxTimeout` when the check does not end within `deadline` of its arrival
        (or its run within `search_timeout`), `SandboxBusy` when its server already has
        checks waiting (or the whole line is full)."""
        if not patterns:
            return None
        pool, _ = self._pools()
        deadline = asyncio.get_running_loop().time() + self.deadline
        request = {
            "op": "search",
            "patterns": list(patterns),
            "flags": int(REGEX_FLAGS),
            "texts": list(texts),
        }
        self.checks += 1
        answer = await pool.run(guild_id, request, timeout=self.search_timeout, deadline=deadline)
        index = answer["index"]
        return None if index is None else int(index)

    async def close(self) -> None:
        """Stop the workers (a later call would start new ones)."""
        pools = [pool for pool in (self._search, self._vet) if pool is not None]
        self._search = self._vet = None
        await asyncio.gather(*(pool.close() for pool in pools))
