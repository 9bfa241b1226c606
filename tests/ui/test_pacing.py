"""The bot's own-token calls stay under Discord's global limit: the pacer spaces them out
before Discord has to refuse any (every 429 counts toward Discord's invalid-request ban)."""

from __future__ import annotations

import asyncio

import discord

from bot.ui.pacing import RequestPacer, pace_requests
from tests.test_fake_discord_limits import CHANNEL, GUILD, client_of, discord_py_pointed_at, started


async def _fetch_many(paced: bool) -> tuple[int, float, int]:
    channels = [CHANNEL + 10 + i for i in range(30)]
    async with started(global_limit=10, global_window=0.5) as fake:
        for channel_id in channels:
            fake.add_channel(GUILD, channel_id, name=f"c{channel_id}")
        with discord_py_pointed_at(fake):
            client = await client_of(fake)
            if paced:  # the shipped 40 per s + 5 (of 50), scaled to the fake's 10 per 0.5 s
                pace_requests(client.http, RequestPacer(rate=14, burst=2))
            try:
                fetched = await asyncio.gather(*(client.fetch_channel(c) for c in channels))
            finally:
                await client.close()
    assert all(isinstance(c, discord.abc.GuildChannel) for c in fetched)
    globals_ = sum(1 for hit in fake.rate_limited if hit.scope == "global")
    return globals_, fake.peak_global_rate, len(fetched)


async def test_paced_calls_never_meet_the_global_limit() -> None:
    refused, peak, done = await _fetch_many(paced=True)
    assert (refused, done) == (0, 30)
    assert peak <= 10


async def test_unpaced_the_same_calls_are_refused_by_discord() -> None:
    refused, _, done = await _fetch_many(paced=False)
    assert done == 30, "discord.py sleeps the 429s out"
    assert refused > 0, "but Discord had to refuse some"
