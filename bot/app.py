"""The Discord bot: owns the long-lived resources and wires the layers together.

`setup_hook` (run once by discord.py before connecting) opens the database, the Atlas client
and the attachment fetcher, builds the job service, loads the cogs and syncs the slash
commands when they changed. `close` releases everything in the reverse order.

`atlas-video-bot sync` builds the bot with `sync_only=True`: it loads the cogs (to know the
commands) and publishes them, and nothing else. It never opens the database, so a bot
running at the same time keeps its jobs, leases and ledger to itself. `sync --clear` removes
the copy of the commands a DEV_GUILD_ID server keeps from testing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import signal
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands
from pydantic import SecretStr

from bot import __version__
from bot.atlas import AtlasClient
from bot.atlas.webhook_server import WebhookServer
from bot.atlas.webhooks import PredictionNotices, WebhookKeys, WebhookVerifier
from bot.check import cannot_listen, database_problem, dev_guild_refused
from bot.cogs.amounts import BadAmount
from bot.cogs.buttons import CancelButton, JobActionButton, RerollButton
from bot.cogs.delivery import RoutedProgress
from bot.cogs.errors import report_unexpected, tell
from bot.cogs.offers import OfferButton
from bot.cogs.translator import CommandTranslator
from bot.db import DatabaseCorrupt, DatabaseError, DatabaseUnavailable, Store, open_store
from bot.db.deadlines import SharedDeadlines
from bot.db.postgres import display_url
from bot.guilds.delivery import DeliveryTarget
from bot.health import WRITE_EVERY_SECONDS, health_file, write_health
from bot.i18n import t
from bot.jobs.media import AttachmentFetcher
from bot.jobs.service import JobService
from bot.jobs.store import SOLO_OWNER, JobRecord, JobStore
from bot.ledger import SERVER_CODE, Ledger
from bot.settings import ConfigError, Settings
from bot.sim import AtlasSimulator

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.cogs.video",
    "bot.cogs.budget",
    "bot.cogs.job_actions",
    "bot.cogs.queue",
    "bot.cogs.settings",
    "bot.cogs.safety_settings",
    "bot.cogs.review",
)
SWEEP_EVERY_SECONDS = 300.0
NO_DEV_GUILD_TO_CLEAR = (
    "DEV_GUILD_ID is not set: sync --clear removes the commands of that one test server, "
    "so set DEV_GUILD_ID=<its id> for this command"
)
_T = TypeVar("_T")


def point_discord_py_at(api_base_url: str, gateway_url: str) -> None:
    """Send discord.py's REST and gateway traffic to these URLs (a proxy, or a test fake).

    discord.py keeps both as class attributes: `Route.BASE` serves REST and interaction
    webhooks alike; a non-sharded client connects to `DEFAULT_GATEWAY` directly.
    """
    discord.http.Route.BASE = api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


class VideoTree(app_commands.CommandTree[Any]):
    """The command tree, with one error handler for every command."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        """Every failure ends in a short message to the member, never "did not respond"."""
        locale = str(interaction.locale)
        original = getattr(error, "original", error)
        if isinstance(error, app_commands.CheckFailure) and interaction.response.is_done():
            return  # the check already answered
        if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
            text = t("error.not_admin", locale)
        elif isinstance(original, BadAmount):
            text = t("admin.bad_amount", locale, value=str(original))
        else:
            name = interaction.command.name if interaction.command else "?"
            await report_unexpected(interaction, original, f"command {name}")
            return
        await tell(interaction, text)


class VideoBot(commands.Bot):
    """atlas-video-bot's Discord client."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
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
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=VideoTree,
            **discord_options,
        )
        point_discord_py_at(settings.env.discord_api_base_url, settings.env.discord_gateway_url)
        self.settings = settings
        self.clock = clock
        self.monotonic = monotonic
        self.is_shutting_down = False
        # Job-message timings (see JobService); None keeps the service's defaults.
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
        self._db: Store | None = None
        self._atlas: AtlasClient | None = None
        self._fetcher: AttachmentFetcher | None = None
        self._jobs: JobService | None = None
        self._ledger: Ledger | None = None
        self._job_store: JobStore | None = None
        self._health_task: asyncio.Task[None] | None = None
        self._sweep_task: asyncio.Task[None] | None = None
        self._lease_task: asyncio.Task[None] | None = None
        self._simulator: AtlasSimulator | None = None
        self._webhooks: WebhookServer | None = None

    # The resources exist from setup_hook on (never with sync_only); these accessors keep the
    # types non-optional. AttributeError before: `getattr(bot, "jobs", None)` reads None.
    @property
    def jobs(self) -> JobService:
        """The job service."""
        return _opened(self._jobs, "jobs")

    @property
    def ledger(self) -> Ledger:
        """The money ledger."""
        return _opened(self._ledger, "ledger")

    @property
    def job_store(self) -> JobStore:
        """Stored jobs."""
        return _opened(self._job_store, "job_store")

    async def _load_commands(self) -> None:
        """Load the cogs: the slash commands, the persistent buttons, the translations."""
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(RerollButton, CancelButton, JobActionButton, OfferButton)
        await self.tree.set_translator(CommandTranslator())

    async def setup_hook(self) -> None:
        """Open long-lived resources once, load the cogs, sync commands if they changed.

        With `sync_only`: load the cogs and publish the commands, nothing more (no database,
        no recovery, no background tasks), so `sync` is safe next to a running bot."""
        if self._clear_dev_guild:
            await self.clear_dev_guild_commands()
            return
        if self._sync_only:
            await self._load_commands()
            await self.sync_commands(force=True)
            return
        settings = self.settings
        _, api_key = settings.require_secrets()
        atlas_base_url = settings.env.atlas_base_url
        if settings.simulated:
            # Dry run: a simulator in this process stands in for Atlas Cloud; nothing is billed.
            self._simulator = AtlasSimulator(
                settings.catalogue, api_key=api_key.get_secret_value(), generation_seconds=5.0
            )
            await self._simulator.start()
            atlas_base_url = self._simulator.base_url
            self._simulated = True
            log.warning("ATLAS_MODE=simulate: videos come from the built-in simulator, not Atlas")
        self._db = await open_database(settings)
        self._ledger = Ledger(self._db, settings.budget, clock=self.clock)
        self._job_store = JobStore(
            self._db,
            clock=self.clock,
            owner=lease_owner(settings),
            lease_seconds=settings.jobs.lease_seconds,
            mine=self._is_mine,
        )
        # With several processes on one PostgreSQL database, a 429 one of them got holds all.
        calm = SharedDeadlines(self._db) if self._db.dialect == "postgres" else None
        notices = PredictionNotices() if settings.env.public_webhook_url is not None else None
        self._atlas = AtlasClient(atlas_base_url, api_key, shared_calm=calm, notices=notices)
        self._fetcher = AttachmentFetcher(
            settings.attachments.allowed_hosts, max_bytes=settings.attachments.max_bytes
        )
        extra: dict[str, Any] = dict(self._job_timings)
        self._jobs = JobService(
            settings=settings,
            atlas=self._atlas,
            db=self._db,
            ledger=self._ledger,
            jobs=self._job_store,
            fetcher=self._fetcher,
            clock=self.clock,
            monotonic=self.monotonic,
            simulated=self._simulated,
            **extra,
        )
        if notices is not None:
            await self._serve_webhooks(self._atlas, notices)
        await self._load_commands()
        await self.sync_commands()
        # Before the gateway connects (so before any command): finish what the last run began.
        try:
            await self._jobs.recover(self._progress_for)
        except (DatabaseUnavailable, DatabaseCorrupt) as exc:  # e.g. locked by another process
            raise ConfigError(database_problem(settings.env, exc)) from None
        self._health_task = asyncio.create_task(self._beat(health_file()), name="health")
        self._sweep_task = asyncio.create_task(self._sweep(), name="sweep")
        self._lease_task = asyncio.create_task(self._renew_leases(), name="leases")

    async def _serve_webhooks(self, atlas: AtlasClient, notices: PredictionNotices) -> None:
        """Listen for Atlas's signed calls at PUBLIC_WEBHOOK_URL's path (before recovery, so
        the jobs it resumes hear of their ending too)."""
        env = self.settings.env
        verifier = WebhookVerifier(WebhookKeys(atlas.webhook_keys))
        self._webhooks = WebhookServer(verifier, notices, path=env.webhook_path)
        try:
            await self._webhooks.start(env.webhook_host, env.webhook_port)
        except OSError as exc:
            raise ConfigError(
                cannot_listen(
                    "webhooks",
                    env.webhook_host,
                    env.webhook_port,
                    exc,
                    port_option="WEBHOOK_PORT",
                    host_option="WEBHOOK_HOST",
                )
            ) from None
        log.info(
            "webhooks: listening on %s for %s; polling only as a safety net",
            self._webhooks.url,
            env.public_webhook_url,
        )

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

    async def _renew_leases(self) -> None:
        """Keep the leases of the jobs this process follows (see `JobStore`)."""
        store = self.job_store
        while True:
            await asyncio.sleep(store.lease_seconds / 3)
            try:
                await store.renew_leases()
            except Exception:
                log.exception("could not renew the job leases; trying again")

    async def _sweep(self) -> None:
        """Expire stale holds and overdue uncertain jobs now and then."""
        while True:
            await asyncio.sleep(SWEEP_EVERY_SECONDS)
            try:
                await self.jobs.sweep()
            except Exception:
                log.exception("periodic sweep failed; trying again later")

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
        return RoutedProgress(
            self,
            target=DeliveryTarget.from_params(job.params.get("delivery")),
            guild_id=job.guild_id,
            journal=self.jobs,
            channel_id=job.channel_id,
            message_id=job.message_id,
            locale=str(job.params.get("locale", "en-US")),
            clock=self.monotonic,
        )

    def _sync_marker(self) -> Path:
        """Where the fingerprint of the last synced commands is kept."""
        return self.settings.env.database_path.parent / "commands.sha256"

    def _sync_target(self) -> discord.Object | None:
        guild_id = self.settings.env.dev_guild_id
        return discord.Object(guild_id) if guild_id else None

    async def commands_fingerprint(self) -> str:
        """A hash of the command tree as Discord would receive it (translations included)."""
        target = self._sync_target()
        if target is not None:
            self.tree.copy_global_to(guild=target)
        translator = self.tree.translator
        payload = [
            await command.get_translated_payload(self.tree, translator)
            if translator is not None
            else command.to_dict(self.tree)
            for command in self.tree.get_commands(guild=target)
        ]
        text = json.dumps(
            {"guild": target.id if target else None, "commands": payload}, sort_keys=True
        )
        return hashlib.sha256(text.encode()).hexdigest()

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Publish the slash commands, only when they changed since the last sync (or `force`)."""
        fingerprint = await self.commands_fingerprint()
        marker = self._sync_marker()
        if not force and marker.exists() and marker.read_text().strip() == fingerprint:
            log.info("slash commands unchanged; not syncing")
            return False
        target = self._sync_target()
        try:
            synced = await self.tree.sync(guild=target)
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

    async def clear_dev_guild_commands(self) -> None:
        """Remove the DEV_GUILD_ID server's own copy of the commands (the global ones stay)."""
        target = self._sync_target()
        if target is None:
            raise ConfigError(NO_DEV_GUILD_TO_CLEAR)
        self.tree.clear_commands(guild=target)
        try:
            await self.tree.sync(guild=target)
        except discord.Forbidden as exc:
            raise ConfigError(sync_refused(target, exc)) from None
        # The fingerprint may be this server's: without it the next start syncs afresh.
        with contextlib.suppress(OSError):
            self._sync_marker().unlink(missing_ok=True)
        log.info("removed the slash commands of server %d; the global ones stay", target.id)

    async def close(self) -> None:
        """Stop taking commands, stop jobs, then close Discord, Atlas and the database."""
        self.is_shutting_down = True
        for task in (self._sweep_task, self._lease_task):
            if task is not None:
                task.cancel()
        if self._health_task is not None:
            self._health_task.cancel()
            with contextlib.suppress(OSError):
                write_health(health_file(), False)
        if self._jobs is not None:
            await self._jobs.close()
        await super().close()
        if self._webhooks is not None:
            await self._webhooks.close()
        if self._atlas is not None:
            await self._atlas.close()
        if self._fetcher is not None:
            await self._fetcher.close()
        if self._db is not None:
            await self._db.close()
        if self._simulator is not None:
            await self._simulator.close()


