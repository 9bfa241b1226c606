"""What every part of a job's life works with, built once (by `bot.builder`) and shared by the
job service, the runner and recovery, so none of them builds or lists its collaborators."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.atlas import AtlasClient
from bot.atlas.schemas import ModelSchemas
from bot.db import Store
from bot.db.times import utc_now
from bot.guilds.settings import GuildSettingsStore
from bot.jobs.callbacks import CallbackInbox
from bot.jobs.eta import Eta
from bot.jobs.line import Line
from bot.jobs.media import AttachmentFetcher
from bot.jobs.moderation import Moderation
from bot.jobs.outputs import OutputDesk
from bot.jobs.privacy import Privacy
from bot.jobs.store import JobStore
from bot.ledger import Ledger
from bot.metrics import Metrics
from bot.operator import BalanceWatch, BudgetAlerts
from bot.settings import Settings

REFRESH_SECONDS = 5.0
"""A job waiting in line edits its place at most this often (and at most a few times)."""
NOTICE_AFTER_SECONDS = 1.0
"""A step shorter than this (e.g. downloading a small video) gets no edit of its own."""


@dataclass(frozen=True)
class JobContext:
    """The long-lived collaborators of every job, and the clocks and timings they run on."""

    settings: Settings
    atlas: AtlasClient
    db: Store
    ledger: Ledger
    jobs: JobStore
    fetcher: AttachmentFetcher
    eta: Eta
    """Learned generation times: when to poll."""
    moderation: Moderation
    guild_settings: GuildSettingsStore
    """Each server's settings (defaults, approval, delivery)."""
    line: Line
    outputs: OutputDesk
    """Fetches finished videos and fits them to the destination's upload limit."""
    clock: Callable[[], datetime] = utc_now
    """Wall clock: job and ledger times."""
    monotonic: Callable[[], float] = time.monotonic
    refresh_seconds: float = REFRESH_SECONDS
    notice_after_seconds: float = NOTICE_AFTER_SECONDS
    simulated: bool = False
    """A dry run: messages say the videos are simulated."""
    callbacks: CallbackInbox | None = None
    """Atlas's calls about our jobs (PUBLIC_WEBHOOK_URL set), kept with each job."""
    balance: BalanceWatch | None = None
    """The Atlas balance: a job it cannot pay is refused before anything is held."""
    alerts: BudgetAlerts | None = None
    """Told of every capture: members, admins and the operator hear of budgets running out."""
    metrics: Metrics | None = None
    privacy: Privacy | None = None
    """Retention and held-video upkeep, run by the periodic sweep."""
    schemas: ModelSchemas | None = None
    """Atlas's model list and input schemas (cached): a request Atlas would refuse is refused
    before money is held; the prompt helper's prices."""


__all__ = ["NOTICE_AFTER_SECONDS", "REFRESH_SECONDS", "JobContext"]
