"""The fake Discord's state: guilds, members, messages, interactions and recorded requests."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
ALL_PERMISSIONS = (1 << 53) - 1
DEFAULT_EVERYONE_PERMISSIONS = (
    (1 << 0)  # CREATE_INSTANT_INVITE
    | (1 << 6)  # ADD_REACTIONS
    | (1 << 10)  # VIEW_CHANNEL
    | (1 << 11)  # SEND_MESSAGES
    | (1 << 14)  # EMBED_LINKS
    | (1 << 15)  # ATTACH_FILES
    | (1 << 16)  # READ_MESSAGE_HISTORY
    | (1 << 18)  # USE_EXTERNAL_EMOJIS
    | (1 << 31)  # USE_APPLICATION_COMMANDS
)

EPHEMERAL = 1 << 6
LOADING = 1 << 7
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
"""What a bot may attach in a server without boosts (since 2024)."""
DM_UPLOAD_LIMIT = 10 * 1024 * 1024
"""What a bot may attach in a direct message (no boost applies there)."""

INTERACTION_TOKEN_TTL = 15 * 60.0
INITIAL_RESPONSE_WINDOW = 3.0


class ManualClock:
    """A clock the test moves by hand: ``clock.advance(16 * 60)`` expires interaction tokens."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


class Snowflakes:
    """Snowflake ids whose timestamps follow the fake's clock, unique within one fake."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._increment = itertools.count(1)

    def next(self) -> int:
        """A fresh id."""
        ms = max(int(self.clock() * 1000) - DISCORD_EPOCH_MS, 0)
        return (ms << 22) | (next(self._increment) & 0x3FFFFF)


def iso(ts: float) -> str:
    """Discord's ISO-8601 timestamp for a clock value."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


@dataclass
class FakeRole:
    id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False


@dataclass
class FakeMember:
    user_id: int
    name: str
    role_ids: list[int] = field(default_factory=list)
    permissions: int | None = None  # overrides the value computed from roles
    bot: bool = False
    joined_at: float = 0.0


@dataclass
class FakeChannel:
    id: int
    guild_id: int | None
    name: str
    nsfw: bool = False
    type: int = 0  # GUILD_TEXT; 1 is a DM, 11 a public thread
    recipient_id: int | None = None
    parent_id: int | None = None  # a thread's channel
    auto_archive_duration: int | None = None  # a thread's, in minutes
    # Permission overwrites as Discord sends them: {"id", "type" (0 role, 1 member), "allow",
    # "deny"}, the bit sets as strings.
    overwrites: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeGuild:
    """A guild as the fake knows it; ``bot_permissions`` is what ``app_permissions`` reports."""

    id: int
    name: str
    owner_id: int
    locale: str = "en-US"
    channels: dict[int, FakeChannel] = field(default_factory=dict)
    roles: dict[int, FakeRole] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)
    threads: dict[int, FakeChannel] = field(default_factory=dict)  # started by the bot
    upload_limit: int = DEFAULT_UPLOAD_LIMIT
    # Server Settings -> Integrations overrides: command name -> user and role ids let through.
    command_overrides: dict[str, set[int]] = field(default_factory=dict)
    # Server Settings -> Integrations -> the bot: per command name (None: the whole app), the
    # permissions as Discord lists them, {"id", "type" (1 role, 2 user, 3 channel), "permission"}.
    command_permissions: dict[str | None, list[dict[str, Any]]] = field(default_factory=dict)

    def may_use_command(self, name: str, user_id: int, channel_id: int) -> bool:
        """Discord's decision for /name from the Integrations settings (owners and
        administrators always may): app-wide, then the command's own, each overriding the
        last: @everyone, the member's roles (any allowed), the member; all channels, the
        channel."""
        if user_id == self.owner_id or self.permissions_of(user_id) & ADMINISTRATOR:
            return True
        member = self.members.get(user_id)
        roles = set(member.role_ids) if member else set()
        ok_member, ok_channel = True, True
        for level in (self.command_permissions.get(None), self.command_permissions.get(name)):
            found = {(int(p["id"]), int(p["type"])): bool(p["permission"]) for p in level or []}
            if (self.id, 1) in found:
                ok_member = found[(self.id, 1)]
            mine = [v for (target, kind), v in found.items() if kind == 1 and target in roles]
            if mine:
                ok_member = any(mine)
            if (user_id, 2) in found:
                ok_member = found[(user_id, 2)]
            if (self.id - 1, 3) in found:
                ok_channel = found[(self.id - 1, 3)]
            if (channel_id, 3) in found:
                ok_channel = found[(channel_id, 3)]
        return ok_member and ok_channel

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions, computed as Discord does: owner, then @everyone + roles."""
        member = self.members.get(user_id)
        if member is not None and member.permissions is not None:
            return member.permissions
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        everyone = self.roles.get(self.id)
        value = everyone.permissions if everyone else 0
        for role_id in member.role_ids if member else ():
            role = self.roles.get(role_id)
            if role is not None:
                value |= role.permissions
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def channel_permissions(self, user_id: int, channel: FakeChannel) -> int:
        """Permissions in one channel, as Discord computes them: the guild's, then the
        channel's overwrites for @everyone, for the member's roles (all denies, then all
        allows) and for the member; Administrator overrides everything."""
        value = self.permissions_of(user_id)
        if value & ADMINISTRATOR:
            return ALL_PERMISSIONS
        member = self.members.get(user_id)
        roles = set(member.role_ids) if member else set()
        by_id = {(int(o["id"]), int(o["type"])): o for o in channel.overwrites}
        everyone = by_id.get((self.id, 0))
        if everyone is not None:
            value = (value & ~int(everyone["deny"])) | int(everyone["allow"])
        deny = allow = 0
        for (target, kind), overwrite in by_id.items():
            if kind == 0 and target in roles and target != self.id:
                deny |= int(overwrite["deny"])
                allow |= int(overwrite["allow"])
        value = (value & ~deny) | allow
        mine = by_id.get((user_id, 1))
        if mine is not None:
            value = (value & ~int(mine["deny"])) | int(mine["allow"])
        return value


@dataclass
class FakeFile:
    """A file the bot uploaded (or a test registered), served back by the fake at ``url``."""

    filename: str
    data: bytes
    content_type: str
    size: int
    id: int = 0
    url: str = ""
    description: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass
class FakeMessage:
    """A message the bot created; ``edits`` holds every body applied, the creating one first."""

    id: int
    channel_id: int
    guild_id: int | None
    content: str | None = None
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    attachments: list[FakeFile] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    type: int = 0
    created_at: float = 0.0
    edited_at: float | None = None
    interaction_id: int | None = None
    interaction_name: str | None = None  # the command, for the deprecated `interaction` field
    interaction_metadata: dict[str, Any] | None = None
    webhook_id: int | None = None

    @property
    def ephemeral(self) -> bool:
        """Only the member who used the command sees it."""
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred response still showing "thinking..."."""
        return bool(self.flags & LOADING)

    def custom_ids(self) -> list[str]:
        """The custom ids of every component on the message, nested ones included."""
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]