class ShardedVideoBot(VideoBot, commands.AutoShardedBot):
    """The bot over SHARD_IDS of SHARD_COUNT shards, one gateway connection each."""

    def _is_mine(self, guild_id: int) -> bool:
        count, ids = self.shard_count or 1, self.shard_ids or [0]
        return (guild_id >> 22) % count in ids

    def _gateway_open(self) -> bool:
        shards = self.shards.values()
        return bool(shards) and all(not shard.is_closed() for shard in shards)


def lease_owner(settings: Settings) -> str:
    """Who this process is in the jobs' leases: its shard set (one process: "solo")."""
    shards = settings.env.shards
    if shards is None:
        return SOLO_OWNER
    count, ids = shards
    return f"shards {','.join(map(str, ids))} of {count}"


async def open_database(settings: Settings) -> Store:
    """Open (and migrate) the database, or `ConfigError`: one line naming DATABASE_PATH or
    DATABASE_URL, what is wrong and what to do."""
    url = settings.env.database_url
    try:
        return await open_store(
            None if url is None else url.get_secret_value(),
            settings.env.database_path,
            server_code=SERVER_CODE,
        )
    except (DatabaseError, OSError, sqlite3.Error) as exc:
        raise ConfigError(database_problem(settings.env, exc)) from None


