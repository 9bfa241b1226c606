"""`atlas-video-bot simulate`: serve the Atlas simulator until stopped (SIGTERM or SIGINT,
as `run` handles them: `docker compose down` and Ctrl-C both close it at once, exit 0)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.problems import cannot_listen
from bot.settings import ConfigError, Settings
from bot.sim.simulator import AtlasSimulator

log = logging.getLogger(__name__)

DEFAULT_KEY = "sim-key"


async def serve_forever(
    settings: Settings, *, host: str, port: int, generation_seconds: float
) -> None:
    """Serve the simulator on host:port, accepting the key in ATLASCLOUD_API_KEY."""
    key = settings.env.atlascloud_api_key
    if key is None:
        log.warning("ATLASCLOUD_API_KEY is not set: the simulator accepts the key %r", DEFAULT_KEY)
    simulator = AtlasSimulator(
        settings.catalogue,
        api_key=key.get_secret_value() if key is not None else DEFAULT_KEY,
        generation_seconds=generation_seconds,
    )
    try:
        await simulator.start(host, port)
    except OSError as exc:
        await simulator.close()
        raise ConfigError(
            cannot_listen("simulate", host, port, exc, port_option="--port", host_option="--host")
        ) from None
    log.info(
        "Atlas simulator listening: set ATLAS_BASE_URL=%s (jobs take %.1f s; models from %s)",
        simulator.base_url,
        generation_seconds,
        settings.env.bot_config,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # e.g. Windows, a thread
            loop.add_signal_handler(signum, stop.set)
            handled.append(signum)
    try:
        await stop.wait()
        log.info("Atlas simulator stopping")
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
        await simulator.close()
