"""Fixtures for the Atlas client tests: a running simulator and a client pointed at it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.atlas import AtlasClient, RetryPolicy, VideoRequest
from bot.settings import Settings
from bot.sim import AtlasSimulator

FAST_RETRY = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.04)
T2V = "google/gemini-omni-flash/text-to-video-developer"


class SleepLog:
    """An injected `sleep` that records every delay the client asks for (and sleeps it)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(seconds)


def video_request(prompt: str = "a red fox in the snow", **overrides: object) -> VideoRequest:
    """A valid text-to-video request for the default model."""
    values: dict[str, object] = {
        "model": T2V,
        "prompt": prompt,
        "duration": 4,
        "aspect_ratio": "16:9",
        "resolution": "720p",
    }
    values.update(overrides)
    return VideoRequest.model_validate(values)


@pytest.fixture
async def sim(settings: Settings) -> AsyncIterator[AtlasSimulator]:
    """A simulator on 127.0.0.1 whose jobs take 0.1 s."""
    async with AtlasSimulator(settings.catalogue, generation_seconds=0.1) as simulator:
        yield simulator


@pytest.fixture
def sleeps() -> SleepLog:
    return SleepLog()


@pytest.fixture
async def client(sim: AtlasSimulator, sleeps: SleepLog) -> AsyncIterator[AtlasClient]:
    """A client with the simulator's key, tiny backoff and a 2 s request timeout."""
    async with AtlasClient(
        sim.base_url,
        SecretStr(sim.api_key),
        request_timeout=2.0,
        retry=FAST_RETRY,
        sleep=sleeps,
        rng=random.Random(7),
    ) as atlas:
        yield atlas
