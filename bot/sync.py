"""Publishing the slash commands: only when they changed (a fingerprint of what Discord would
receive, kept beside the database), to the DEV_GUILD_ID server when set, else to every server;
and `sync --clear`, which removes the copy a DEV_GUILD_ID server keeps from testing."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bot.problems import dev_guild_refused
from bot.settings import ConfigError, Settings

log = logging.getLogger("bot.app")

NO_DEV_GUILD_TO_CLEAR = (
    "DEV_GUILD_ID is not set: sync --clear removes the commands of that one test server, "
    "so set DEV_GUILD_ID=<its id> for this command"
)


class CommandSync:
    """Publishes one command tree as the settings say."""

    def __init__(self, tree: app_commands.CommandTree[Any], settings: Settings) -> None:
        self._tree = tree
        self._settings = settings

    @property
    def marker(self) -> Path:
        """Where the fingerprint of the last synced commands is kept."""
        return self._settings.env.database_path.parent / "commands.sha256"

    def _target(self) -> discord.Object | None:
        guild_id = self._settings.env.dev_guild_id
        return discord.Object(guild_id) if guild_id else None

    async def fingerprint(self) -> str:
        """A hash of the command tree as Discord would receive it (translations included)."""
        target = self._target()
        if target is not None:
            self._tree.copy_global_to(guild=target)
        translator = self._tree.translator
        payload = [
            await command.get_translated_payload(self._tree, translator)
            if translator is not None
            else command.to_dict(self._tree)
            for command in self._tree.get_commands(guild=target)
        ]
        text = json.dumps(
            {"guild": target.id if target else None, "commands": payload}, sort_keys=True
        )
        return hashlib.sha256(text.encode()).hexdigest()

    async def sync(self, *, force: bool = False) -> bool:
        """Publish the slash commands, only when they changed since the last sync (or `force`)."""
        fingerprint = await self.fingerprint()
        marker = self.marker
        if not force and marker.exists() and marker.read_text().strip() == fingerprint:
            log.info("slash commands unchanged; not syncing")
            return False
        target = self._target()
        try:
            synced = await self._tree.sync(guild=target)
        except discord.Forbidden as exc:
            raise ConfigError(sync_refused(target, exc)) from None
        log.info(
            "synced %d slash commands to %s", len(synced), target.id if target else "all servers"
        )
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)  # on PostgreSQL, nothing made it
            marker.write_text(fingerprint)
        except OSError as exc:  # e.g. `sync` run where the data folder is not writable
            log.warning(
                "cannot write %s (%s): the next start syncs the commands again", marker, exc
            )
        return True

    async def clear_dev_guild(self) -> None:
        """Remove the DEV_GUILD_ID server's own copy of the commands (the global ones stay)."""
        target = self._target()
        if target is None:
            raise ConfigError(NO_DEV_GUILD_TO_CLEAR)
        self._tree.clear_commands(guild=target)
        try:
            await self._tree.sync(guild=target)
        except discord.Forbidden as exc:
            raise ConfigError(sync_refused(target, exc)) from None
        # The fingerprint may be this server's: without it the next start syncs afresh.
        with contextlib.suppress(OSError):
            self.marker.unlink(missing_ok=True)
        log.info("removed the slash commands of server %d; the global ones stay", target.id)


def sync_refused(target: discord.abc.Snowflake | None, exc: discord.Forbidden) -> str:
    """One line for Discord's 403 to a command sync (50001 Missing Access), and what to do."""
    why = f"{exc.status} {exc.text or 'Forbidden'}"
    if target is None:
        return (
            f"Discord refused to publish the slash commands ({why}): check that DISCORD_TOKEN "
            "is the bot token of this application"
        )
    return dev_guild_refused(target.id, why)


__all__ = ["NO_DEV_GUILD_TO_CLEAR", "CommandSync", "sync_refused"]
