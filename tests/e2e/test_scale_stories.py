"""Beyond one process (#10): the whole bot on PostgreSQL, as one shard of two, and behind a
reverse proxy in front of Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import ShardedVideoBot, VideoBot, make_bot
from bot.builder import lease_owner
from bot.jobs.store import SOLO_OWNER
from bot.settings import ConfigError, parse_shard_ids
from tests.conftest import make_env
from tests.e2e import conftest as e2e
from tests.e2e.conftest import GUILD, World, running_world, status_of
from tests.engines import pg_url, shared_admin_url


async def _one_video(world: World) -> str:
    interaction = await world.video(prompt="a red fox running through snow")
    message = await world.final(interaction)
    return status_of(message)


# -- PostgreSQL ----------------------------------------------------------------------------


async def test_a_whole_job_on_postgresql_lands_in_its_tables(tmp_path: Path) -> None:
    url = pg_url(shared_admin_url())
    async with running_world(tmp_path, env={"database_url": url}) as world:
        assert (await _one_video(world)).startswith("Done")
        for _ in range(200):  # the row's last move lands just after the message's
            jobs = await world.bot.job_store.unfinished()
            if not jobs:
                break
            await asyncio.sleep(0.01)
        summary = await world.bot.ledger.summary(e2e.MEMBER, GUILD, [])

    assert (summary.spent, summary.held) == (1_000_000, 0)
    assert jobs == []
    assert not (tmp_path / "data" / "bot.sqlite3").exists()  # nothing went to SQLite


# -- shards --------------------------------------------------------------------------------


def test_shard_ids_are_ranges_or_lists() -> None:
    assert parse_shard_ids("0-3") == (0, 1, 2, 3)
    assert parse_shard_ids("2,5") == (2, 5)
    assert parse_shard_ids("0-1, 4") == (0, 1, 4)
    for bad in ("a", "3-1", "1-", ""):
        with pytest.raises(ValueError, match=r"shard ids|backwards"):
            parse_shard_ids(bad)


def test_shard_settings_choose_the_bot() -> None:
    assert make_env().shards is None
    assert make_env(shard_count=4).shards == (4, (0, 1, 2, 3))
    assert make_env(shard_count=8, shard_ids="2,5").shards == (8, (2, 5))
    assert make_env(shard_ids="0-1").shards == (2, (0, 1))
    with pytest.raises(ConfigError, match="SHARD_IDS"):
        make_env(shard_ids="x")
    with pytest.raises(ConfigError, match="shard 5 does not exist"):
        _ = make_env(shard_count=4, shard_ids="5").shards


def _settings(**env: Any) -> Any:
    from bot.settings import load

    return load(make_env(**env))


async def test_without_shard_settings_the_bot_is_as_before() -> None:
    settings = _settings()
    bot = make_bot(settings)
    try:
        assert type(bot) is VideoBot
        assert lease_owner(settings) == SOLO_OWNER
        assert bot._is_mine(GUILD)
    finally:
        await bot.close()


async def test_with_shard_settings_the_bot_is_auto_sharded_over_that_range() -> None:
    settings = _settings(shard_count=4, shard_ids="1-2")
    bot = make_bot(settings)  # never started (discord.py cannot close it unstarted)

    assert isinstance(bot, ShardedVideoBot)
    assert (bot.shard_count, list(bot.shard_ids or [])) == (4, [1, 2])
    assert lease_owner(settings) == "shards 1,2 of 4"
    assert bot._is_mine(1 << 22)  # shard 1
    assert not bot._is_mine(3 << 22)  # shard 3


async def test_one_shard_of_two_identifies_as_such_and_makes_videos(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(e2e, "VideoBot", make_bot)
    env = {"shard_count": 2, "shard_ids": "0"}  # GUILD 1000 is on shard 0
    async with running_world(tmp_path, env=env) as world:
        assert isinstance(world.bot, ShardedVideoBot)
        session = world.discord.gateway.session
        assert session is not None
        assert session.identify["shard"] == [0, 2]
        assert (await _one_video(world)).startswith("Done")
        [job] = await world.bot.job_store.recent(e2e.MEMBER, GUILD)
        lease = await world.bot.job_store.lease(job.id)
        assert lease is not None
        assert lease.owner == "shards 0 of 2"


# -- a reverse proxy in front of Discord ---------------------------------------------------


@asynccontextmanager
async def reverse_proxy(upstream: str) -> AsyncIterator[tuple[str, list[str]]]:
    """A path-preserving HTTP and websocket proxy on 127.0.0.1: (its base URL, paths seen)."""
    seen: list[str] = []
    session = aiohttp.ClientSession(auto_decompress=False)

    async def relay_ws(request: web.Request) -> web.WebSocketResponse:
        inbound = web.WebSocketResponse()
        await inbound.prepare(request)
        target = upstream.replace("http", "ws", 1) + request.path_qs
        async with session.ws_connect(target) as outbound:

            async def pump(source: Any, sink: Any) -> None:
                async for frame in source:
                    if frame.type == aiohttp.WSMsgType.TEXT:
                        await sink.send_str(frame.data)
                    elif frame.type == aiohttp.WSMsgType.BINARY:
                        await sink.send_bytes(frame.data)
                await sink.close()

            await asyncio.gather(pump(inbound, outbound), pump(outbound, inbound))
        return inbound

    async def relay(request: web.Request) -> web.StreamResponse:
        seen.append(f"{request.method} {request.path}")
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await relay_ws(request)
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        async with session.request(
            request.method,
            upstream + request.path_qs,
            headers=headers,
            data=await request.read(),
            allow_redirects=False,
        ) as answer:
            body = await answer.read()
            kept = {
                k: v
                for k, v in answer.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "connection")
            }
            return web.Response(status=answer.status, body=body, headers=kept)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", relay)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()
        await session.close()


async def test_the_bot_works_through_a_reverse_proxy_in_front_of_discord(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fake_discord import FakeDiscord

    started = FakeDiscord.__aenter__

    async def behind_proxy(self: FakeDiscord) -> FakeDiscord:
        fake = await started(self)
        proxy = reverse_proxy(f"http://127.0.0.1:{fake.port}")
        base, seen = await proxy.__aenter__()
        self.proxied = (proxy, seen)  # type: ignore[attr-defined]
        self.api_base = base + fake.api_base.split(str(fake.port), 1)[1]
        self.gateway_url = base.replace("http", "ws", 1) + "/gateway"
        return fake

    monkeypatch.setattr(FakeDiscord, "__aenter__", behind_proxy)
    async with running_world(tmp_path) as world:
        assert (await _one_video(world)).startswith("Done")
        proxy, seen = world.discord.proxied  # type: ignore[attr-defined]
    await proxy.__aexit__(None, None, None)  # once the bot has hung up

    assert "GET /gateway" in seen  # the gateway went through it
    assert any(p.startswith("POST /api/v10/interactions/") for p in seen)
    assert any(p.startswith("PATCH /api/v10/webhooks/") for p in seen)
