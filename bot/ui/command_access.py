"""Whether a member may use a slash command here, as the server's Integrations settings say.

Discord applies a server's Integrations settings (Server Settings -> Integrations -> the bot)
to the slash commands themselves, never to buttons: a member denied /video could still make
videos by pressing Re-roll or Edit prompt on someone else's. Those buttons ask `CommandAccess`
at the click, which reads the server's command permissions (one call, kept a minute and
dropped when Discord says they changed) and decides as Discord does for the command:

- for the member: the command's default member permissions first (none for /video); then
  the app-wide settings, then the command's own, each level in turn overriding the one
  before: @everyone, then the member's roles (allowed if any of them is), then the member;
- for the channel: the same levels, "all channels" then the channel itself;
- the server's owner and administrators may always use every command.

When the permissions cannot be read, the click is refused (the member is told to try again):
a permission check that did not happen allows nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import discord

log = logging.getLogger(__name__)

ROLE, USER, CHANNEL = 1, 2, 3
CACHE_SECONDS = 60.0


class AccessUnknown(Exception):
    """The server's command permissions could not be read just now."""


@dataclass(frozen=True)
class Level:
    """One level of a server's command permissions: (target id, type) -> allowed."""

    entries: Mapping[tuple[int, int], bool]

    @classmethod
    def of(cls, permissions: Iterable[Mapping[str, Any]]) -> Level:
        """A level as Discord lists it: `{"id", "type", "permission"}` entries."""
        return cls({(int(p["id"]), int(p["type"])): bool(p["permission"]) for p in permissions})


def allowed(
    levels: Sequence[Level],
    *,
    guild_id: int,
    user_id: int,
    role_ids: Iterable[int],
    channel_id: int,
    by_default: bool,
) -> bool:
    """Discord's decision for one command: `levels` app-wide first, then the command's."""
    member, channel = by_default, True
    roles = set(role_ids)
    for level in levels:
        found = level.entries
        if (guild_id, ROLE) in found:  # @everyone
            member = found[(guild_id, ROLE)]
        mine = [
            value for (target, kind), value in found.items() if kind == ROLE and target in roles
        ]
        if mine:
            member = any(mine)
        if (user_id, USER) in found:
            member = found[(user_id, USER)]
        if (guild_id - 1, CHANNEL) in found:  # all channels
            channel = found[(guild_id - 1, CHANNEL)]
        if (channel_id, CHANNEL) in found:
            channel = found[(channel_id, CHANNEL)]
    return member and channel


class CommandAccess:
    """Reads and keeps each server's command permissions; answers `may_use`."""

    def __init__(
        self,
        client: discord.Client,
        tree: discord.app_commands.CommandTree[Any],
        *,
        command_guild: discord.abc.Snowflake | None = None,
        clock: Callable[[], float] = time.monotonic,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._client = client
        self._tree = tree
        self._command_guild = command_guild
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._ids: dict[str, set[int]] = {}
        self._permissions: dict[int, tuple[float, dict[int, Level]]] = {}

    def forget(self, guild_id: int) -> None:
        """Drop a server's permissions (Discord said they changed)."""
        self._permissions.pop(guild_id, None)

    async def _command_ids(self, name: str) -> set[int]:
        if name not in self._ids:
            try:
                found = await self._tree.fetch_commands()
                if self._command_guild is not None:
                    found += await self._tree.fetch_commands(guild=self._command_guild)
            except discord.HTTPException as exc:
                raise AccessUnknown(f"cannot list the commands: {exc}") from None
            for command in found:
                self._ids.setdefault(command.name, set()).add(command.id)
        return self._ids.get(name, set())

    async def _levels(self, guild_id: int) -> dict[int, Level]:
        kept = self._permissions.get(guild_id)
        if kept is not None and self._clock() - kept[0] < self._cache_seconds:
            return kept[1]
        application_id = self._client.application_id
        if application_id is None:
            raise AccessUnknown("the bot does not know its application id yet")
        try:
            raw = await self._client.http.get_guild_application_command_permissions(
                application_id, guild_id
            )
        except discord.NotFound:  # nothing set in this server
            raw = []
        except discord.HTTPException as exc:
            raise AccessUnknown(f"cannot read the command permissions: {exc}") from None
        levels = {int(entry["id"]): Level.of(entry["permissions"]) for entry in raw}
        self._permissions[guild_id] = (self._clock(), levels)
        return levels

    async def may_use(self, interaction: discord.Interaction[Any], name: str) -> bool:
        """Whether the member who clicked may use `/name` in this channel of this server
        (`AccessUnknown` when that cannot be told now)."""
        guild_id = interaction.guild_id
        if guild_id is None:
            return False
        user = interaction.user
        if interaction.permissions.administrator or (
            interaction.guild is not None and interaction.guild.owner_id == user.id
        ):
            return True
        command = self._tree.get_command(name)
        required = getattr(command, "default_permissions", None)
        by_default = required is None or interaction.permissions >= required
        levels = await self._levels(guild_id)
        application_id = self._client.application_id or 0
        applicable = [levels[application_id]] if application_id in levels else []
        applicable += [levels[i] for i in sorted(await self._command_ids(name)) if i in levels]
        channel = interaction.channel
        channel_id = getattr(channel, "parent_id", None) or interaction.channel_id or 0
        roles = [role.id for role in getattr(user, "roles", ())]
        return allowed(
            applicable,
            guild_id=guild_id,
            user_id=user.id,
            role_ids=roles,
            channel_id=channel_id,
            by_default=by_default,
        )


__all__ = ["AccessUnknown", "CommandAccess", "Level", "allowed"]
