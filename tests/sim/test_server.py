"""`atlas-video-bot simulate`: serve_forever listens with the configured key until stopped
(cancelled, or SIGTERM/SIGINT in the real process)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from bot.settings import Settings
from bot.sim.server import serve_forever
from tests.conftest import CONFIG


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(("key", "accepted"), [("from-env", "from-env"), (None, "sim-key")])
async def test_serve_forever_uses_the_configured_key(
    settings: Settings, key: str | None, accepted: str
) -> None:
    settings.env.atlascloud_api_key = SecretStr(key) if key else None
    port = free_port()
    server = asyncio.create_task(
        serve_forever(settings, host="127.0.0.1", port=port, generation_seconds=0.1)
    )
    url = f"http://127.0.0.1:{port}/public/v1/balance"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):  # wait for the listener
                try:
                    async with http.get(url, headers={"Authorization": "Bearer nope"}) as r:
                        assert r.status == 401
                    break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.01)
            async with http.get(url, headers={"Authorization": f"Bearer {accepted}"}) as r:
                assert r.status == 200
    finally:
        server.cancel()
        with pytest.raises(asyncio.CancelledError):
            await server


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_simulate_command_stops_at_once_on_sigterm_and_sigint(
    tmp_path: Path, signum: signal.Signals
) -> None:
    # `docker compose --profile dry-run down` sends SIGTERM: it must not wait out the grace.
    port = free_port()
    env = dict(os.environ, BOT_CONFIG=str(CONFIG), LOG_FORMAT="text")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", "simulate", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.communicate()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the simulator never listened"
                time.sleep(0.05)
        process.send_signal(signum)
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "Atlas simulator stopping" in err
    assert f"models from {CONFIG}" in err, "the start line names the config in use"
    assert "Traceback" not in err
