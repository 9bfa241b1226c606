"""The Discord bot: the client class, and little else.

`setup_hook` (run once by discord.py before connecting) builds the long-lived objects through
`bot.builder`, loads the extensions found in `bot.exts`, syncs the slash commands when they
changed (`bot.sync`), finishes what the last run began and starts the upkeep; `close` releases
everything in the reverse order. The process around it (event loop, signals, start-up checks)
is `bot.launcher`.

`atlas-video-bot sync` builds the bot with `sync_only=True`: it loads the extensions (to know
the commands) and publishes them, and nothing else. It never opens the database, so a bot
running at the same time keeps its jobs, leases and ledger to itself. `sync --clear` removes
the copy of the commands a DEV_GUILD_ID server keeps from testing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import discord
import yarl
from discord.ext import commands

from bot.builder import Services, build, make_metrics
from bot.db import DatabaseCorrupt, DatabaseUnavailable
from bot.db.times import utc_now
from bot.exts import walk_extensions
from bot.guilds.preferences import PreferenceStore
from bot.guilds.settings import GuildSettingsStore
from bot.health import WRITE_EVERY_SECONDS, health_file, write_health
from bot.jobs.moderation import Moderation
from bot.jobs.privacy import Privacy
from bot.jobs.record import JobRecord
from bot.jobs.service import JobService
from bot.jobs.store import JobStore
from bot.ledger import Ledger
from bot.metrics import discord_trace
from bot.problems import database_problem
from bot.settings import ConfigError, Settings
from bot.sync import CommandSync
from bot.ui.command_access import CommandAccess
from bot.ui.delivery import RoutedProgress, job_progress
from bot.ui.pacing import RequestPacer, pace_requests
from bot.ui.translator import CommandTranslator
from bot.ui.tree import VideoTree

log = logging.getLogger(__name__)

_T = TypeVar("_T")


def point_discord_py_at(api_base_url: str, gateway_url: str) -> None:
    """Send discord.py's REST and gateway traffic to these URLs (a proxy, or a test fake).

    discord.py keeps both as class attributes: `Route.BASE` serves REST and interaction
    webhooks alike; a non-sharded client connects to `DEFAULT_GATEWAY` directly.
    """
    discord.http.Route.BASE = api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def quiet_voice_warnings() -> None:
    """Keep discord.py from warning at every start that PyNaCl and davey are missing, so
    "voice will NOT be supported": the bot never joins a voice channel. (discord.py warns
    once per process, when the first client is made, unless these flags are off.)"""
    for flag in ("warn_nacl", "warn_dave"):
        if hasattr(discord.VoiceClient, flag):
            setattr(discord.VoiceClient, flag, False)


class VideoBot(commands.Bot):
    """atlas-video-bot's Discord client."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        refresh_seconds: float | None = None,
        notice_after_seconds: float | None = None,
        simulated: bool = False,
        sync_only: bool = False,
        clear_dev_guild: bool = False,
        **discord_options: Any,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        quiet_voice_warnings()
        # Made before the client: its HTTP session counts Discord's error answers (and 429s).
        self.metrics = make_metrics(settings)
        discord_options.setdefault("http_trace", discord_trace(self.metrics))
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=VideoTree,
            **discord_options,
        )
        point_discord_py_at(settings.env.discord_api_base_url, settings.env.discord_gateway_url)
        # Never past Discord's global limit on the bot's own token, however long the line.
        pace_requests(self.http, RequestPacer())
        self.settings = settings
        self.clock = clock
        self.monotonic = monotonic
        self.is_shutting_down = False
        # Job-message timings (see JobContext); None keeps the defaults.
        self._job_timings = {
            name: value
            for name, value in (
                ("refresh_seconds", refresh_seconds),
                ("notice_after_seconds", notice_after_seconds),
            )
            if value is not None
        }
        self._simulated = simulated
        self._sync_only = sync_only or clear_dev_guild
        self._clear_dev_guild = clear_dev_guild
        self._commands = CommandSync(self.tree, settings)
        self._services: Services | None = None
        self._health_task: asyncio.Task[None] | None = None
        dev_guild = settings.env.dev_guild_id
        # Integrations settings for the buttons that start jobs (Re-roll, Edit prompt).
        self.command_access = CommandAccess(
            self,
            self.tree,
            command_guild=None if dev_guild is None else discord.Object(dev_guild),
            clock=monotonic,
        )

    # The services exist from setup_hook on (never with sync_only); these accessors keep the
    # types non-optional. AttributeError before: `getattr(bot, "jobs", None)` reads None.
    @property
    def jobs(self) -> JobService:
        """The job service."""
        return self.services.jobs

    @property
    def ledger(self) -> Ledger:
        """The money ledger."""
        return self.services.ledger

    @property
    def job_store(self) -> JobStore:
        """Stored jobs."""
        return self.services.job_store

    @property
    def server_settings(self) -> GuildSettingsStore:
        """What each server's admins set with /settings."""
        return self.services.server_settings

    @property
    def preferences(self) -> PreferenceStore:
        """What each member chose with /prefer, per server."""
        return self.services.preferences

    @property
    def moderation(self) -> Moderation:
        """Prompt rules, pauses and flagged videos, applied to jobs."""
        return self.services.moderation

    @property
    def privacy(self) -> Privacy:
        """Retention, held-video upkeep and erasing a member."""
        return self.services.privacy

    @property
    def services(self) -> Services:
        """Every long-lived object the bot built (see `bot.builder`)."""
        if self._services is None:
            raise AttributeError("setup_hook has not built the services (or the bot only syncs)")
        return self._services

    async def _load_extensions(self) -> None:
        """Load every feature of `bot.exts` (commands, buttons) and the command translations."""
        for extension in walk_extensions():
            await self.load_extension(extension)
        await self.tree.set_translator(CommandTranslator())

    async def setup_hook(self) -> None:
        """Build the services once, load the extensions, sync commands if they changed,
        recover unfinished jobs and start the upkeep.

        With `sync_only`: load the extensions and publish the commands, nothing more (no
        database, no recovery, no background tasks), so `sync` is safe next to a running bot."""
        if self._clear_dev_guild:
            await self._commands.clear_dev_guild()
            return
        if self._sync_only:
            await self._load_extensions()
            await self._commands.sync(force=True)
            return
        self._services = await build(
            self.settings,
            clock=self.clock,
            monotonic=self.monotonic,
            mine=self._is_mine,
            simulated=self._simulated,
            metrics=self.metrics,
            **self._job_timings,
        )
        await self._load_extensions()
        await self._commands.sync()
        # Before the gateway connects (so before any command): finish what the last run began.
        try:
            await self.jobs.recover(self._progress_for)
        except (DatabaseUnavailable, DatabaseCorrupt) as exc:  # e.g. locked by another process
            raise ConfigError(database_problem(self.settings.env, exc)) from None
        await self.jobs.start()
        self.services.start()
        self._health_task = asyncio.create_task(self._beat(health_file()), name="health")

    async def on_raw_app_command_permissions_update(
        self, payload: discord.RawAppCommandPermissionsUpdateEvent
    ) -> None:
        """A server's Integrations settings changed: read them again when next needed."""
        self.command_access.forget(payload.guild.id)

    async def on_ready(self) -> None:
        """Say in the log that the bot is connected and serving (again after a full reconnect:
        discord.py dispatches this once all shards are ready, not on a resumed session)."""
        user = self.user
        count = len(self.guilds)
        log.info(
            "ready: logged in as %s (%s) in %d server%s; /video is live",
            user.name if user else "?",
            user.id if user else "?",
            count,
            "" if count == 1 else "s",
        )

    def _is_mine(self, guild_id: int) -> bool:
        """Whether this process runs the shard of the server (always, without sharding)."""
        return True

    def _gateway_open(self) -> bool:
        return self.ws is not None and bool(self.ws.open)

    async def _beat(self, path: Path) -> None:
        """Rewrite the heartbeat that `atlas-video-bot health` (the container check) reads."""
        while True:
            connected = self.is_ready() and not self.is_closed() and self._gateway_open()
            try:
                await asyncio.to_thread(write_health, path, connected)
            except OSError as exc:
                log.warning("cannot write the health file %s: %s", path, exc)
            await asyncio.sleep(WRITE_EVERY_SECONDS)

    def _progress_for(self, job: JobRecord) -> RoutedProgress:
        """Edit a resumed job's message through the channel API (no interaction any more), and
        deliver its video where the job row says."""
        return job_progress(
            self,
            guild_id=job.guild_id,
            channel_id=job.channel_id,
            message_id=job.message_id,
            meta=job.meta,
            journal=self.jobs,
            clock=self.monotonic,
        )

    async def close(self) -> None:
        """Stop taking commands, stop jobs, then close Discord, Atlas and the database."""
        self.is_shutting_down = True
        if self._health_task is not None:
            self._health_task.cancel()
            with contextlib.suppress(OSError):
                write_health(health_file(), False)
        if self._services is not None:
            await self._services.jobs.close()
        await super().close()
        if self._services is not None:
            await self._services.close()


class ShardedVideoBot(VideoBot, commands.AutoShardedBot):
    """The bot over SHARD_IDS of SHARD_COUNT shards, one gateway connection each."""

    def _is_mine(self, guild_id: int) -> bool:
        count, ids = self.shard_count or 1, self.shard_ids or [0]
        return (guild_id >> 22) % count in ids

    def _gateway_open(self) -> bool:
        shards = self.shards.values()
        return bool(shards) and all(not shard.is_closed() for shard in shards)


def make_bot(settings: Settings, **options: Any) -> VideoBot:
    """The bot: sharded over SHARD_IDS of SHARD_COUNT when set, else one connection."""
    shards = settings.env.shards
    if shards is None:
        return VideoBot(settings, **options)
    count, ids = shards
    return ShardedVideoBot(settings, shard_count=count, shard_ids=list(ids), **options)


__all__ = [
    "ShardedVideoBot",
    "VideoBot",
    "make_bot",
    "point_discord_py_at",
    "quiet_voice_warnings",
]
