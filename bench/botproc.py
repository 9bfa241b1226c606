"""The real bot in its own process, for the load benchmark: its CPU and memory are its own.

    python bench/botproc.py CONFIG.json

CONFIG (written by bench/load.py) names the fake Discord, the simulator, the database, the
clock scale and the file that receives the event-loop lag samples when the process is stopped
(SIGTERM). Every duration the bot is configured with (poll intervals, timeouts, the catalogue's
expected times, the queue-place refresh and edit patience, the learned schedule's tight
interval) is multiplied by the scale, like the simulator's generation times.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadkit import NOTICE_AFTER_SECONDS, REFRESH_SECONDS, ROOT
from bot.app import VideoBot
from bot.launcher import new_event_loop
from bot.logs import register_secret, setup_logging
from bot.settings import FileConfig, Settings, load_env

PROBE_SECONDS = 0.1
"""The lag probe asks to wake up this often; how late it wakes is the event loop's lag."""


def bench_settings(config: dict[str, Any]) -> Settings:
    """The shipped config, scaled, with limits that let the benchmark's members run."""
    scale = float(config["scale"])
    shipped = ROOT / "config" / "bot.toml"
    raw = tomllib.loads(shipped.read_text())
    polling = raw["polling"]
    if config.get("tight_seconds"):  # --tight: a what-if for the learned schedule
        polling["tight_interval_seconds"] = float(config["tight_seconds"])
    for key in (
        "interval_seconds",
        "tight_interval_seconds",
        "total_timeout_seconds",
        "not_registered_grace_seconds",
        "webhook_safety_interval_seconds",
    ):
        polling[key] = float(polling[key]) * scale
    for model in raw["models"]:
        model["expected_seconds"] = float(model.get("expected_seconds", 60)) * scale
    # Money never refuses a bench job; the limits of jobs at once (and the line) are lifted
    # unless --shipped-limits keeps them as config/bot.toml ships them.
    raw["budget"].update(default_user_limit_usd="100000", default_guild_cap_usd="100000000")
    if not config.get("shipped_limits"):
        raw["budget"].update(
            max_concurrent_jobs_per_user=100, max_concurrent_jobs_per_guild=100_000
        )
        raw["jobs"]["max_in_flight"] = int(config["max_in_flight"])
    raw["attachments"]["allowed_hosts"].append("127.0.0.1")
    webhooks: dict[str, Any] = {}
    if config.get("webhook_port"):  # --webhooks: Atlas (the simulator) calls the bot back
        port = int(config["webhook_port"])
        webhooks = {
            "public_webhook_url": f"http://127.0.0.1:{port}/atlas/webhook",
            "webhook_host": "127.0.0.1",
            "webhook_port": port,
        }
    env = load_env(
        discord_token=config["discord_token"],
        atlascloud_api_key=config["atlas_key"],
        atlas_base_url=config["atlas_base_url"],
        discord_api_base_url=config["discord_api_base_url"],
        discord_gateway_url=config["discord_gateway_url"],
        database_path=Path(config["database_path"]),
        bot_config=shipped,
        _env_file=None,
        **webhooks,
    )
    return Settings(env, FileConfig.model_validate(raw))


class TimedLock(asyncio.Lock):
    """The database's lock, timed: how long steps wait for it and how long it is held."""

    waits: ClassVar[list[tuple[float, float]]] = []
    holds: ClassVar[list[tuple[float, float]]] = []

    async def acquire(self) -> bool:
        asked = time.perf_counter()
        got = await super().acquire()
        self._since = time.perf_counter()
        TimedLock.waits.append((time.time(), self._since - asked))
        return got

    def release(self) -> None:
        TimedLock.holds.append((time.time(), time.perf_counter() - self._since))
        super().release()


HOP_CALLERS: Counter[str] = Counter()
"""Hops to the SQLite thread by the bot function that asked (with --trace-db)."""


