"""The real bot as a child process (`python -m bot run`), to be killed with SIGKILL mid-job.

Its output goes through a pipe (not a file the child writes, so a file-size limit set on the
child never stops its logging) into `log_path`, for the test's failure messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_CHATTY = re.compile(r" DEBUG (aiosqlite|discord\.\S+|asyncio) ")
_LINE_CHARS = 400


class BotProcess:
    """One run of the bot; `kill()` is `kill -9`, `stop()` is the graceful SIGTERM."""

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        cwd: Path,
        log_path: Path,
        max_file_bytes: int | None = None,
    ) -> None:
        self.env = dict(env)
        self.cwd = cwd
        self.log_path = log_path
        self.max_file_bytes = max_file_bytes
        self.stopped = False  # True once the test killed or stopped it
        self._proc: subprocess.Popen[bytes] | None = None
        self._pump: threading.Thread | None = None

    def start(self) -> BotProcess:
        """Spawn `python -m bot run`."""
        preexec: Callable[[], None] | None = None
        if self.max_file_bytes is not None:
            limit = self.max_file_bytes

            def preexec() -> None:
                # A write past the limit fails with EFBIG instead of killing the child.
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec,
        )
        self._pump = threading.Thread(target=self._copy_output, daemon=True)
        self._pump.start()
        return self

    def _copy_output(self) -> None:
        assert self._proc is not None
        assert self._proc.stdout is not None
        with self.log_path.open("ab") as log:
            for line in self._proc.stdout:
                log.write(line)
                log.flush()

    @property
    def pid(self) -> int:
        """The child's process id."""
        assert self._proc is not None
        return self._proc.pid

    @property
    def alive(self) -> bool:
        """Still running."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit code (negative: killed by that signal), None while running."""
        return None if self._proc is None else self._proc.poll()

    def kill(self) -> None:
        """`kill -9`: no cleanup of any kind runs in the bot."""
        assert self._proc is not None
        self.stopped = True
        if self.alive:
            os.kill(self._proc.pid, signal.SIGKILL)
        self._proc.wait(timeout=5)
        self._join_pump()

    async def stop(self, timeout: float = 3.0) -> int:
        """SIGTERM (the bot closes cleanly), SIGKILL if it has not exited within `timeout`."""
        assert self._proc is not None
        self.stopped = True
        proc = self._proc
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(proc.wait, timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                await asyncio.to_thread(proc.wait, 5)
        self._join_pump()
        return proc.returncode

    def _join_pump(self) -> None:
        if self._pump is not None:
            self._pump.join(timeout=2)

    def log(self) -> str:
        """Everything the bot printed so far."""
        with contextlib.suppress(FileNotFoundError):
            return self.log_path.read_text(errors="replace")
        return ""

    def log_tail(self, lines: int = 40, *, quiet: bool = False) -> str:
        """The last lines of the bot's log, for a failure message (`quiet`: without the
        DEBUG chatter of aiosqlite and discord.py)."""
        kept = [
            line[:_LINE_CHARS] if quiet else line
            for line in self.log().splitlines()
            if not (quiet and _CHATTY.search(line))
        ]
        return "\n".join(kept[-lines:])
