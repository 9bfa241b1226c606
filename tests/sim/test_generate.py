"""The simulator validates generateVideo bodies against each model's own rules and names."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.catalogue import ModelSpec, Option
from bot.settings import Settings
from bot.sim import AtlasSimulator
from tests.sim.conftest import AUTH

GEMINI_T2V = "google/gemini-omni-flash/text-to-video-developer"
GEMINI_I2V = "google/gemini-omni-flash/image-to-video-developer"
SEEDANCE_T2V = "bytedance/seedance-2.0/text-to-video"
SEEDANCE_I2V = "bytedance/seedance-2.0/image-to-video"
IMAGE = "https://example.com/a.png"


VIDEO = "https://example.com/a.mp4"


def good_body(spec: ModelSpec) -> dict[str, Any]:
    """A body the catalogue would send for this model, in its own input names."""
    values: dict[Option, Any] = {
        Option.PROMPT: "a paper boat on a river",
        Option.DURATION: spec.durations[0] if spec.durations else None,
        Option.ASPECT_RATIO: spec.aspect_ratios[0] if spec.aspect_ratios else None,
        Option.RESOLUTION: spec.resolutions[0],
        Option.SEED: 7,
        Option.IMAGES: [IMAGE],
        Option.IMAGE: IMAGE,
        Option.VIDEO: VIDEO,
    }
    if spec.needs_last_image:
        values[Option.LAST_IMAGE] = IMAGE
    return {"model": spec.id, **spec.request_inputs(values)}


async def submit(
    sim: AtlasSimulator, http: aiohttp.ClientSession, body: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{sim.base_url}/model/generateVideo", json=body, headers=AUTH) as r:
        return r.status, await r.json()


async def test_every_catalogue_model_accepts_its_own_body(
    sim: AtlasSimulator, http: aiohttp.ClientSession, settings: Settings
) -> None:
    for spec in settings.catalogue:
        status, answer = await submit(sim, http, good_body(spec))
        assert status == 200, (spec.id, answer)
        assert answer["code"] == 200
        assert answer["data"]["status"] == "starting"
        assert answer["data"]["id"] in sim.jobs
    assert len(sim.jobs) == len(list(settings.catalogue))


def _with(model_id: str, settings: Settings, changes: dict[str, Any]) -> dict[str, Any]:
    body = good_body(settings.catalogue.get(model_id))
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


BAD_BODIES = [
    (SEEDANCE_T2V, {"aspect_ratio": "16:9", "ratio": None}, 400, "aspect_ratio"),
    (GEMINI_T2V, {"ratio": "16:9", "aspect_ratio": None}, 400, "ratio"),
    (SEEDANCE_I2V, {"image": [IMAGE]}, 400, "image"),
    (SEEDANCE_I2V, {"images": [IMAGE], "image": None}, 400, "images"),
    (GEMINI_I2V, {"images": None}, 400, "images"),
    (GEMINI_I2V, {"images": [IMAGE] * 8}, 400, "images"),
    (GEMINI_I2V, {"images": ["not a url"]}, 400, "images"),
    (GEMINI_T2V, {"images": [IMAGE]}, 400, "images"),
    (GEMINI_T2V, {"duration": 7}, 400, "duration"),
    (GEMINI_T2V, {"duration": "8"}, 400, "duration"),
    (GEMINI_T2V, {"aspect_ratio": "1:1"}, 400, "aspect_ratio"),
    (GEMINI_T2V, {"resolution": "8k"}, 400, "resolution"),
    (GEMINI_T2V, {"resolution": None}, 400, "resolution"),
    (GEMINI_T2V, {"prompt": "   "}, 400, "prompt"),
    (GEMINI_T2V, {"prompt": "x" * 20_001}, 400, "prompt"),
    (GEMINI_T2V, {"seed": "42"}, 400, "seed"),
    (GEMINI_T2V, {"webhook_url": "http://insecure.example"}, 400, "webhook_url"),
    (GEMINI_T2V, {"model": "acme/unknown"}, 404, "model"),
    (GEMINI_T2V, {"model": None}, 400, "model"),
]


@pytest.mark.parametrize(("model", "changes", "status", "field"), BAD_BODIES)
async def test_a_bad_field_is_refused_naming_it(
    sim: AtlasSimulator,
    http: aiohttp.ClientSession,
    settings: Settings,
    model: str,
    changes: dict[str, Any],
    status: int,
    field: str,
) -> None:
    got, answer = await submit(sim, http, _with(model, settings, changes))
    assert got == status
    assert answer["code"] == status
    assert answer["msg"].startswith(field)
    assert answer["data"] is None
    assert sim.jobs == {}


async def test_not_json_is_refused(sim: AtlasSimulator, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{sim.base_url}/model/generateVideo", data=b"{not json", headers=AUTH
    ) as response:
        assert response.status == 400
    status, _ = await submit(sim, http, ["a", "list"])
    assert status == 400