def sync_refused(target: discord.abc.Snowflake | None, exc: discord.Forbidden) -> str:
    """One line for Discord's 403 to a command sync (50001 Missing Access), and what to do."""
    why = f"{exc.status} {exc.text or 'Forbidden'}"
    if target is None:
        return (
            f"Discord refused to publish the slash commands ({why}): check that DISCORD_TOKEN "
            "is the bot token of this application"
        )
    return dev_guild_refused(target.id, why)


def _opened(resource: _T | None, name: str) -> _T:
    if resource is None:
        raise AttributeError(f"{name}: setup_hook has not opened it (or the bot only syncs)")
    return resource


def discord_token(settings: Settings, *, sync_only: bool) -> SecretStr:
    """The Discord token; `run` needs the Atlas key as well, `sync` talks to Discord only."""
    if sync_only:
        token = settings.env.discord_token
        if token is None:
            raise ConfigError(
                "DISCORD_TOKEN is not set: put your bot token in the environment or in .env"
            )
        return token
    token, _ = settings.require_secrets()
    return token


def make_bot(settings: Settings, **options: Any) -> VideoBot:
    """The bot: sharded over SHARD_IDS of SHARD_COUNT when set, else one connection."""
    shards = settings.env.shards
    if shards is None:
        return VideoBot(settings, **options)
    count, ids = shards
    return ShardedVideoBot(settings, shard_count=count, shard_ids=list(ids), **options)


