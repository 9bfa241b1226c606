"""The bot's event loop: uvloop on Linux, and the bot's HTTP stack works on it."""

from __future__ import annotations

import asyncio
import sys

import aiohttp
import pytest
from aiohttp import web

from bot.launcher import new_event_loop


async def _round_trip() -> str:
    app = web.Application()

    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"echo": request.query["q"]})

    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/", params={"q": "ok"}) as response,
        ):
            body = await response.json()
            return str(body["echo"])
    finally:
        await runner.cleanup()


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop is not installed on Windows")
def test_the_bot_runs_on_uvloop_and_aiohttp_works_on_it() -> None:
    import uvloop

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        assert isinstance(runner.get_loop(), uvloop.Loop)
        assert runner.run(_round_trip()) == "ok"
