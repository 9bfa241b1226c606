"""The simulator checks the bearer key and answers like Atlas: 401 in Atlas's error shape."""

from __future__ import annotations

import aiohttp
import pytest

from bot.sim import AtlasSimulator
from tests.sim.conftest import AUTH


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "sim-key"}],
    ids=["missing", "wrong", "not-bearer"],
)
async def test_bad_key_is_401_in_atlas_shape(
    sim: AtlasSimulator, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    async with http.post(
        f"{sim.base_url}/model/generateVideo", json={"model": "x"}, headers=headers
    ) as response:
        body = await response.json()
        assert response.status == 401
        request_id = response.headers["X-Request-ID"]
    assert body == {"code": 401, "msg": "unauthorized", "request_id": request_id, "data": None}
    assert sim.jobs == {}
    assert sim.submits_by_prompt == {}


async def test_a_wrong_path_is_401_too(sim: AtlasSimulator, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{sim.base_url}/model/predictions/abc", headers=AUTH) as response:
        assert response.status == 401
        assert (await response.json())["code"] == 401


async def test_every_answer_carries_a_request_id(
    sim: AtlasSimulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{sim.base_url}/model/prediction/nope", headers=AUTH) as response:
        assert response.status == 404
        body = await response.json()
        assert response.headers["X-Request-ID"] == body["request_id"]
    async with http.get(sim.base_url.replace("/api/v1", "/public/v1/balance"), headers=AUTH) as ok:
        assert ok.status == 200
        assert ok.headers["X-Request-ID"]


async def test_requests_are_recorded(sim: AtlasSimulator, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{sim.base_url}/model/generateVideo", json={"prompt": "hello"}, headers=AUTH
    ):
        pass
    (seen,) = sim.requests
    assert (seen.method, seen.path, seen.json) == (
        "POST",
        "/api/v1/model/generateVideo",
        {"prompt": "hello"},
    )
    assert seen.headers["Authorization"] == AUTH["Authorization"]
    assert sim.submits_by_prompt["hello"] == 1
