"""HTTP pieces shared by the fake's REST modules: request keys and Discord-shaped replies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .core import FakeDiscord

API = "/api/v10"
FAKE: web.AppKey[FakeDiscord] = web.AppKey("fake", object)  # type: ignore[arg-type]
BODY: web.RequestKey[Any] = web.RequestKey("body", object)
Upload = tuple[str, bytes, str]  # filename, bytes, content type as sent
FILES: web.RequestKey[Sequence[Upload]] = web.RequestKey("files", Sequence)


def fake_of(request: web.Request) -> FakeDiscord:
    """The FakeDiscord serving this request."""
    return request.app[FAKE]


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with the exact content type discord.py expects (no charset), or 204."""
    if body is None:
        return web.Response(status=status, headers=headers)
    data = json.dumps(body).encode()
    return web.Response(
        status=status, body=data, headers={"Content-Type": "application/json", **(headers or {})}
    )


def error(status: int, code: int, message: str) -> web.Response:
    """Discord's error body."""
    return reply(status, {"message": message, "code": code})
