"""A fake Discord (REST API + gateway websocket on 127.0.0.1) for a real discord.py client.

Point discord.py at ``FakeDiscord.api_base`` (``discord.http.Route.BASE``) and
``FakeDiscord.gateway_url`` (``DiscordWebSocket.DEFAULT_GATEWAY``), then act as members would
(``invoke``, ``click``, ``submit_modal``) and assert on ``requests``, ``messages`` and the
interactions' responses. Every JSON body the bot sends is validated against Discord's OpenAPI spec
(../shared/discord-api-spec/openapi.json); ``close()`` fails the test on any mismatch.
"""

from .core import FakeDiscord
from .interactions import ActionUnavailable
from .models import (
    FakeChannel,
    FakeFile,
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeMessage,
    FakeRole,
    ManualClock,
    RecordedRequest,
)
from .schema import SpecMissing

__all__ = [
    "ActionUnavailable",
    "FakeChannel",
    "FakeDiscord",
    "FakeFile",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "ManualClock",
    "RecordedRequest",
    "SpecMissing",
]
