"""wait(): polls on schedule until the job ends, and turns endings into results or errors."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from typing import Any

import pytest

from bot.atlas import (
    AtlasClient,
    ContentRejected,
    JobFailed,
    JobTimedOut,
    NotFound,
    PollSchedule,
    Prediction,
    PredictionState,
)
from bot.sim import AtlasSimulator
from tests.atlas.conftest import video_request

QUICK = PollSchedule(
    expected_seconds=0.06,
    interval_seconds=0.02,
    total_timeout_seconds=2.0,
    not_registered_grace_seconds=1.0,
)


class Updates:
    """Collects the predictions passed to on_update."""

    def __init__(self) -> None:
        self.seen: list[Prediction] = []

    async def __call__(self, prediction: Prediction) -> None:
        self.seen.append(prediction)


async def test_wait_returns_the_completed_prediction_and_reports_changes(
    client: AtlasClient, sim: AtlasSimulator
) -> None:
    sim.price_usd = "0.60"
    sim.script_prompt("happy", generation_seconds=0.3)  # long enough for several polls
    prediction_id = await client.submit(video_request("happy path"))
    updates = Updates()
    done = await client.wait(prediction_id, schedule=QUICK, on_update=updates)
    assert done.state is PredictionState.SUCCEEDED
    assert len(done.outputs) == 1
    assert done.outputs[0].endswith(f"{prediction_id}.mp4")
    assert done.price == 600_000
    assert done.has_nsfw_contents == [False]
    assert done.request_id
    statuses = [p.status for p in updates.seen]
    assert statuses[-1] == "completed"
    assert all(a != b for a, b in itertools.pairwise(statuses))  # changes only
    polls = sim.requests_to(f"/prediction/{prediction_id}")
    assert len(polls) > len(statuses)  # unchanged statuses were polled but not reported


async def test_nsfw_flag_is_reported(client: AtlasClient, sim: AtlasSimulator) -> None:
    sim.script_prompt("#nsfw", nsfw=True)
    prediction_id = await client.submit(video_request("beach #nsfw"))
    done = await client.wait(prediction_id, schedule=QUICK)
    assert done.has_nsfw_contents == [True]


async def test_content_moderation_rejection(client: AtlasClient, sim: AtlasSimulator) -> None:
    sim.script_prompt("#reject", outcome="reject")
    prediction_id = await client.submit(video_request("something #reject"))
    with pytest.raises(ContentRejected) as caught:
        await client.wait(prediction_id, schedule=QUICK)
    assert caught.value.error_code == 1039
    assert caught.value.prediction.status == "failed"
    assert caught.value.request_id


async def test_other_failures_are_job_failed(client: AtlasClient, sim: AtlasSimulator) -> None:
    sim.script_prompt("#fail", outcome="fail")
    prediction_id = await client.submit(video_request("something #fail"))
    with pytest.raises(JobFailed) as caught:
        await client.wait(prediction_id, schedule=QUICK)
    assert not isinstance(caught.value, ContentRejected)
    assert caught.value.prediction.error


async def test_stuck_job_times_out(client: AtlasClient, sim: AtlasSimulator) -> None:
    sim.script_prompt("#stuck", outcome="stuck")
    prediction_id = await client.submit(video_request("forever #stuck"))
    schedule = PollSchedule(
        expected_seconds=0.02, interval_seconds=0.02, total_timeout_seconds=0.15
    )
    started = time.monotonic()
    with pytest.raises(JobTimedOut) as caught:
        await client.wait(prediction_id, schedule=schedule)
    took = time.monotonic() - started
    assert caught.value.prediction_id == prediction_id
    assert caught.value.last is not None
    assert caught.value.last.status == "processing"
    assert 0.15 <= took < 1.0


async def test_restart_counts_from_the_original_submit(
    client: AtlasClient, sim: AtlasSimulator
) -> None:
    sim.script_prompt("#stuck", outcome="stuck")
    prediction_id = await client.submit(video_request("old job #stuck"))
    long_ago = time.monotonic() - 1000
    with pytest.raises(JobTimedOut):
        await client.wait(prediction_id, schedule=QUICK, submitted_at=long_ago)
    assert len(sim.requests_to(f"/prediction/{prediction_id}")) == 1  # one last look, at once
    sim.complete_now(prediction_id)
    done = await client.wait(prediction_id, schedule=QUICK, submitted_at=long_ago)
    assert done.status == "completed"


async def test_not_registered_yet_is_retried_within_the_grace(
    client: AtlasClient, sim: AtlasSimulator
) -> None:
    prediction_id = await client.submit(video_request("early polls"))
    sim.fail_next("poll", 404, count=1)
    sim.fail_next("poll", 400, count=1)
    done = await client.wait(prediction_id, schedule=QUICK)
    assert done.status == "completed"


async def test_not_found_after_the_grace_is_an_error(client: AtlasClient) -> None:
    schedule = PollSchedule(
        expected_seconds=0.02,
        interval_seconds=0.02,
        total_timeout_seconds=2.0,
        not_registered_grace_seconds=0.0,
    )
    with pytest.raises(NotFound):
        await client.wait("never-submitted", schedule=schedule)


async def test_transient_poll_failures_do_not_end_the_wait(
    client: AtlasClient, sim: AtlasSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    prediction_id = await client.submit(video_request("flaky polls"))
    sim.fail_next("poll", 503, count=6)  # more than one get() retries
    done = await client.wait(prediction_id, schedule=QUICK)
    assert done.status == "completed"


async def test_unknown_status_and_object_outputs_from_the_wire(
    client: AtlasClient, sim: AtlasSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    odd = f"thinking_{uuid.uuid4().hex[:6]}"

    def reshape(data: dict[str, Any]) -> dict[str, Any]:
        if data["status"] == "processing":
            data["status"] = odd
        data["outputs"] = [{"url": url} for url in data["outputs"]]
        return data

    sim.transform_poll = reshape
    caplog.set_level(logging.WARNING, logger="bot.atlas.models")
    prediction_id = await client.submit(video_request("odd shapes"))
    updates = Updates()
    done = await client.wait(prediction_id, schedule=QUICK, on_update=updates)
    assert done.outputs == [
        f"{sim.base_url.removesuffix('/api/v1')}/media/outputs/{prediction_id}.mp4"
    ]
    assert odd in [p.status for p in updates.seen]
    assert len([r for r in caplog.records if odd in r.getMessage()]) == 1


async def test_error_object_from_the_wire(client: AtlasClient, sim: AtlasSimulator) -> None:
    def reshape(data: dict[str, Any]) -> dict[str, Any]:
        if data["status"] == "failed":
            data["error"] = {"code": data.pop("error_code"), "message": "blocked by filter"}
        return data

    sim.transform_poll = reshape
    sim.script_prompt("#reject", outcome="reject")
    prediction_id = await client.submit(video_request("object error #reject"))
    with pytest.raises(ContentRejected, match="blocked by filter"):
        await client.wait(prediction_id, schedule=QUICK)


class _LearnsMeanwhile(PollSchedule):
    """A plan that says "in 10 s" until `learned`, then "now"; planned again every 10 ms."""

    learned = False

    def recheck_seconds(self) -> float | None:
        return 0.01

    def next_delay(self, elapsed: float, polls_done: int) -> float:
        return 0.0 if self.learned else 10.0


async def test_a_plan_that_moves_forward_while_waiting_polls_then(
    client: AtlasClient, sim: AtlasSimulator
) -> None:
    sim.script_prompt("learned", generation_seconds=0.02)
    prediction_id = await client.submit(video_request("learned meanwhile"))
    schedule = _LearnsMeanwhile(total_timeout_seconds=60)

    async def learn_soon() -> None:
        await asyncio.sleep(0.1)
        schedule.learned = True

    teacher = asyncio.create_task(learn_soon())
    done = await asyncio.wait_for(client.wait(prediction_id, schedule=schedule), 2)
    await teacher
    assert done.state is PredictionState.SUCCEEDED
    assert len(sim.requests_to(f"/prediction/{prediction_id}")) == 1, "no poll before it was due"
