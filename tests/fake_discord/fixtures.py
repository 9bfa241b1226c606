"""Helpers for e2e tests: a running FakeDiscord, and discord.py pointed at it.

async with running_fake_discord() as fake, ...: ...          # or the `fake_discord` fixture
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .core import FakeDiscord


@asynccontextmanager
async def running_fake_discord(**kw: Any) -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord; on exit it stops and fails the test on any schema mismatch."""
    async with FakeDiscord(**kw) as fake:
        yield fake


@contextmanager
def discord_py_pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Send discord.py's REST and gateway traffic to the fake; restore the real URLs after.

    The bot does this itself from DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL; tests that build
    a client without the bot's settings use this.
    """
    saved_base, saved_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        Route.BASE = saved_base
        DiscordWebSocket.DEFAULT_GATEWAY = saved_gateway


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A running FakeDiscord with discord.py pointed at it (import this fixture to use it)."""
    async with running_fake_discord() as fake:
        with discord_py_pointed_at(fake):
            yield fake
