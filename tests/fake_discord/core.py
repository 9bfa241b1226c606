"""FakeDiscord: an in-process Discord (REST + gateway on 127.0.0.1) for a real discord.py client."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web

from . import dispatches, interactions, payloads
from .gateway import Gateway
from .models import (
    DEFAULT_EVERYONE_PERMISSIONS,
    DEFAULT_UPLOAD_LIMIT,
    INITIAL_RESPONSE_WINDOW,
    INTERACTION_TOKEN_TTL,
    FakeChannel,
    FakeFile,
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeMessage,
    FakeRole,
    RecordedRequest,
    Snowflakes,
)
from .ratelimits import (
    GLOBAL_LIMIT,
    GLOBAL_WINDOW,
    INVALID_REQUEST_BAN,
    INVALID_REQUEST_WINDOW,
    RateLimiter,
    RateLimitHit,
    RouteLimit,
)
from .rest import build_app
from .schema import DEFAULT_SPEC_PATH, OpenApiChecker, SpecMissing, checker_for

# What the bot's own managed role allows: view, send, embed, attach, read history, app commands.
DEFAULT_BOT_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31)


@dataclass
class Fault:
    """A scripted failure for the next ``count`` requests matching ``method`` and ``pattern``."""

    method: str
    pattern: re.Pattern[str]
    status: int
    count: int
    retry_after: float
    body: dict[str, Any] | None
    scope: str = "user"  # a 429's X-RateLimit-Scope


class FakeDiscord:
    """Discord's REST API and gateway for one test; see tests/fake_discord/__init__.py.

    ``clock`` is Discord's wall clock (snowflakes, the 3 s answer window, token expiry);
    ``limits_clock`` times the rate limits (ratelimits.py): buckets of ``route_limits`` over
    Discord's observed figures, ``global_limit`` bot-token requests per ``global_window``
    (None: no global limit). ``window_scale`` multiplies every window: a test that runs the bot
    on a compressed clock (``refresh_seconds=0.05`` for 5 s) gives the same factor (0.01) to
    keep Discord's ratio of requests to the bot's time; 1 is Discord's own time.
    """

    def __init__(
        self,
        *,
        spec_path: Path | None = None,
        clock: Callable[[], float] = time.time,
        check_responses: bool = False,
        limits_clock: Callable[[], float] = time.monotonic,
        route_limits: Mapping[str, RouteLimit] | None = None,
        global_limit: int | None = GLOBAL_LIMIT,
        global_window: float = GLOBAL_WINDOW,
        window_scale: float = 1.0,
    ) -> None:
        self.spec_path = spec_path or DEFAULT_SPEC_PATH
        self.clock = clock
        self.check_responses = check_responses
        self.snowflakes = Snowflakes(lambda: self.clock())
        self.bot_token = f"fake.{secrets.token_urlsafe(24)}"
        self.application_id = self.snowflakes.next()
        self.bot_user_id = self.application_id  # as for every application created since 2020
        self.bot_name = "Atlas Video Bot"
        self.owner_id = 1  # the application's owner (discord.py's Bot.is_owner asks)
        self.port = 0
        self.api_base = ""
        self.gateway_url = ""
        self.resume_gateway_url = ""
        self.initial_response_window = INITIAL_RESPONSE_WINDOW
        self.guilds: dict[int, FakeGuild] = {}
        self.dm_channels: dict[int, FakeChannel] = {}  # by recipient id
        self.dms_closed: set[int] = set()
        self.global_commands: dict[str, dict[str, Any]] = {}
        self.guild_commands: dict[int, dict[str, dict[str, Any]]] = {}
        self.sync_count = 0
        self.requests: list[RecordedRequest] = []
        self.messages: dict[int, FakeMessage] = {}
        self.files: dict[int, FakeFile] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.modals: list[tuple[FakeInteraction, dict[str, Any]]] = []
        self.schema_errors: list[str] = []
        self.response_errors: list[str] = []  # the fake's own replies vs the spec (self-check)
        self.unhandled: list[str] = []
        self.faults: list[Fault] = []
        self.limits = RateLimiter(
            clock=limits_clock,
            route_limits=route_limits,
            global_limit=global_limit,
            global_window=global_window,
            window_scale=window_scale,
        )
        self.changed = asyncio.Condition()
        self.checker: OpenApiChecker | None = None
        self.gateway = Gateway(
            token=lambda: self.bot_token,
            ready_payload=lambda session_id: dispatches.ready(self, session_id),
            guild_payloads=lambda: dispatches.guild_creates(self),
            members_chunk=lambda guild_id: dispatches.members_chunk(self, guild_id),
            notify=self.notify,
        )
        # Attachment links are signed and expire, as Discord's CDN links do (`?ex=&is=&hm=`):
        # a message read again hands out fresh ones; `expire_attachment_urls` ends them all.
        self.cdn_key = secrets.token_bytes(16)
        self.attachment_url_ttl = 24 * 3600.0
        self.cdn_epoch = 0
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the spec (failing the test clearly if it is missing) and listen on 127.0.0.1."""
        try:
            self.checker = checker_for(self.spec_path)
        except SpecMissing as exc:
            pytest.fail(str(exc), pytrace=False)
        self._runner = web.AppRunner(build_app(self), handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        root = f"http://127.0.0.1:{self.port}"
        self.api_base = f"{root}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{self.port}/gateway"
        self.resume_gateway_url = f"ws://127.0.0.1:{self.port}/gateway-resume"

    async def close(self) -> None:
        """Stop serving; raise AssertionError if the bot sent anything Discord would reject."""
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._log_traffic()
        problems = [f"schema: {e}" for e in self.schema_errors]
        problems += [f"not implemented by the fake: {u}" for u in self.unhandled]
        problems += [
            f"fail_next({f.method} {f.pattern.pattern!r}, {f.status}) never matched a request"
            for f in self.faults
        ]
        if self.limits.invalid_peak >= INVALID_REQUEST_BAN:
            problems.append(
                f"Discord would have banned the bot: {self.limits.invalid_peak} answers with "
                f"401, 403 or 429 within {INVALID_REQUEST_WINDOW / 60:.0f} minutes"
            )
        if problems:
            raise AssertionError("fake Discord saw bad requests:\n  " + "\n  ".join(problems))

    def _log_traffic(self) -> None:
        """With FAKE_DISCORD_TRAFFIC_LOG=path, append what the bot asked of Discord as one JSON
        line (the test, its 429s, peak rate, invalid answers, calls and emptied buckets by
        route), to survey a whole suite's traffic under the limits."""
        path = os.environ.get("FAKE_DISCORD_TRAFFIC_LOG")
        if not path:
            return
        entry = {
            "test": os.environ.get("PYTEST_CURRENT_TEST", ""),
            "peak_global_rate": self.peak_global_rate,
            "invalid_requests_peak": self.invalid_requests_peak,
            "rate_limited": [asdict(hit) for hit in self.rate_limited],
            "calls_by_route": self.calls_by_route(),
            "exhausted_by_route": self.exhausted_by_route(),
        }
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            await self.close()
            return
        with contextlib.suppress(AssertionError):  # the test failed already: keep its error
            await self.close()

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT``: attachment URLs live here."""
        return f"http://127.0.0.1:{self.port}"

    # -- world setup -----------------------------------------------------------------------

    def add_guild(
        self,
        guild_id: int,
        *,
        name: str = "Test Guild",
        owner_id: int = 1,
        locale: str = "en-US",
        upload_limit: int = DEFAULT_UPLOAD_LIMIT,
    ) -> FakeGuild:
        """A guild with @everyone (Discord's defaults) and the bot as a member with its role;
        `upload_limit` is what its boost level lets the bot attach (10 MiB without boosts;
        interactions there say it, and channel posts over it are refused)."""
        guild = FakeGuild(guild_id, name, owner_id, locale, upload_limit=upload_limit)
        guild.roles[guild_id] = FakeRole(guild_id, "@everyone", DEFAULT_EVERYONE_PERMISSIONS)
        bot_role = FakeRole(self.snowflakes.next(), self.bot_name, DEFAULT_BOT_PERMISSIONS, 1, True)
        guild.roles[bot_role.id] = bot_role
        guild.members[self.bot_user_id] = FakeMember(
            self.bot_user_id, self.bot_name, [bot_role.id], bot=True, joined_at=self.clock()
        )
        self.guilds[guild_id] = guild
        return guild

    def add_channel(
        self, guild_id: int, channel_id: int, *, name: str = "general", nsfw: bool = False
    ) -> None:
        """A text channel in a guild added before."""
        self.guilds[guild_id].channels[channel_id] = FakeChannel(channel_id, guild_id, name, nsfw)

    def set_overwrite(
        self,
        guild_id: int,
        channel_id: int,
        target_id: int,
        *,
        allow: int = 0,
        deny: int = 0,
        member: bool = False,
    ) -> None:
        """Edit Channel -> Permissions: allow or deny bits for a role (or a member) there.

        The bot hears of it only when it asks (no CHANNEL_UPDATE is dispatched)."""
        channel = self.guilds[guild_id].channels[channel_id]
        kind = 1 if member else 0
        channel.overwrites = [
            o for o in channel.overwrites if (int(o["id"]), int(o["type"])) != (target_id, kind)
        ]
        channel.overwrites.append(
            {"id": str(target_id), "type": kind, "allow": str(allow), "deny": str(deny)}
        )

    def add_role(self, guild_id: int, role_id: int, *, name: str, permissions: int = 0) -> None:
        """A role whose permissions count for the members holding it."""
        position = len(self.guilds[guild_id].roles)
        self.guilds[guild_id].roles[role_id] = FakeRole(role_id, name, permissions, position)

    def add_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        name: str,
        role_ids: Sequence[int] = (),
        permissions: int | None = None,
    ) -> None:
        """A member; ``permissions`` overrides what the roles would give."""
        self.guilds[guild_id].members[user_id] = FakeMember(
            user_id, name, list(role_ids), permissions, joined_at=self.clock()
        )

    def allow_command(self, guild_id: int, name: str, *, user_or_role_id: int) -> None:
        """A server admin lets a user or role use ``/name`` despite its default permissions."""
        self.guilds[guild_id].command_overrides.setdefault(name, set()).add(user_or_role_id)

    async def set_command_permissions(
        self, guild_id: int, name: str | None, permissions: Sequence[tuple[int, int, bool]]
    ) -> None:
        """An admin edits Server Settings -> Integrations -> the bot: for ``/name`` (None: every
        command), (target id, type 1 role / 2 user / 3 channel, allowed); the guild's id is
        @everyone, the guild's id minus one every channel. Discord then tells the bot
        (APPLICATION_COMMAND_PERMISSIONS_UPDATE)."""
        guild = self.guilds[guild_id]
        guild.command_permissions[name] = [
            {"id": str(target), "type": kind, "permission": allowed}
            for target, kind, allowed in permissions
        ]
        if self.gateway.session is not None:
            await self.gateway.dispatch(
                "APPLICATION_COMMAND_PERMISSIONS_UPDATE",
                payloads.command_permissions(self, guild_id, name),
            )

    def set_dms_open(self, user_id: int, is_open: bool) -> None:
        """Whether the bot may DM this user (closed DMs refuse with 50007)."""
        (self.dms_closed.discard if is_open else self.dms_closed.add)(user_id)

    def add_attachment(
        self,
        filename: str,
        data: bytes,
        *,
        content_type: str,
        width: int | None = None,
        height: int | None = None,
        size: int | None = None,
    ) -> dict[str, Any]:
        """A member's upload for an attachment option, served by the fake; returns its object."""
        file_id = self.snowflakes.next()
        url = f"{self.root}/ephemeral-attachments/{self.application_id}/{file_id}/{filename}"
        file = FakeFile(
            filename,
            data,
            content_type,
            len(data) if size is None else size,
            file_id,
            url,
            width=width,
            height=height,
        )
        self.files[file_id] = file
        return {**payloads.attachment(file, self.signed_url(file)), "ephemeral": True}

    # -- the CDN: signed attachment links -------------------------------------------------

    def _signature(self, file_id: int, expires: int, issued: int) -> str:
        text = f"{file_id}:{expires:x}:{issued:x}:{self.cdn_epoch}".encode()
        return hmac.new(self.cdn_key, text, hashlib.sha256).hexdigest()

    def signed_url(self, file: FakeFile) -> str:
        """`file`'s link as Discord hands it out now: signed, valid `attachment_url_ttl`."""
        issued = int(self.clock())
        expires = int(issued + self.attachment_url_ttl)
        signature = self._signature(file.id, expires, issued)
        return f"{file.url}?ex={expires:x}&is={issued:x}&hm={signature}&"

    def link_works(self, file_id: int, url: str) -> bool:
        """Whether the CDN serves `url` for the file now: signed by this fake, since the last
        `expire_attachment_urls`, and not past its `ex`."""
        query = parse_qs(urlsplit(url).query)
        try:
            expires = int(query["ex"][0], 16)
            issued = int(query["is"][0], 16)
            given = query["hm"][0]
        except (KeyError, IndexError, ValueError):
            return False
        wanted = self._signature(file_id, expires, issued)
        return hmac.compare_digest(given, wanted) and self.clock() < expires

    def expire_attachment_urls(self) -> None:
        """Every attachment link handed out so far stops working (as days pass on Discord);
        reading a message again gives fresh ones."""
        self.cdn_epoch += 1

    def user_name(self, user_id: int) -> str:
        """The member's name in any guild, for payloads."""
        for guild in self.guilds.values():
            if user_id in guild.members:
                return guild.members[user_id].name
        return f"user{user_id}"

    # -- what the bot did ------------------------------------------------------------------

    @property
    def commands(self) -> dict[str, dict[str, Any]]:
        """Synced commands by name: global ones, then guild ones over them."""
        merged = dict(self.global_commands)
        for per_guild in self.guild_commands.values():
            merged.update(per_guild)
        return merged

    def command_for(self, name: str, guild_id: int | None) -> dict[str, Any] | None:
        """The synced command a member of ``guild_id`` sees under ``name``."""
        if guild_id is not None and name in self.guild_commands.get(guild_id, {}):
            return self.guild_commands[guild_id][name]
        return self.global_commands.get(name)

    def requests_to(self, method: str, path_pattern: str) -> list[RecordedRequest]:
        """Recorded requests of ``method`` whose path matches the regex (re.search)."""
        regex = re.compile(path_pattern)
        return [r for r in self.requests if r.method == method.upper() and regex.search(r.path)]

    # -- rate limits -------------------------------------------------------------------------

    @property
    def rate_limited(self) -> list[RateLimitHit]:
        """Every 429 served, in order: route, bucket and resource, scope, ``retry_after``."""
        return self.limits.hits

    @property
    def peak_global_rate(self) -> int:
        """The most bot-token requests (interaction endpoints aside) in any ``global_window``.

        Counted as sent, refused ones included: Discord allows 50 per second.
        """
        return self.limits.peak_global_rate

    def calls_by_route(self) -> dict[str, int]:
        """How many requests reached each route (``"PATCH /channels/{channel_id}/messages/..."``),
        refused ones included, most called first."""
        return dict(self.limits.calls.most_common())

    def exhausted_by_route(self) -> dict[str, int]:
        """How often a route's answer said ``Remaining: 0``: each time, discord.py holds the
        bucket's next request until ``Reset`` (a wait the bot's members feel)."""
        return dict(self.limits.exhausted.most_common())

    @property
    def invalid_requests(self) -> int:
        """Answers with 401, 403 or 429 (not scope ``shared``) in the last 10 minutes of
        ``limits_clock``: Discord bans the bot's IP at 10,000."""
        return self.limits.invalid_now()

    @property
    def invalid_requests_peak(self) -> int:
        """The most invalid answers within any 10 minutes so far (``close()`` fails at 10,000)."""
        return self.limits.invalid_peak

    def set_route_limit(
        self, route: str, limit: int, per: float, *, bucket: str | None = None
    ) -> None:
        """Give ``route`` (``"METHOD /template"``) ``limit`` requests per ``per`` seconds per
        resource; ``bucket`` names the count it shares (its own by default)."""
        self.limits.route_limits[route] = RouteLimit(limit, per, bucket or route)

    async def notify(self) -> None:
        """Wake every waiter: something changed."""
        async with self.changed:
            self.changed.notify_all()

    async def wait_until(
        self, ready: Callable[[], bool], timeout: float = 5, what: str = ""
    ) -> None:
        """Wait until ``ready()`` holds after some request or gateway event."""
        async with self.changed:
            try:
                await asyncio.wait_for(self.changed.wait_for(ready), timeout)
            except TimeoutError:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None

    async def wait_ready(self, timeout: float = 10) -> None:
        """The bot identified and received READY and every GUILD_CREATE."""
        await self.wait_until(self.gateway.ready.is_set, timeout, "the bot to IDENTIFY")

    async def wait_request(
        self, method: str, path_pattern: str, *, count: int = 1, timeout: float = 5
    ) -> RecordedRequest:
        """The ``count``-th recorded request matching, once it arrived."""
        await self.wait_until(
            lambda: len(self.requests_to(method, path_pattern)) >= count,
            timeout,
            f"{count} x {method} {path_pattern}",
        )
        return self.requests_to(method, path_pattern)[count - 1]

    # -- faults and outages ----------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        status: int,
        *,
        count: int = 1,
        retry_after: float = 0.05,
        body: dict[str, Any] | None = None,
        scope: str = "user",
    ) -> None:
        """Answer the next ``count`` matching requests (re.search on the API path) with ``status``.

        429 comes with Discord's rate-limit body and headers (``retry_after``, the route's
        bucket, ``scope``: ``"shared"`` is a per-resource limit, not counted as invalid) and is
        recorded in ``rate_limited``; other statuses with ``body`` or Discord's generic
        ``{"message": "<status>: ...", "code": 0}``.
        """
        self.faults.append(
            Fault(method.upper(), re.compile(path_pattern), status, count, retry_after, body, scope)
        )

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The scripted failure for this request, if any (consumed)."""
        for fault in self.faults:
            if fault.method in (method, "*") and fault.pattern.search(path):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    async def drop_gateway(self, *, resumable: bool = True) -> None:
        """Close the bot's websocket; discord.py reconnects to the resume URL and RESUMEs."""
        await self.gateway.drop(resumable=resumable)

    async def wait_resumed(self, count: int = 1, timeout: float = 10) -> None:
        """The bot RESUMEd its session ``count`` times."""
        await self.wait_until(lambda: self.gateway.resumes >= count, timeout, "a RESUME")

    # -- members acting ----------------------------------------------------------------------

    async def invoke(
        self,
        name: str,
        *,
        user_id: int,
        guild_id: int,
        channel_id: int,
        options: dict[str, Any] | None = None,
        subcommand: str | None = None,
        attachments: Sequence[dict[str, Any]] = (),
        locale: str = "en-US",
        attachment_size_limit: int | None = None,
        unresolved: Sequence[str] = (),
        forged: bool = False,
    ) -> FakeInteraction:
        """A member runs ``/name [subcommand] options...``: dispatch INTERACTION_CREATE.

        Requests no Discord client sends, to test the bot's own checks: ``unresolved``
        attachment options come without their object in ``resolved``; ``forged`` string
        options ignore the command's length limits."""
        await self.wait_ready()
        await self.wait_until(
            lambda: self.command_for(name, guild_id) is not None, 5, f"/{name} to be synced"
        )
        data = interactions.command_data(
            self,
            name,
            guild_id,
            user_id,
            channel_id,
            options or {},
            subcommand,
            attachments,
            unresolved,
            forged,
        )
        return await self._dispatch_interaction(
            2, data, user_id, guild_id, channel_id, locale, attachment_size_limit
        )

    async def autocomplete(
        self,
        name: str,
        focused: str,
        *,
        user_id: int,
        guild_id: int,
        channel_id: int,
        typed: str = "",
        options: dict[str, Any] | None = None,
        locale: str = "en-US",
        subcommand: str | None = None,
    ) -> list[dict[str, Any]]:
        """A member types ``typed`` into option ``focused`` of ``/name``: the choices the bot
        offers (its type-8 callback), as Discord's client would list them."""
        await self.wait_ready()
        await self.wait_until(
            lambda: self.command_for(name, guild_id) is not None, 5, f"/{name} to be synced"
        )
        data = interactions.autocomplete_data(
            self, name, guild_id, user_id, channel_id, options or {}, focused, typed, subcommand
        )
        asked = await self._dispatch_interaction(
            4, data, user_id, guild_id, channel_id, locale, None
        )
        await asked.wait_response()
        return list((asked.response_data or {}).get("choices", []))

    async def click(
        self,
        message_id: int,
        custom_id: str,
        *,
        user_id: int,
        guild_id: int,
        channel_id: int,
        locale: str = "en-US",
        values: Sequence[str] | None = None,
        attachment_size_limit: int | None = None,
    ) -> FakeInteraction:
        """A member clicks a button (or picks ``values`` in a select) on a bot message."""
        message = self.messages.get(message_id)
        if message is None or message.deleted:
            raise LookupError(f"message {message_id} does not exist (or was deleted)")
        data = interactions.component_data(message, custom_id, values)
        return await self._dispatch_interaction(
            3, data, user_id, guild_id, channel_id, locale, attachment_size_limit, message
        )

    async def submit_modal(
        self,
        custom_id: str,
        values: dict[str, str],
        *,
        user_id: int,
        guild_id: int,
        channel_id: int,
        message_id: int | None = None,
        locale: str = "en-US",
        attachment_size_limit: int | None = None,
    ) -> FakeInteraction:
        """A member submits the modal the bot opened last with ``custom_id``."""
        if not any(m.get("custom_id") == custom_id for _, m in self.modals):
            opened = [m.get("custom_id") for _, m in self.modals]
            raise LookupError(f"the bot never opened a modal {custom_id!r} (opened: {opened})")
        opener, modal = next(
            (it, m) for it, m in reversed(self.modals) if m.get("custom_id") == custom_id
        )
        data = interactions.modal_data(modal, values)
        source = self.messages.get(message_id) if message_id is not None else None
        submitted = await self._dispatch_interaction(
            5, data, user_id, guild_id, channel_id, locale, attachment_size_limit, source
        )
        submitted.opened_by = opener
        return submitted

    async def _dispatch_interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user_id: int,
        guild_id: int,
        channel_id: int,
        locale: str,
        attachment_size_limit: int | None,
        source: FakeMessage | None = None,
    ) -> FakeInteraction:
        await self.wait_ready()
        if attachment_size_limit is None:  # what the server's boost level allows
            guild = self.guilds.get(guild_id)
            attachment_size_limit = guild.upload_limit if guild else DEFAULT_UPLOAD_LIMIT
        interaction = interactions.new_interaction(
            self, kind, data, user_id, guild_id, channel_id, locale, attachment_size_limit, source
        )
        self.interactions[interaction.id] = interaction
        if self.check_responses:
            dispatches.check_interaction(self, interaction.payload)
        await self.gateway.dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    def interaction_by_token(self, token: str) -> FakeInteraction | None:
        """The interaction whose webhook token this is."""
        return next((i for i in self.interactions.values() if i.token == token), None)

    def token_expired(self, interaction: FakeInteraction) -> bool:
        """Discord refuses an interaction token 15 minutes after the interaction."""
        return self.clock() - interaction.created_at > INTERACTION_TOKEN_TTL