def starting_line(settings: Settings) -> str:
    """What the bot is about to use, in one line an admin can check before it connects."""
    env = settings.env
    atlas = "the built-in simulator (dry run)" if settings.simulated else env.atlas_base_url
    ledger = (
        str(env.database_path)
        if env.database_url is None
        else display_url(env.database_url.get_secret_value())
    )
    return (
        f"starting {__version__}: Discord at {env.discord_api_base_url}, Atlas at {atlas}, "
        f"ledger {ledger}"
    )


async def _serve(settings: Settings, *, sync_only: bool, clear_dev_guild: bool) -> None:
    token = discord_token(settings, sync_only=sync_only)
    log.info("%s", starting_line(settings))
    bot = make_bot(settings, sync_only=sync_only, clear_dev_guild=clear_dev_guild)
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: closing.append(loop.create_task(bot.close())))
    try:
        async with bot:
            if sync_only:
                await bot.login(token.get_secret_value())  # runs setup_hook, which syncs
                log.info("sync: done")
                return
            await bot.start(token.get_secret_value())
    finally:
        # discord.py's __aexit__ waits only for its own part of close(): finish ours too
        # (jobs, Atlas session, database), or asyncio.run would cancel it half-way.
        await asyncio.gather(*closing, return_exceptions=True)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The bot's event loop: uvloop where it is installed (Linux, macOS), else asyncio's own.

    Same asyncio API, with sockets, timers and callbacks in C: the bot spends about a fifth
    less CPU per job (bench/load.py), most of it in HTTP calls to Discord and Atlas.
    """
    try:
        import uvloop
    except ImportError:  # e.g. Windows: asyncio's loop works the same, a little slower
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run_bot(settings: Settings, *, sync_only: bool = False, clear_dev_guild: bool = False) -> int:
    """Connect to Discord and serve the commands until stopped (`sync_only`: publish the slash
    commands and return; `clear_dev_guild`: remove DEV_GUILD_ID's copy instead); returns the
    exit code."""
    sync_only = sync_only or clear_dev_guild
    discord_token(settings, sync_only=sync_only)
    if clear_dev_guild and settings.env.dev_guild_id is None:
        raise ConfigError(NO_DEV_GUILD_TO_CLEAR)
    try:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(_serve(settings, sync_only=sync_only, clear_dev_guild=clear_dev_guild))
    except aiohttp.ClientConnectionError as exc:
        raise ConfigError(
            f"DISCORD_API_BASE_URL: cannot reach Discord at {settings.env.discord_api_base_url} "
            f"({exc.__class__.__name__}); check the network or the setting"
        ) from None
    except discord.LoginFailure:
        raise ConfigError(
            "DISCORD_TOKEN is rejected by Discord: copy it again from the developer portal"
        ) from None
    return 0
