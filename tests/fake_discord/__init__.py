"""A fake Discord (REST API + gateway websocket on 127.0.0.1) for a real discord.py client.

    async with FakeDiscord(clock=ManualClock()) as discord:     # or fixtures.running_fake_discord
        discord.add_guild(GUILD); discord.add_channel(GUILD, CHANNEL)
        discord.add_member(GUILD, MEMBER, name="alice", role_ids=[...])
        # start the bot with Route.BASE = discord.api_base and
        # DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(discord.gateway_url), token discord.bot_token
        await discord.wait_ready()
        it = await discord.invoke("video", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL,
                                  options={"prompt": "...", "image": discord.add_attachment(...)})
        message = await it.wait_message(lambda m: "Done" in str(m.embeds))
        # ...close the bot before leaving the block: close() fails the test on bad requests.

What it checks, as Discord would:
- every JSON body (and multipart ``payload_json``) against Discord's OpenAPI spec in
  ../shared/discord-api-spec (``schema_errors``); routes the fake lacks (``unhandled``) and
  ``fail_next`` faults that never fired also fail ``close()``;
- the interaction callback within 3 s of the interaction (``initial_response_window``, on
  ``clock``), once (40060); webhook calls refused 15 min after it (401, 50027); files over the
  upload limit refused (413, 40005): the interaction's ``attachment_size_limit`` on its
  webhook, the server's ``upload_limit`` (``add_guild``; interactions there say it unless
  told otherwise) on channel and thread posts and edits, 10 MiB in a DM;
- what Discord's client allows: ``invoke`` raises ``ActionUnavailable`` for a command hidden by
  ``default_member_permissions`` (unless ``allow_command``), ``ValueError`` for missing or
  ill-typed options; ``click`` refuses disabled or absent components;
- channel permissions as Discord computes them (the server's roles, then the channel's
  overwrites, ``set_overwrite``): the bot's channel posts are refused with 403 (50001 Missing
  Access without View Channel, 50013 Missing Permissions without Send Messages, or Attach
  Files for a file) and ``GET /channels/{id}`` with 50001 where it cannot see;
- Discord's rate limits, on by default (ratelimits.py): per-route buckets per channel, guild or
  webhook token with ``X-RateLimit-*`` headers on every answer, 50 bot-token requests per second
  (interaction endpoints exempt), 429s as Discord sends them, which discord.py waits out. A test
  reads ``rate_limited`` (every 429), ``peak_global_rate``, ``calls_by_route()``,
  ``invalid_requests`` (401/403/429 in 10 minutes; ``close()`` fails at Discord's ban
  threshold) and changes figures with ``route_limits=``/``set_route_limit``, ``global_limit=``,
  ``global_window=``, ``window_scale=`` (every window, for a bot on a compressed clock) and
  ``limits_clock=`` (a ``ManualClock`` moves the windows by hand).

Set the world up before the bot connects (GUILD_CREATE is sent at IDENTIFY). discord.py waits
``guild_ready_timeout`` (2 s by default) after the last GUILD_CREATE before ``on_ready``: pass a
small value to the client in tests. ``ManualClock`` drives token expiry; discord.py's own
``Interaction.is_expired()`` reads the wall clock and does not follow it.
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
from .ratelimits import DEFAULT_ROUTE_LIMITS, RateLimitHit, RouteLimit
from .schema import SpecMissing

__all__ = [
    "DEFAULT_ROUTE_LIMITS",
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
    "RateLimitHit",
    "RecordedRequest",
    "RouteLimit",
    "SpecMissing",
]
