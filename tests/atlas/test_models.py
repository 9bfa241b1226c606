"""Reading Atlas's predictions (its statuses, output and error shapes) and building bodies."""

from __future__ import annotations

import logging
import uuid

import pytest

from bot.atlas import Prediction, PredictionState, VideoRequest
from bot.atlas.models import FAILED_STATUSES, IN_PROGRESS_STATUSES, SUCCEEDED_STATUSES


@pytest.mark.parametrize(
    ("statuses", "state"),
    [
        (IN_PROGRESS_STATUSES, PredictionState.IN_PROGRESS),
        (SUCCEEDED_STATUSES, PredictionState.SUCCEEDED),
        (FAILED_STATUSES, PredictionState.FAILED),
    ],
)
def test_documented_statuses(statuses: frozenset[str], state: PredictionState) -> None:
    for status in statuses:
        prediction = Prediction(id="p", status=status)
        assert prediction.state is state
        assert prediction.is_terminal is (state is not PredictionState.IN_PROGRESS)
    assert Prediction(id="p", status="COMPLETED").state is PredictionState.SUCCEEDED


def test_unknown_status_is_in_progress_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.atlas.models")
    status = f"warming_up_{uuid.uuid4().hex[:8]}"  # the once-only memory is process-wide
    for _ in range(3):
        prediction = Prediction(id="p", status=status)
        assert prediction.state is PredictionState.IN_PROGRESS
        assert not prediction.is_terminal
    assert len([r for r in caplog.records if status in r.getMessage()]) == 1
    other = f"defrosting_{uuid.uuid4().hex[:8]}"
    assert Prediction(id="p", status=other).state is PredictionState.IN_PROGRESS
    assert len([r for r in caplog.records if other in r.getMessage()]) == 1


def test_a_full_poll_answer() -> None:
    prediction = Prediction.model_validate(
        {
            "id": "abc",
            "model": "m",
            "status": "completed",
            "outputs": ["https://cdn/x.mp4", {"url": "https://cdn/y.mp4"}],
            "error": "",
            "error_code": None,
            "price": 0.6,
            "has_nsfw_contents": [False, True],
            "created_at": "2026-01-01T00:00:00Z",
            "completed_at": "2026-01-01T00:01:00Z",
            "urls": {"get": "..."},
            "metrics": {"predict_time": 45.2},
        }
    )
    assert prediction.outputs == ["https://cdn/x.mp4", "https://cdn/y.mp4"]
    assert prediction.error is None
    assert prediction.price == 600_000
    assert prediction.has_nsfw_contents == [False, True]
    assert prediction.state is PredictionState.SUCCEEDED


def test_sparse_answer_from_submit() -> None:
    prediction = Prediction.model_validate({"id": 123, "status": "starting"})
    assert prediction.id == "123"
    assert prediction.outputs == []
    assert prediction.price is None
    assert prediction.has_nsfw_contents == []


def test_error_as_object_and_string_codes() -> None:
    as_object = Prediction.model_validate(
        {"id": "p", "status": "failed", "error": {"code": 1039, "message": "moderated"}}
    )
    assert as_object.error == "moderated"
    assert as_object.error_code == 1039
    opaque = Prediction.model_validate({"id": "p", "status": "failed", "error": {"x": 1}})
    assert opaque.error == '{"x": 1}'
    as_text = Prediction.model_validate({"id": "p", "status": "error", "error_code": "1039"})
    assert as_text.error_code == 1039


@pytest.mark.parametrize(
    ("reported", "micros"),
    [(0.6, 600_000), ("1.2", 1_200_000), ("$0.2419", 241_900), (0.0000004, 0), (None, None)],
)
def test_price_becomes_micro_dollars(reported: object, micros: int | None) -> None:
    assert Prediction.model_validate({"id": "p", "price": reported}).price == micros


def test_payload_for_gemini_sends_seed_only_when_not_negative() -> None:
    request = VideoRequest(
        model="g", prompt="p", duration=8, aspect_ratio="16:9", resolution="1080p", seed=-1
    )
    assert request.payload() == {
        "model": "g",
        "prompt": "p",
        "duration": 8,
        "aspect_ratio": "16:9",
        "resolution": "1080p",
    }
    assert request.model_copy(update={"seed": 0}).payload()["seed"] == 0
    with_images = request.model_copy(update={"images": ["https://a", "https://b"]})
    assert with_images.payload()["images"] == ["https://a", "https://b"]


def test_payload_for_seedance_uses_ratio_and_one_image() -> None:
    request = VideoRequest(
        model="bytedance/seedance-2.0/image-to-video",
        prompt="p",
        duration=5,
        aspect_ratio="1:1",
        resolution="720p",
        images=["https://a"],
        aspect_ratio_param="ratio",
        images_param="image",
    )
    body = request.payload()
    assert body["ratio"] == "1:1"
    assert "aspect_ratio" not in body
    assert body["image"] == "https://a"
    assert "images" not in body
