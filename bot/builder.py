"""The one place that builds the bot's long-lived objects and wires them together.

`build` opens the database, the Atlas client (or, in a dry run, the simulator that stands in
for it), the attachment fetcher and the webhook endpoint, and builds the job service over them;
`Services.close` releases them in the reverse order. Nothing else constructs these objects.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.atlas import AtlasClient
from bot.atlas.webhook_server import WebhookServer
from bot.atlas.webhooks import PredictionNotices, WebhookKeys, WebhookVerifier
from bot.db import DatabaseError, Store, open_store
from bot.db.deadlines import SharedDeadlines
from bot.db.times import utc_now
from bot.guilds.settings import GuildSettingsStore
from bot.jobs.context import JobContext
from bot.jobs.eta import Eta
from bot.jobs.media import AttachmentFetcher
from bot.jobs.moderation import Moderation
from bot.jobs.offers import OfferBook
from bot.jobs.privacy import Privacy
from bot.jobs.queue import JobQueue
from bot.jobs.service import JobService
from bot.jobs.store import SOLO_OWNER, JobStore
from bot.ledger import SERVER_CODE, Ledger
from bot.problems import cannot_listen, database_problem
from bot.settings import ConfigError, Settings
from bot.sim import AtlasSimulator

log = logging.getLogger("bot.app")

DRY_RUN_GENERATION_SECONDS = 5.0
"""How long a simulated video takes in a dry run (ATLAS_MODE=simulate)."""


@dataclass
class Services:
    """The bot's long-lived objects, open until `close`."""

    db: Store
    ledger: Ledger
    job_store: JobStore
    atlas: AtlasClient
    jobs: JobService
    server_settings: GuildSettingsStore
    moderation: Moderation
    privacy: Privacy
    _opened: contextlib.AsyncExitStack
    simulator: AtlasSimulator | None = None
    """The dry run's stand-in for Atlas (ATLAS_MODE=simulate)."""

    async def close(self) -> None:
        """Close what `build` opened, in the reverse order: the webhook endpoint, the fetcher,
        Atlas, the database, the simulator (the bot closes the job service first, before
        Discord)."""
        await self._opened.aclose()


async def build(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
    mine: Callable[[int], bool] | None = None,
    simulated: bool = False,
    **timings: Any,
) -> Services:
    """Open and wire everything the bot runs on; `ConfigError` (one line) when it cannot.

    `mine(guild_id)` says whether a server's jobs belong to this process's shards; `timings`
    are the job message's (`refresh_seconds`, `notice_after_seconds`), for tests.
    """
    _, api_key = settings.require_secrets()
    async with contextlib.AsyncExitStack() as opened:  # closed here only if building fails
        atlas_base_url = settings.env.atlas_base_url
        simulator = None
        if settings.simulated:
            # Dry run: a simulator in this process stands in for Atlas; nothing is billed.
            simulator = AtlasSimulator(
                settings.catalogue,
                api_key=api_key.get_secret_value(),
                generation_seconds=DRY_RUN_GENERATION_SECONDS,
            )
            await simulator.start()
            opened.push_async_callback(simulator.close)
            atlas_base_url = simulator.base_url
            simulated = True
            log.warning("ATLAS_MODE=simulate: videos come from the built-in simulator, not Atlas")
        db = await open_database(settings)
        opened.push_async_callback(db.close)
        # With several processes on one PostgreSQL database, a 429 one of them got holds all.
        calm = SharedDeadlines(db) if db.dialect == "postgres" else None
        notices = PredictionNotices() if settings.env.public_webhook_url is not None else None
        atlas = AtlasClient(atlas_base_url, api_key, shared_calm=calm, notices=notices)
        opened.push_async_callback(atlas.close)
        fetcher = AttachmentFetcher(
            settings.attachments.allowed_hosts, max_bytes=settings.attachments.max_bytes
        )
        opened.push_async_callback(fetcher.close)
        if notices is not None:
            webhooks = await serve_webhooks(settings, atlas, notices)
            opened.push_async_callback(webhooks.close)
        to_close = opened.pop_all()  # built: from now on the services close them
    services = _wire(
        settings, db, atlas, fetcher, clock, monotonic, mine, simulated, timings, to_close
    )
    services.simulator = simulator
    return services


def _wire(
    settings: Settings,
    db: Store,
    atlas: AtlasClient,
    fetcher: AttachmentFetcher,
    clock: Callable[[], datetime],
    monotonic: Callable[[], float],
    mine: Callable[[int], bool] | None,
    simulated: bool,
    timings: dict[str, Any],
    opened: contextlib.AsyncExitStack,
) -> Services:
    """Build the ledger, the job store and the job service over the opened resources."""
    ledger = Ledger(db, settings.budget, clock=clock)
    job_store = JobStore(
        db,
        clock=clock,
        owner=lease_owner(settings),
        lease_seconds=settings.jobs.lease_seconds,
        mine=mine,
    )
    guild_settings = GuildSettingsStore(db, settings.catalogue, clock=clock)
    # Safety: prompt rules, pauses, flagged videos; held ones beside the database.
    moderation = Moderation(
        db,
        guild_settings,
        job_store,
        held_folder=settings.env.database_path.parent / "held",
        clock=clock,
    )
    privacy = Privacy(
        db,
        ledger,
        job_store,
        moderation,
        keep_days=settings.privacy.keep_job_details_days,
        clock=clock,
    )
    context = JobContext(
        settings=settings,
        atlas=atlas,
        db=db,
        ledger=ledger,
        jobs=job_store,
        fetcher=fetcher,
        eta=Eta(db),
        moderation=moderation,
        queue=JobQueue(settings.jobs.max_in_flight),
        clock=clock,
        monotonic=monotonic,
        simulated=simulated,
        privacy=privacy,
        **timings,
    )
    jobs = JobService(
        context,
        guild_settings=guild_settings,
        offers=OfferBook(settings.catalogue, monotonic=monotonic),
    )
    return Services(db, ledger, job_store, atlas, jobs, guild_settings, moderation, privacy, opened)


async def serve_webhooks(
    settings: Settings, atlas: AtlasClient, notices: PredictionNotices
) -> WebhookServer:
    """Listen for Atlas's signed calls at PUBLIC_WEBHOOK_URL's path (before recovery, so the
    jobs it resumes hear of their ending too)."""
    env = settings.env
    verifier = WebhookVerifier(WebhookKeys(atlas.webhook_keys))
    server = WebhookServer(verifier, notices, path=env.webhook_path)
    try:
        await server.start(env.webhook_host, env.webhook_port)
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
        server.url,
        env.public_webhook_url,
    )
    return server


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


__all__ = ["Services", "build", "lease_owner", "open_database"]
