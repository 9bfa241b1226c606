"""Admins' regular expressions run here: in a worker process, with a time limit.

Python's `re` holds the GIL for a whole match, so a pattern that backtracks without end
freezes every thread of the process, the event loop included; a thread with a timeout does
not help. The sandbox runs patterns in a small child process (`_regex_child.py`, standard
library only, started on first use) and kills it when an answer is late; the next call starts
a fresh one. Requests are one at a time (a lock), each a JSON line: cheap next to a job.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.safety.prompt_rules import REGEX_FLAGS, adversarial_inputs

log = logging.getLogger(__name__)

CHILD = Path(__file__).with_name("_regex_child.py")
SEARCH_TIMEOUT_SECONDS = 0.5
"""A prompt's regexes that take longer than this are stopped: the prompt is not accepted."""
VET_TIMEOUT_SECONDS = 3.0
VET_INPUT_SECONDS = 0.25
"""A new pattern that needs longer than this on any adversarial input is refused."""
START_TIMEOUT_SECONDS = 10.0


class SandboxTimeout(Exception):
    """The worker did not answer in time (it was stopped)."""


class SandboxError(Exception):
    """The worker could not run the request (it answered with an error, or died)."""


class RegexSandbox:
    """One worker process for a bot's regex rules; `close` stops it."""

    def __init__(
        self,
        *,
        search_timeout: float = SEARCH_TIMEOUT_SECONDS,
        vet_timeout: float = VET_TIMEOUT_SECONDS,
        vet_input_seconds: float = VET_INPUT_SECONDS,
    ) -> None:
        self.search_timeout = search_timeout
        self.vet_timeout = vet_timeout
        self.vet_input_seconds = vet_input_seconds
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self.restarts = 0
        """How many times a worker was stopped for being late (for tests and logs)."""

    async def vet(self, pattern: str) -> bool:
        """Whether `pattern` (folded) stays fast on texts made to trip backtracking: each
        search within `vet_input_seconds`, all within `vet_timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.vet_timeout
        for text in adversarial_inputs(pattern):
            request = {"op": "time", "pattern": pattern, "flags": int(REGEX_FLAGS), "text": text}
            # Twice the allowance: the answer's own trip must not decide against the pattern.
            timeout = min(2 * self.vet_input_seconds, deadline - loop.time())
            if timeout <= 0:
                return False
            try:
                answer = await self._ask(request, timeout)
            except SandboxTimeout:
                return False
            if float(answer["seconds"]) > self.vet_input_seconds:
                return False
        return True

    async def search(self, patterns: Sequence[str], texts: Sequence[str]) -> int | None:
        """The index of the first pattern that finds a match in any of `texts`, or None.

        Raises `SandboxTimeout` when they take longer than `search_timeout` together.
        """
        if not patterns:
            return None
        request = {
            "op": "search",
            "patterns": list(patterns),
            "flags": int(REGEX_FLAGS),
            "texts": list(texts),
        }
        answer = await self._ask(request, self.search_timeout)
        index = answer["index"]
        return None if index is None else int(index)

    async def _ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        line = (json.dumps(request) + "\n").encode()
        async with self._lock:
            proc = await self._worker()
            assert proc.stdin is not None
            assert proc.stdout is not None
            try:
                proc.stdin.write(line)
                await asyncio.wait_for(proc.stdin.drain(), timeout)
                raw = await asyncio.wait_for(proc.stdout.readline(), timeout)
            except TimeoutError:
                log.warning("a regex took longer than %.2f s; its worker was stopped", timeout)
                self.restarts += 1
                await self._stop()
                raise SandboxTimeout(f"no answer within {timeout} s") from None
            except (OSError, ValueError) as exc:  # a broken pipe, an over-long answer
                await self._stop()
                raise SandboxError(f"the regex worker failed: {exc}") from None
            except BaseException:
                # Cancelled mid-request: its answer would be read by the next caller.
                self._kill_now()
                raise
            if not raw:
                await self._stop()
                raise SandboxError("the regex worker died")
        answer: dict[str, Any] = json.loads(raw)
        if not answer.get("ok"):
            raise SandboxError(str(answer.get("error")))
        return answer

    def _kill_now(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()

    async def _worker(self) -> asyncio.subprocess.Process:
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

    async def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()

    async def close(self) -> None:
        """Stop the worker (a later call would start a new one)."""
        async with self._lock:
            proc = self._proc
            if proc is not None and proc.stdin is not None and proc.returncode is None:
                proc.stdin.close()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), 1.0)
            await self._stop()
