"""Before money moves: a member's order validated, quoted, checked and held.

`JobPreparer.hold` turns an order into held jobs (job rows and holds, one transaction, all or
none), or refuses it with a message key and, where one fits, an offer. A job that starts from
a video has it read (its length sets the price and the limits) and uploaded before the hold;
a job priced above the server's approval threshold is prepared waiting for an admin.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from bot.catalogue import MAKER_KINDS
from bot.db import DatabaseUnavailable
from bot.guilds.delivery import delivery_for
from bot.guilds.settings import GuildSettings
from bot.jobs.approval import Approvals
from bot.jobs.attachments import video_byte_limit
from bot.jobs.context import JobContext
from bot.jobs.inputs import InputVideos, ReadVideo
from bot.jobs.lifecycle import PreparedJob
from bot.jobs.offers import MONEY_LIMITS, BudgetRefused, OfferBook
from bot.jobs.orders import JobRefused, ValidatedOrder, VideoOrder, batch_seeds, validate_order
from bot.jobs.progress import JobStatus, JobView
from bot.jobs.record import JobRecord
from bot.jobs.requests import schema_problems
from bot.ledger import BudgetExceeded

log = logging.getLogger(__name__)


class JobPreparer:
    """Validates, quotes and holds orders; knows nothing of running them."""

    def __init__(
        self,
        ctx: JobContext,
        *,
        offers: OfferBook,
        approvals: Approvals,
        view_of: Callable[[JobRecord], JobView],
    ) -> None:
        self._settings = ctx.settings
        self._db = ctx.db
        self._ledger = ctx.ledger
        self._jobs = ctx.jobs
        self._clock = ctx.clock
        self._line = ctx.line
        self._guild_settings = ctx.guild_settings
        self._moderation = ctx.moderation
        self._balance = ctx.balance
        self._schemas = ctx.schemas
        self._offers = offers
        self._approvals = approvals
        self._view_of = view_of
        self._videos = InputVideos(
            ctx.fetcher, ctx.atlas, encoder_path=ctx.settings.delivery.encoder_path
        )

    async def hold(self, order: VideoOrder) -> list[PreparedJob]:
        """Validate and quote `order` (`order.count` videos, each with its own seed), then
        create their job rows and hold their prices in one transaction: all or none.

        Raises `JobRefused` (bad input, the server's settings, or a limit: nothing is held)
        with a message key; a refused batch offers the number of videos that fits. A job
        priced above the server's approval threshold is prepared waiting for an admin
        (`approval_timeout` set).
        """
        guild = await self._guild_settings.get(order.guild_id)
        if not guild.allows_channel(order.channel_id):
            raise JobRefused("refused.wrong_channel", channel_ids=guild.channel_ids)
        await self._moderation.screen(guild, order)  # age-restricted channels, pauses, words
        validated = validate_order(order, self._settings, guild)
        with tempfile.TemporaryDirectory(prefix="atlas-bot-") as folder:
            read: ReadVideo | None = None
            if validated.needs_input:
                read, validated = await self._read_input(validated, guild, Path(folder))
            self._check_schema(validated)
            total = validated.price * order.count
            if self._balance is not None and await self._balance.refuses(total):
                raise JobRefused("refused.atlas_balance", needed=total)
            regex_rules = self._moderation.needs_prompt_check(guild)
            if regex_rules or read is not None:
                # Regex rules cost a worker's time, an upload Atlas's: only for a member who
                # may spend (read-only; the reserve below decides again).
                try:
                    await self._ledger.check(order.user_id, order.guild_id, order.role_ids, total)
                except BudgetExceeded as exc:
                    raise self._refusal(exc, validated, guild, fits=0) from None
            if regex_rules:
                await self._moderation.screen_prompt(guild, order)
            if read is not None:
                url = await self._videos.upload(read)
                validated = replace(validated, meta=validated.meta.but(video_url=url))
        # Where the video goes is decided now and kept with the job, for a restart to follow.
        delivery = delivery_for(guild, order.channel_id, prefers_dm=order.prefers_dm)
        validated = replace(validated, meta=validated.meta.but(delivery=delivery))
        now = self._clock()
        records = [
            self._record(validated, seed, now, index, order.count)
            for index, seed in enumerate(batch_seeds(validated), start=1)
        ]
        held = 0
        try:
            async with self._db.transaction() as tx:
                for record in records:
                    await self._jobs.create(record, tx=tx)
                    await self._ledger.reserve(
                        record.id,
                        order.user_id,
                        order.guild_id,
                        order.role_ids,
                        validated.price,
                        tx=tx,
                    )
                    held += 1
        except BudgetExceeded as exc:
            raise self._refusal(exc, validated, guild, fits=held) from None
        except DatabaseUnavailable as exc:
            # The ledger cannot take the hold (locked, disk full): nothing was reserved.
            log.error("cannot reserve: %s", exc, extra={"job_id": records[0].id})
            raise JobRefused("refused.ledger_busy") from None
        if self._balance is not None:
            self._balance.draw(total)
        prepared = []
        for record in records:
            log.info(
                "job held",
                extra={"job_id": record.id, "user_id": order.user_id, "guild_id": order.guild_id},
            )
            job = replace(validated, seed=record.meta.seed, meta=record.meta)
            prepared.append(self._ready(job, record, guild, now))
        return prepared

    async def _read_input(
        self, validated: ValidatedOrder, guild: GuildSettings, folder: Path
    ) -> tuple[ReadVideo, ValidatedOrder]:
        """Download and read the video a job starts from, then validate the order again with
        its length (what the model takes, and an edit's price): all before any hold."""
        video = validated.order.video
        if video is None:  # validate_order refuses an order with no video at all
            raise JobRefused("refused.no_video")
        limit = video_byte_limit(validated.model, self._settings.attachments)
        read = await self._videos.read(video, folder, max_bytes=limit)
        order = replace(validated.order, input_seconds=read.seconds)
        return read, validate_order(order, self._settings, guild)

    def _check_schema(self, validated: ValidatedOrder) -> None:
        """Refuse a request the model's published schema refuses, before money is held (as
        Atlas's own MCP server checks before a paid call); the operator hears of it too."""
        problems = schema_problems(validated, self._schemas)
        if not problems:
            return
        model = validated.model
        log.warning(
            "Atlas's input schema for %s refuses the bot's request (%s): run "
            "`atlas-video-bot check` and correct the catalogue",
            model.id,
            "; ".join(str(p) for p in problems),
        )
        raise JobRefused("refused.atlas_schema", model=model.label, detail=str(problems[0]))

    def _record(
        self, validated: ValidatedOrder, seed: int, now: datetime, index: int, count: int
    ) -> JobRecord:
        order = validated.order
        batch = (index, count) if count > 1 else None
        return JobRecord.held(
            user_id=order.user_id,
            guild_id=order.guild_id,
            channel_id=order.channel_id,
            model=validated.model.id,
            meta=validated.meta.but(seed=seed, batch=batch),
            quote=validated.price,
            now=now,
        )

    def _refusal(
        self, exc: BudgetExceeded, validated: ValidatedOrder, guild: GuildSettings, *, fits: int
    ) -> BudgetRefused:
        """The member's refusal: for one video a cheaper one that fits, if any; for a batch
        the number of videos that fits, if any; and how full the line is."""
        order = validated.order
        count = order.count
        offer = None
        if count > 1 and fits:
            offer = self._offers.propose_count(validated, fits)
        elif count == 1 and exc.limit in MONEY_LIMITS and order.kind in MAKER_KINDS:
            offer = self._offers.propose(validated, guild, exc.remaining)
        key = f"refused.budget.{exc.limit}"
        remaining = exc.remaining
        if count > 1:
            money = exc.limit in MONEY_LIMITS or exc.limit == "bot"
            key = "refused.batch.money" if money else "refused.batch.line"
            remaining += fits * validated.price  # what was left before this batch
        return BudgetRefused(
            key,
            offer,
            needed=validated.price * count if count > 1 else exc.needed,
            remaining=remaining,
            resets_at=exc.resets_at,
            count=count,
            fits=fits,
            # How full the line is, for the refusals of a full line.
            open=self._settings.budget.max_open_jobs_per_user,
            waiting=self._line.waiting_in(order.guild_id),
            running=self._line.running_in(order.guild_id),
        )

    def _ready(
        self, job: ValidatedOrder, record: JobRecord, guild: GuildSettings, now: datetime
    ) -> PreparedJob:
        """A held job, ready to run or to wait for an admin's approval."""
        view = self._view_of(record)
        if job.order.last_image is not None:  # uploaded once it runs: shown from the start
            view = view.but(last_frame="image")
        if not guild.needs_approval(job.price):
            return PreparedJob(record.id, job, view)
        # Decided before the hold could expire, so an approved job never finds it released.
        ttl = self._settings.budget.hold_ttl_seconds
        timeout = min(guild.approval_timeout, max(ttl - 60.0, ttl / 2))
        deadline = now + timedelta(seconds=timeout)
        self._approvals.open(record.id, record.guild_id, deadline)
        view = view.but(status=JobStatus.AWAITING_APPROVAL, approval_deadline=deadline)
        return PreparedJob(record.id, job, view, approval_timeout=timeout)


__all__ = ["JobPreparer"]
