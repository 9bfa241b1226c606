"""The one place that builds the bot's long-lived objects and wires them together.

`build` opens the database, the Atlas client (or, in a dry run, the simulator that stands in
for it), the attachment fetcher, the transcoder (when an encoder is found) and the webhook
endpoint, and builds the job service over them; `Services.close` releases them in the reverse
order. Nothing else constructs these objects.

Longer than most modules on purpose: it is the one place that wires everything; split, it
would be two.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.atlas import AtlasClient
from bot.atlas.schemas import ModelSchemas
from bot.atlas.webhook_server import WebhookServer
from bot.atlas.webhooks import PredictionNotices, WebhookKeys, WebhookVerifier
from bot.db import DatabaseError, Store, open_store
from bot.db.deadlines import SharedDeadlines
from bot.db.signals import signals_for
from bot.db.times import utc_now
from bot.guilds.preferences import PreferenceStore
from bot.guilds.settings import GuildSettingsStore
from bot.jobs.callbacks import CallbackInbox, callback_secret
from bot.jobs.context import JobContext
from bot.jobs.eta import Eta
from bot.jobs.line import Line
from bot.jobs.media import AttachmentFetcher
from bot.jobs.metered import JobMeter
from bot.jobs.moderation import Moderation
from bot.jobs.offers import OfferBook
from bot.jobs.outputs import OutputDesk
from bot.jobs.privacy import Privacy
from bot.jobs.service import JobService
from bot.jobs.store import SOLO_OWNER, JobStore
from bot.ledger import SERVER_CODE, Ledger
from bot.metrics import Metrics, MetricsServer
from bot.operator import BalanceWatch, BudgetAlerts
from bot.operator.catalogue_watch import CatalogueWatch
from bot.operator.reconcile import Reconciler
from bot.problems import cannot_listen, database_problem
from bot.settings import ConfigError, Settings
from bot.sim import AtlasSimulator
from bot.transcode import NoEncoder, Transcoder, clean_leftovers, find_encoder
from bot.transcode.files import private_folder
from bot.transcode.plan import DEFAULT_POLICY

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
    preferences: PreferenceStore
    """Members' own defaults per server (/prefer)."""
    privacy: Privacy
    _opened: contextlib.AsyncExitStack
    metrics: Metrics
    balance: BalanceWatch
    """The Atlas account's balance, read now and then (`start`)."""
    alerts: BudgetAlerts
    reconciler: Reconciler
    """Yesterday's ledger beside Atlas's bill, for /budget-admin report."""
    catalogue_watch: CatalogueWatch
    """Atlas's model list and schemas, read at start and now and then (warnings, checks)."""
    simulator: AtlasSimulator | None = None
    """The dry run's stand-in for Atlas (ATLAS_MODE=simulate)."""
    metrics_server: MetricsServer | None = None
    """The /metrics endpoint, with METRICS_PORT set."""
    transcoder: Transcoder | None = None
    """Fits videos to upload limits; None when no encoder was found (videos over the limit
    then go as links)."""

    def start(self) -> None:
        """Start watching the Atlas balance and the catalogue against Atlas's schemas (stopped
        by `close`)."""
        tasks = [
            asyncio.create_task(self.balance.run(), name="atlas-balance"),
            asyncio.create_task(self.catalogue_watch.run(), name="atlas-catalogue"),
        ]

        async def stop() -> None:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self._opened.push_async_callback(stop)
        self._opened.push_async_callback(self.alerts.close)

    async def close(self) -> None:
        """Close what `build` opened, in the reverse order: the webhook endpoint, the
        transcoder (its encoders killed), the fetcher, Atlas, the database, the simulator (the
        bot closes the job service first, before Discord)."""
        await self._opened.aclose()