def walk_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every component in a tree of rows, containers, sections and labels."""
    found: list[dict[str, Any]] = []
    for component in components:
        found.append(component)
        found.extend(walk_components(component.get("components") or []))
        for key in ("accessory", "component"):
            if isinstance(component.get(key), dict):
                found.extend(walk_components([component[key]]))
    return found


@dataclass
class RecordedRequest:
    """One HTTP request the bot made, as the fake received it."""

    method: str
    path: str  # relative to the API base, e.g. "/users/@me"
    json: Any
    files: list[tuple[str, bytes, str]]
    at: float
    query: dict[str, str] = field(default_factory=dict)
    status: int = 0
    route: str = ""  # "METHOD /template", the key of DEFAULT_ROUTE_LIMITS and calls_by_route()
    limits_at: float = 0.0  # arrival on the fake's limits clock (monotonic unless given)


@dataclass
class FakeInteraction:
    """An interaction the fake dispatched and what the bot answered."""

    id: int
    token: str
    type: int
    user_id: int
    guild_id: int | None
    channel_id: int
    created_at: float
    attachment_size_limit: int
    payload: dict[str, Any]
    changed: asyncio.Condition
    response_type: int | None = None
    response_data: dict[str, Any] | None = None
    message: FakeMessage | None = None
    followups: list[FakeMessage] = field(default_factory=list)
    source_message: FakeMessage | None = None  # the message of a clicked component
    opened_by: FakeInteraction | None = None  # for a modal submit: the interaction that opened it

    async def wait_response(self, timeout: float = 5) -> None:
        """Wait until the bot sent its interaction callback."""
        await self._wait(lambda: self.response_type is not None, timeout, "the callback")

    async def wait_message(
        self, predicate: Callable[[FakeMessage], bool], timeout: float = 10
    ) -> FakeMessage:
        """Wait until the original response message satisfies ``predicate`` (after any edit)."""

        def ready() -> bool:
            return self.message is not None and predicate(self.message)

        await self._wait(ready, timeout, "the original message to match")
        assert self.message is not None
        return self.message

    async def wait_followups(self, count: int, timeout: float = 10) -> list[FakeMessage]:
        """Wait until the bot sent at least ``count`` followup messages."""
        await self._wait(lambda: len(self.followups) >= count, timeout, f"{count} followups")
        return self.followups

    async def _wait(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        async with self.changed:
            try:
                await asyncio.wait_for(self.changed.wait_for(ready), timeout)
            except TimeoutError:
                edits = self.message.edits if self.message else []
                last = repr(edits[-1]) if edits else "-"
                raise AssertionError(
                    f"interaction {self.id}: timed out after {timeout}s waiting for {what} "
                    f"(callback type {self.response_type}; original message: {len(edits)} "
                    f"bodies, the last {last[:400]})"
                ) from None
