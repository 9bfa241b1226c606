"""`atlas-video-bot simulate`: serve_forever listens with the configured key until cancelled."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
from pydantic import SecretStr

from bot.settings import Settings
from bot.sim.server import serve_forever


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
