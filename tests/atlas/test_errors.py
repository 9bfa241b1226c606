"""Every HTTP error Atlas documents maps to its own class, with the request id kept."""

from __future__ import annotations

import re

import pytest
from pydantic import SecretStr

from bot.atlas import (
    AtlasClient,
    AtlasStatusError,
    AuthenticationError,
    BadRequest,
    InsufficientBalance,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    RegionBlocked,
    RetryPolicy,
    ServerError,
    error_from_response,
)
from bot.sim import AtlasSimulator
from tests.atlas.conftest import video_request

ERROR_CLASSES = [
    (400, BadRequest),
    (401, AuthenticationError),
    (402, InsufficientBalance),
    (403, PermissionDenied),
    (404, NotFound),
    (413, PayloadTooLarge),
    (429, RateLimited),
    (451, RegionBlocked),
    (500, ServerError),
    (503, ServerError),
]


@pytest.mark.parametrize(("status", "cls"), ERROR_CLASSES)
def test_error_from_response_maps_status_and_keeps_header_request_id(
    status: int, cls: type[AtlasStatusError]
) -> None:
    body = {"code": status, "msg": "something", "request_id": "from-body", "data": None}
    error = error_from_response(status, body, "from-header")
    assert type(error) is cls
    assert error.status == status
    assert error.request_id == "from-header"
    assert error.message == "something"


def test_error_from_response_falls_back_to_body_request_id_and_text_bodies() -> None:
    error = error_from_response(401, {"code": 401, "msg": "unauthorized", "request_id": "r1"}, None)
    assert isinstance(error, AuthenticationError)
    assert error.request_id == "r1"
    html = error_from_response(502, "<html>bad gateway</html>", None)
    assert isinstance(html, ServerError)
    assert "bad gateway" in html.message
    assert type(error_from_response(418, None, None)) is AtlasStatusError


@pytest.mark.parametrize(("status", "cls"), ERROR_CLASSES)
async def test_each_status_from_the_wire_raises_its_class_with_request_id(
    sim: AtlasSimulator, status: int, cls: type[AtlasStatusError]
) -> None:
    sim.fail_next("submit", status)
    async with AtlasClient(
        sim.base_url, SecretStr(sim.api_key), retry=RetryPolicy(attempts=1)
    ) as client:
        with pytest.raises(cls) as caught:
            await client.submit(video_request(f"status {status}"))
    assert caught.value.status == status
    assert caught.value.request_id is not None
    assert re.fullmatch(r"[0-9a-f]{32}", caught.value.request_id)
    assert len(sim.requests_to("/model/generateVideo")) == 1


async def test_wrong_key_is_an_authentication_error(sim: AtlasSimulator) -> None:
    async with AtlasClient(sim.base_url, SecretStr("not-the-key")) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.get("anything")
    assert caught.value.message == "unauthorized"
    assert caught.value.request_id


async def test_model_unknown_to_atlas_is_not_found(client: AtlasClient) -> None:
    with pytest.raises(NotFound, match="model not found"):
        await client.submit(video_request(model="acme/no-such-model"))


async def test_bad_field_is_bad_request_naming_the_field(client: AtlasClient) -> None:
    with pytest.raises(BadRequest, match="duration"):
        await client.submit(video_request(duration=7))