async def build(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    monotonic: Callable[[], float] = time.monotonic,
    mine: Callable[[int], bool] | None = None,
    simulated: bool = False,
    metrics: Metrics | None = None,
    **timings: Any,
) -> Services:
    """Open and wire everything the bot runs on; `ConfigError` (one line) when it cannot.

    `mine(guild_id)` says whether a server's jobs belong to this process's shards; `timings`
    are the job message's (`refresh_seconds`, `notice_after_seconds`), for tests.
    """
    _, api_key = settings.require_secrets()
    metrics = metrics or make_metrics(settings)
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
        atlas = AtlasClient(
            atlas_base_url, api_key, shared_calm=calm, notices=notices, metrics=metrics
        )
        opened.push_async_callback(atlas.close)
        fetcher = AttachmentFetcher(
            settings.attachments.allowed_hosts, max_bytes=settings.attachments.max_bytes
        )
        opened.push_async_callback(fetcher.close)
        folder = await work_folder(settings)
        transcoder = await open_transcoder(settings, folder)
        if transcoder is not None:
            opened.push_async_callback(transcoder.close)
            encoders = transcoder
            metrics.watch_encoders(lambda: encoders.encoding, lambda: encoders.waiting)
        outputs = OutputDesk(
            atlas, settings.delivery, folder, transcoder, monotonic=monotonic, metrics=metrics
        )
        callbacks = None
        if notices is not None:
            # Calls about our jobs are kept with the job, for whichever process follows it.
            signals = signals_for(db)
            opened.push_async_callback(signals.close)
            callbacks = CallbackInbox(
                db,
                signals,
                base_url=settings.env.public_webhook_url or "",
                secret=callback_secret(api_key.get_secret_value()),
                clock=clock,
            )
            webhooks = await serve_webhooks(settings, atlas, notices, callbacks)
            opened.push_async_callback(webhooks.close)
        metrics_server = None
        if settings.env.metrics_port is not None:
            metrics_server = await serve_metrics(settings, metrics)
            opened.push_async_callback(metrics_server.close)
        to_close = opened.pop_all()  # built: from now on the services close them
    services = _wire(
        settings,
        db,
        atlas,
        fetcher,
        outputs,
        clock,
        monotonic,
        mine,
        simulated,
        timings,
        to_close,
        metrics,
        callbacks=callbacks,
    )
    services.simulator = simulator
    services.metrics_server = metrics_server
    services.transcoder = transcoder
    return services


def transcode_folder(settings: Settings) -> Path:
    """Where downloads and encodes live: `transcode/` beside the database, owner-only."""
    return settings.env.database_path.parent / "transcode"


async def work_folder(settings: Settings) -> Path:
    """The transcode folder, made (owner-only) and cleared of the files of a process that
    died (`fit-*` older than an hour), or `ConfigError` when the data folder is not writable."""
    folder = transcode_folder(settings)
    try:
        await asyncio.to_thread(private_folder, folder)
        removed = await asyncio.to_thread(clean_leftovers, folder)
    except OSError as exc:
        raise ConfigError(
            f"the transcode folder {folder} (beside DATABASE_PATH) cannot be used: "
            f"{exc.strerror or exc}; make the data folder writable by the bot"
        ) from None
    if removed:
        log.info("removed %d leftover file(s) of an earlier run from %s", removed, folder)
    return folder


async def open_transcoder(settings: Settings, folder: Path) -> Transcoder | None:
    """The transcoder over the encoder found, working in `folder` (see `work_folder`); None
    (and a WARNING) without an encoder: videos over the upload limit go as links."""
    delivery = settings.delivery
    try:
        encoder = await find_encoder(delivery.encoder_path or None)
    except NoEncoder as exc:
        log.warning("no video encoder: videos over Discord's upload limit go as links (%s)", exc)
        return None
    transcoder = Transcoder(
        encoder,
        folder,
        max_concurrent=delivery.max_encoders or None,
        timeout_seconds=delivery.encode_timeout_seconds,
        policy=replace(DEFAULT_POLICY, min_short_side=delivery.min_short_side),
    )
    log.info(
        "encoder: ffmpeg %s (%s), up to %d at once, in %s",
        encoder.version,
        encoder.origin,
        transcoder.max_concurrent,
        folder,
    )
    return transcoder


