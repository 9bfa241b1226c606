"""Retry rules: GETs retry on network errors, 429 and 5xx; generateVideo is sent once unless
the failure proves Atlas never took it. The simulator's counters show what reached it."""

from __future__ import annotations

import asyncio
import random
import socket

import pytest
from pydantic import SecretStr

from bot import USER_AGENT
from bot.atlas import (
    AtlasClient,
    AtlasConnectionError,
    AtlasTimeout,
    BadRequest,
    NotFound,
    RateLimited,
    RetryPolicy,
    ServerError,
)
from bot.atlas.retry import parse_retry_after
from bot.sim import AtlasSimulator
from tests.atlas.conftest import FAST_RETRY, SleepLog, video_request

GENERATE = "/model/generateVideo"


async def test_submit_sends_flat_body_with_agent_and_key(
    client: AtlasClient, sim: AtlasSimulator
) -> None:
    prediction_id = await client.submit(video_request("a lighthouse", seed=42))
    assert prediction_id in sim.jobs
    (sent,) = sim.requests_to(GENERATE)
    assert sent.json == {
        "model": "google/gemini-omni-flash/text-to-video-developer",
        "prompt": "a lighthouse",
        "duration": 4,
        "aspect_ratio": "16:9",
        "resolution": "720p",
        "seed": 42,
    }
    assert sent.headers["User-Agent"] == USER_AGENT
    assert sent.headers["Authorization"] == f"Bearer {sim.api_key}"


async def test_submit_is_sent_exactly_once_on_500(client: AtlasClient, sim: AtlasSimulator) -> None:
    sim.fail_next("submit", 500)
    with pytest.raises(ServerError):
        await client.submit(video_request("once on 500"))
    assert sim.submits_by_prompt["once on 500"] == 1
    assert len(sim.requests_to(GENERATE)) == 1


async def test_submit_is_sent_exactly_once_when_the_answer_is_lost(
    client: AtlasClient, sim: AtlasSimulator
) -> None:
    sim.fail_next("submit", "drop")
    with pytest.raises(AtlasConnectionError) as caught:
        await client.submit(video_request("dropped after send"))
    assert caught.value.sent_may_have_reached is True
    assert sim.submits_by_prompt["dropped after send"] == 1
    assert len(sim.jobs) == 1  # Atlas started the job: a resend would have made a second


async def test_submit_is_sent_once_when_the_answer_is_too_slow(
    sim: AtlasSimulator, sleeps: SleepLog
) -> None:
    sim.slow_seconds = 0.3
    async with AtlasClient(
        sim.base_url, SecretStr(sim.api_key), request_timeout=0.1, retry=FAST_RETRY, sleep=sleeps
    ) as client:
        with pytest.raises(AtlasTimeout) as caught:
            await client.submit(video_request("slow answer"))
    assert caught.value.sent_may_have_reached is True
    assert sim.submits_by_prompt["slow answer"] == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("status", [429, 503])
async def test_submit_is_retried_when_atlas_refused_it(
    client: AtlasClient, sim: AtlasSimulator, sleeps: SleepLog, status: int
) -> None:
    sim.fail_next("submit", status, count=2)
    prediction_id = await client.submit(video_request(f"refused {status}"))
    assert sim.submits_by_prompt[f"refused {status}"] == 3
    assert list(sim.jobs) == [prediction_id]
    assert len(sleeps.delays) == 2
    # Full jitter: each delay is somewhere in [0, base * 2**n], capped.
    assert 0 <= sleeps.delays[0] <= 0.01
    assert 0 <= sleeps.delays[1] <= 0.02


async def test_submit_gives_up_after_the_attempts(client: AtlasClient, sim: AtlasSimulator) -> None:
    sim.fail_next("submit", 429, count=10)
    with pytest.raises(RateLimited):
        await client.submit(video_request("always limited"))
    assert sim.submits_by_prompt["always limited"] == FAST_RETRY.attempts


async def test_submit_is_retried_when_it_never_connected(sleeps: SleepLog) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with AtlasClient(
        f"http://127.0.0.1:{port}/api/v1", SecretStr("k"), retry=FAST_RETRY, sleep=sleeps
    ) as client:
        with pytest.raises(AtlasConnectionError) as caught:
            await client.submit(video_request())
    assert caught.value.sent_may_have_reached is False
    assert len(sleeps.delays) == FAST_RETRY.attempts - 1


@pytest.mark.parametrize("fault", [500, 502, 503, 429, "drop"])
async def test_get_retries_transient_failures(
    client: AtlasClient, sim: AtlasSimulator, fault: int | str
) -> None:
    prediction_id = await client.submit(video_request())
    sim.fail_next("poll", fault, count=2)  # type: ignore[arg-type]
    prediction = await client.get(prediction_id)
    assert prediction.id == prediction_id
    assert len(sim.requests_to(f"/prediction/{prediction_id}")) >= 3


async def test_get_gives_up_after_the_attempts(client: AtlasClient, sim: AtlasSimulator) -> None:
    sim.fail_next("poll", 500, count=10)
    with pytest.raises(ServerError):
        await client.get("whatever")
    assert len(sim.requests_to("/prediction/whatever")) == FAST_RETRY.attempts


async def test_get_does_not_retry_a_client_error(client: AtlasClient, sim: AtlasSimulator) -> None:
    sim.fail_next("poll", 400, count=10)
    with pytest.raises(BadRequest):
        await client.get("whatever")
    assert len(sim.requests_to("/prediction/whatever")) == 1


async def test_retry_after_is_honoured(
    client: AtlasClient, sim: AtlasSimulator, sleeps: SleepLog
) -> None:
    sim.retry_after = "0.03"
    sim.fail_next("poll", 429)
    with pytest.raises(NotFound, match="prediction not found"):
        await client.get("unknown-id")
    assert sleeps.delays == [0.03]


def test_backoff_is_bounded_full_jitter() -> None:
    policy = RetryPolicy(attempts=10, base_delay=0.5, max_delay=8.0)
    rng = random.Random(1)
    for retry in range(1, 10):
        ceiling = min(8.0, 0.5 * 2 ** (retry - 1))
        samples = [policy.delay(retry, None, rng) for _ in range(200)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # spread across the whole range
    assert policy.delay(1, 3.0, rng) == 3.0
    assert policy.delay(1, 10_000.0, rng) == 60.0


def test_retry_after_parses_seconds_and_http_dates() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("2", now=now) == 2.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:05 GMT", now=now) == 5.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


async def test_a_429_makes_every_request_of_the_client_back_off(
    sim: AtlasSimulator, client: AtlasClient, sleeps: SleepLog
) -> None:
    """Atlas rate-limits per account: after one 429, other jobs' polls wait too."""
    first, second = (
        await client.submit(video_request("one")),
        await client.submit(video_request("two")),
    )
    sleeps.delays.clear()
    sim.retry_after = "1"  # a fixed back-off, so a loaded machine cannot outlast it
    sim.fail_next("poll", 429)
    polls = [asyncio.create_task(client.get(first))]
    while not sleeps.delays:  # noqa: ASYNC110 - the first poll got its 429 and backs off
        await asyncio.sleep(0.001)
    polls.append(asyncio.create_task(client.get(second)))
    await asyncio.gather(*polls)
    assert len(sleeps.delays) == 2, "the second poll waited for the shared back-off"
    assert sleeps.delays[0] == 1.0
    assert 0.5 < sleeps.delays[1] <= 1.0