def _caller() -> str:
    """The innermost function of the bot outside the database layer, and its caller."""
    frame = sys._getframe(2)
    names: list[str] = []
    while frame is not None and len(names) < 2:
        path = frame.f_code.co_filename
        if "/bot/" in path and not path.endswith(("db/sqlite.py", "db/store.py")):
            names.append(f"{Path(path).stem}.{frame.f_code.co_name}")
        frame = frame.f_back  # type: ignore[assignment]
    return " <- ".join(names)


def trace_database(hops: list[tuple[float, float]]) -> None:
    """Time every hop to the SQLite thread and the lock (bench only: wraps bot.db.sqlite)."""
    from bot.db import sqlite as db

    original_init, original_call = db.Database.__init__, db.Database._call

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._lock = TimedLock()

    async def call(self: Any, fn: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original_call(self, fn)
        finally:
            hops.append((time.time(), time.perf_counter() - started))
            HOP_CALLERS[_caller()] += 1

    db.Database.__init__ = init  # type: ignore[method-assign]
    db.Database._call = call  # type: ignore[method-assign]


async def probe(samples: list[tuple[float, float]]) -> None:
    """Record how late each short sleep wakes up (wall time, lag seconds)."""
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time()
        await asyncio.sleep(PROBE_SECONDS)
        samples.append((time.time(), loop.time() - asked - PROBE_SECONDS))


async def main(config: dict[str, Any]) -> dict[str, Any]:
    """Run the bot until SIGTERM; the lag samples taken meanwhile (and the database's timings
    when `trace_db` is set)."""
    scale = float(config["scale"])
    hops: list[tuple[float, float]] = []
    if config.get("trace_db"):
        trace_database(hops)
    settings = bench_settings(config)
    refresh = float(config.get("refresh_seconds") or REFRESH_SECONDS)

    bot = VideoBot(
        settings,
        refresh_seconds=refresh * scale,
        notice_after_seconds=NOTICE_AFTER_SECONDS * scale,
        guild_ready_timeout=0.5,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    samples: list[tuple[float, float]] = []
    lag = asyncio.create_task(probe(samples))
    runner = asyncio.create_task(bot.start(config["discord_token"]))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({runner, stopped}, return_when=asyncio.FIRST_COMPLETED)
    lag.cancel()
    await bot.close()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(runner, timeout=10)
    if runner.done() and not runner.cancelled() and runner.exception() is not None:
        raise SystemExit(f"the bot stopped: {runner.exception()!r}")
    recorded: dict[str, Any] = {"lag": samples}
    if config.get("trace_db"):
        recorded["db"] = {
            "hops": hops,
            "waits": TimedLock.waits,
            "holds": TimedLock.holds,
            "callers": dict(HOP_CALLERS),
        }
    return recorded


def run(config: dict[str, Any]) -> None:
    """Run the bot until SIGTERM (under cProfile when the config names a `profile_path`),
    logging as in production (JSON lines, INFO) to a file; then write the lag samples."""
    register_secret(config["discord_token"])
    register_secret(config["atlas_key"])
    profiler = None
    if config.get("profile_path"):
        import cProfile

        # The event loop's own CPU time, not wall time: waiting for the other processes (the
        # fake Discord, the simulator) on two shared cores would otherwise look like work.
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
    with Path(config["log_path"]).open("a", encoding="utf-8") as log_file:
        setup_logging(config.get("log_level", "INFO"), json=True, stream=log_file)
        try:
            # The production loop (uvloop), unless asked to measure asyncio's own.
            factory = asyncio.new_event_loop if config.get("plain_asyncio") else new_event_loop
            with asyncio.Runner(loop_factory=factory) as runner:
                recorded = runner.run(main(config))
        finally:
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(config["profile_path"])
    Path(config["samples_path"]).write_text(json.dumps(recorded))


if __name__ == "__main__":
    run(json.loads(Path(sys.argv[1]).read_text()))
