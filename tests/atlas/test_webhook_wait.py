"""Webhooks for real: the simulator signs and POSTs its calls to the bot's aiohttp endpoint,
which verifies them against the simulator's JWKS, and a waiting job wakes without polling.
Lost, forged, stale and repeated calls change nothing but the number of polls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from pydantic import SecretStr
from yarl import URL

from bot.atlas import AtlasClient, ContentRejected, PollSchedule, Prediction
from bot.atlas.webhook_server import WebhookServer
from bot.atlas.webhooks import PredictionNotices, WebhookKeys, WebhookVerifier
from bot.sim import AtlasSimulator
from bot.sim.webhooks import WebhookFault
from tests.atlas.conftest import FAST_RETRY, video_request

# The first (safety) poll comes long after the 0.1 s job ends: a webhook must deliver it.
NO_POLL = PollSchedule(expected_seconds=60, interval_seconds=30, total_timeout_seconds=90)
# A safety net that catches a lost call quickly.
SAFETY = PollSchedule(expected_seconds=0.6, interval_seconds=0.3, total_timeout_seconds=5)


@dataclass
class Hooked:
    sim: AtlasSimulator
    atlas: AtlasClient
    server: WebhookServer

    async def submit(self, prompt: str = "a fox") -> str:
        return await self.atlas.submit(video_request(prompt, webhook_url=self.server.url))

    def polls(self, prediction_id: str) -> int:
        return len(self.sim.requests_to(f"/model/prediction/{prediction_id}", "GET"))

    async def calls_answered(self, count: int) -> list[int | None]:
        return [call.status for call in await self.sim.webhooks.wait_for_calls(count)]


@pytest.fixture
async def hooked(sim: AtlasSimulator) -> AsyncIterator[Hooked]:
    notices = PredictionNotices()
    async with AtlasClient(
        sim.base_url, SecretStr(sim.api_key), retry=FAST_RETRY, notices=notices
    ) as atlas:
        server = WebhookServer(
            WebhookVerifier(WebhookKeys(atlas.webhook_keys)), notices, path="/atlas/webhook"
        )
        await server.start("127.0.0.1", 0)
        try:
            yield Hooked(sim, atlas, server)
        finally:
            await server.close()


async def test_a_webhook_delivers_the_video_without_a_single_poll(hooked: Hooked) -> None:
    prediction_id = await hooked.submit()
    submitted = hooked.sim.requests_to("/model/generateVideo")[0].json
    assert submitted["webhook_url"] == hooked.server.url

    started = time.monotonic()
    prediction = await asyncio.wait_for(hooked.atlas.wait(prediction_id, schedule=NO_POLL), 5)

    assert prediction.id == prediction_id
    assert prediction.outputs == [f"{hooked.sim.base_url[:-7]}/media/outputs/{prediction_id}.mp4"]
    assert prediction.completed_at is not None, "the ETA learns from Atlas's own timing"
    assert time.monotonic() - started < 2
    assert hooked.polls(prediction_id) == 0
    assert await hooked.calls_answered(1) == [200]
    assert hooked.sim.requests_to("/webhooks/jwks.json", "GET"), "keys fetched from Atlas"


async def test_a_failed_job_ends_by_webhook_too(hooked: Hooked) -> None:
    hooked.sim.script_prompt("[nsfw]", outcome="reject")
    prediction_id = await hooked.submit("[nsfw] a fox")

    with pytest.raises(ContentRejected):
        await asyncio.wait_for(hooked.atlas.wait(prediction_id, schedule=NO_POLL), 5)
    assert hooked.polls(prediction_id) == 0


@pytest.mark.parametrize(
    ("fault", "answers"),
    [
        ("drop", []),
        ("unsigned", [401]),
        ("bad_signature", [401]),
        ("stale", [401]),
    ],
)
async def test_a_lost_or_refused_call_is_caught_by_the_safety_poll(
    fault: WebhookFault, answers: list[int], hooked: Hooked
) -> None:
    hooked.sim.webhooks.fail_next(fault)
    prediction_id = await hooked.submit()

    prediction = await asyncio.wait_for(hooked.atlas.wait(prediction_id, schedule=SAFETY), 5)

    assert prediction.outputs, "delivered all the same"
    assert hooked.polls(prediction_id) == 1, "by the first safety poll"
    assert await hooked.calls_answered(len(answers)) == answers
    assert hooked.server.taken == 0


async def test_a_repeated_call_is_acknowledged_and_taken_once(hooked: Hooked) -> None:
    hooked.sim.webhooks.fail_next("duplicate")
    prediction_id = await hooked.submit()

    await asyncio.wait_for(hooked.atlas.wait(prediction_id, schedule=NO_POLL), 5)

    assert await hooked.calls_answered(2) == [200, 200]
    assert hooked.server.taken == 1
    assert hooked.polls(prediction_id) == 0


async def test_a_call_that_lands_before_the_wait_is_not_lost(hooked: Hooked) -> None:
    prediction_id = await hooked.submit()
    assert await hooked.calls_answered(1) == [200]  # the job ended; no one waits yet

    prediction = await asyncio.wait_for(hooked.atlas.wait(prediction_id, schedule=NO_POLL), 1)

    assert prediction.outputs
    assert hooked.polls(prediction_id) == 0


async def test_a_call_without_the_prediction_costs_one_poll(hooked: Hooked) -> None:
    # E.g. Atlas sends only the task id: the bot asks once, at once, not at the safety poll.
    hooked.sim.transform_poll = None
    original = hooked.sim.webhooks.send

    def ids_only(url: str, data: dict[str, object]) -> None:
        original(url, {"id": data["id"]})

    hooked.sim.webhooks.send = ids_only  # type: ignore[method-assign]
    prediction_id = await hooked.submit()

    started = time.monotonic()
    prediction = await asyncio.wait_for(hooked.atlas.wait(prediction_id, schedule=NO_POLL), 5)

    assert prediction.outputs
    assert hooked.polls(prediction_id) == 1
    assert time.monotonic() - started < 2


async def test_a_stuck_job_calls_back_when_it_is_finished(hooked: Hooked) -> None:
    hooked.sim.script_prompt("[stuck]", outcome="stuck")
    prediction_id = await hooked.submit("[stuck] a fox")
    waiting = asyncio.create_task(hooked.atlas.wait(prediction_id, schedule=NO_POLL))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    assert hooked.sim.webhooks.calls == []

    hooked.sim.complete_now(prediction_id)
    prediction: Prediction = await asyncio.wait_for(waiting, 5)
    assert prediction.outputs
    assert hooked.polls(prediction_id) == 0


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/atlas/webhook", b"", 405),
        ("POST", "/elsewhere", b"{}", 404),
        ("POST", "/atlas/webhook", b"{}", 401),
        ("POST", "/atlas/webhook", b"x" * 1_000_001, 413),
    ],
    ids=["get", "other-path", "unsigned", "too-large"],
)
async def test_the_endpoint_refuses_what_is_not_a_signed_call(
    method: str, path: str, body: bytes, status: int, hooked: Hooked
) -> None:
    url = hooked.server.url.replace("/atlas/webhook", path)
    async with aiohttp.ClientSession() as session, session.request(method, url, data=body) as r:
        assert r.status == status
    assert hooked.server.taken == 0


async def test_the_simulator_refuses_a_webhook_url_atlas_would_refuse(sim: AtlasSimulator) -> None:
    async with AtlasClient(sim.base_url, SecretStr(sim.api_key), retry=FAST_RETRY) as atlas:
        for url in ("http://example.org/hook", "ftp://127.0.0.1/x", "https://a/" + "x" * 1020):
            with pytest.raises(Exception, match="webhook_url"):
                await atlas.submit(video_request(webhook_url=url))
    assert sim.jobs == {}, "nothing started, nothing billed"


async def _raw_post(url: str, headers: dict[str, str], *, length: int) -> tuple[int, float]:
    """POST `length` announced bytes to `url` but send none of them; the status the server
    answers with, and after how long (it must not wait for a body never sent)."""
    target = URL(url)
    reader, writer = await asyncio.open_connection(target.host, target.port)
    lines = [f"POST {target.path} HTTP/1.1", f"Host: {target.host}:{target.port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += ["Content-Type: application/json", f"Content-Length: {length}", "", ""]
    started = time.monotonic()
    writer.write("\r\n".join(lines).encode())
    await writer.drain()
    try:
        status_line = await asyncio.wait_for(reader.readline(), 3)
    finally:
        writer.close()
    return int(status_line.split()[1]), time.monotonic() - started


@pytest.mark.parametrize(
    ("headers", "length", "status"),
    [
        ({}, 900_000, 401),  # no signature: refused before a byte of the body is read
        ({"X-AtlasCloud-Webhook-Signature-Ed25519": "x"}, 900_000, 401),  # no timestamp
        (
            {
                "X-AtlasCloud-Webhook-Signature-Ed25519": "x",
                "X-AtlasCloud-Webhook-Timestamp": "1",
            },
            900_000,
            401,  # stale: refused before reading too
        ),
        ({}, 5_000_000, 413),  # larger than any call Atlas sends
    ],
    ids=["unsigned", "no-timestamp", "stale", "too-large"],
)
async def test_a_call_is_refused_before_its_body_is_read(
    hooked: Hooked, headers: dict[str, str], length: int, status: int
) -> None:
    if status == 413:
        headers = {
            "X-AtlasCloud-Webhook-Signature-Ed25519": "x",
            "X-AtlasCloud-Webhook-Timestamp": str(int(time.time())),
        }
    answered, after = await _raw_post(hooked.server.url, headers, length=length)
    assert answered == status
    assert after < 2, "answered at once, not after waiting for the body"
    assert hooked.server.taken == 0