def make_metrics(settings: Settings) -> Metrics:
    """The bot's metrics (made before the Discord client, which counts its REST answers)."""
    return Metrics(per_guild=settings.operator.metrics_per_guild)


def _wire(
    settings: Settings,
    db: Store,
    atlas: AtlasClient,
    fetcher: AttachmentFetcher,
    outputs: OutputDesk,
    clock: Callable[[], datetime],
    monotonic: Callable[[], float],
    mine: Callable[[int], bool] | None,
    simulated: bool,
    timings: dict[str, Any],
    opened: contextlib.AsyncExitStack,
    metrics: Metrics,
    *,
    callbacks: CallbackInbox | None = None,
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
    job_store.watch(JobMeter(metrics))
    guild_settings = GuildSettingsStore(db, settings.catalogue, clock=clock)
    preferences = PreferenceStore(db, settings.catalogue, guild_settings, clock=clock)
    # Safety: prompt rules, pauses, flagged videos; held ones beside the database.
    moderation = Moderation(
        db,
        guild_settings,
        job_store,
        held_folder=settings.env.database_path.parent / "held",
        clock=clock,
    )
    line = Line(
        settings.jobs.max_in_flight,
        per_guild=settings.budget.max_concurrent_jobs_per_guild,
        per_user=settings.budget.max_concurrent_jobs_per_user,
    )
    metrics.watch_queue(lambda: line.waiting, lambda: line.running)
    balance = BalanceWatch(atlas, settings.operator, metrics=metrics, monotonic=monotonic)
    alerts = BudgetAlerts(ledger, guild_settings, SharedDeadlines(db), settings)
    schemas = ModelSchemas(atlas, [m.id for m in settings.catalogue.entries()])
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
        guild_settings=guild_settings,
        line=line,
        outputs=outputs,
        clock=clock,
        monotonic=monotonic,
        simulated=simulated,
        balance=balance,
        alerts=alerts,
        metrics=metrics,
        callbacks=callbacks,
        privacy=privacy,
        schemas=schemas,
        **timings,
    )
    jobs = JobService(context, offers=OfferBook(settings.catalogue, monotonic=monotonic))
    return Services(
        db,
        ledger,
        job_store,
        atlas,
        jobs,
        guild_settings,
        moderation,
        preferences,
        privacy,
        opened,
        metrics=metrics,
        balance=balance,
        alerts=alerts,
        reconciler=Reconciler(
            db,
            atlas,
            settings.catalogue,
            settings.operator.reconcile_tolerance,
            clock=clock,
            monotonic=monotonic,
        ),
        catalogue_watch=CatalogueWatch(settings.catalogue, schemas),
    )


async def serve_metrics(settings: Settings, metrics: Metrics) -> MetricsServer:
    """Serve /metrics on METRICS_HOST:METRICS_PORT for Prometheus to scrape."""
    env = settings.env
    assert env.metrics_port is not None
    server = MetricsServer(metrics)
    try:
        await server.start(env.metrics_host, env.metrics_port)
    except OSError as exc:
        raise ConfigError(
            cannot_listen(
                "metrics",
                env.metrics_host,
                env.metrics_port,
                exc,
                port_option="METRICS_PORT",
                host_option="METRICS_HOST",
            )
        ) from None
    log.info("metrics: Prometheus may scrape %s", server.url)
    return server


async def serve_webhooks(
    settings: Settings,
    atlas: AtlasClient,
    notices: PredictionNotices,
    callbacks: CallbackInbox | None = None,
) -> WebhookServer:
    """Listen for Atlas's signed calls at PUBLIC_WEBHOOK_URL's path (before recovery, so the
    jobs it resumes hear of their ending too)."""
    env = settings.env
    verifier = WebhookVerifier(WebhookKeys(atlas.webhook_keys))
    server = WebhookServer(verifier, notices, path=env.webhook_path, jobs=callbacks)
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


__all__ = [
    "Services",
    "build",
    "lease_owner",
    "make_metrics",
    "open_database",
    "open_transcoder",
    "transcode_folder",
    "work_folder",
]
