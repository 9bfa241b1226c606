"""A server's safety rules applied to a job, before money moves and after Atlas answers.

The rules, the regex sandbox, strikes and held files are `bot.safety`; this module ties them to
the job table (a held video marks its job delivered, a review is noted in the job row).

Before: `screen` refuses (with `JobRefused`, nothing held) a job in a channel that is not
age-restricted when the server asks for one, a job by a paused member, and a prompt that breaks
one of the server's word rules, naming the rule's label, never the word that matched;
`screen_prompt` runs the regex rules in the sandbox, which costs the bot a worker's time, so
the job service calls it only once the member is known to fit their budget.

After: `record_rejection` counts a job Atlas's moderation rejected (error_code 1039) and may
pause the member (`bot.safety.strikes`); `announce` tells the server's log channel. An output
Atlas flags (`has_nsfw_contents`) is either delivered behind a spoiler or, in review mode, kept
on disk (`HeldVideos`) until a moderator approves or removes it; `review` records that decision.
Knows nothing of Discord: notices go to a `NoticeSink` that the Discord layer provides.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from bot.db.store import Store
from bot.db.times import utc_now
from bot.guilds.settings import GuildSettings, GuildSettingsStore, SettingsRefused
from bot.jobs.orders import JobRefused, VideoOrder
from bot.jobs.record import JobRecord, JobState
from bot.jobs.store import JobStore
from bot.safety.held import FlaggedOutputs, HeldVideos, Review
from bot.safety.notices import Notice, NoticeSink
from bot.safety.prompt_rules import (
    PromptRule,
    RuleProblem,
    check_rules,
    fold,
    parse_words,
)
from bot.safety.regex_sandbox import RegexSandbox
from bot.safety.screening import PromptScreen, PromptTooComplex, RulesUnavailable
from bot.safety.strikes import DEFAULT_REJECTION_LIMIT, Strike, StrikeStore

log = logging.getLogger(__name__)


class ReviewRefused(Exception):
    """No flagged video of this server waits for that decision: `reason` is "unknown"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Moderation:
    """Prompt rules, age-restricted channels, rejection strikes and flagged outputs."""

    def __init__(
        self,
        db: Store,
        guild_settings: GuildSettingsStore,
        jobs: JobStore,
        *,
        held_folder: Path,
        clock: Callable[[], datetime] = utc_now,
        sandbox: RegexSandbox | None = None,
    ) -> None:
        self._settings = guild_settings
        self._jobs = jobs
        self.strikes = StrikeStore(db, clock=clock)
        self.screen_rules = PromptScreen(sandbox)
        self.held = HeldVideos(held_folder)
        self.notices: NoticeSink | None = None
        self._reviewing: set[str] = set()

    # -- before money moves ------------------------------------------------------------------

    async def screen(self, guild: GuildSettings, order: VideoOrder) -> None:
        """Refuse (`JobRefused`) what the server's safety settings forbid, as far as is cheap
        to tell: the channel, a pause, the word rules; nothing is held. The regex rules are
        `screen_prompt`'s, once the member is known to fit their budget."""
        if guild.nsfw_only and not order.channel_nsfw:
            raise JobRefused("refused.nsfw_only")
        if await self.strikes.is_paused(order.guild_id, order.user_id):
            raise JobRefused("refused.member_paused")
        try:
            label = self.screen_rules.broken_word_rule(guild.prompt_rules, order.prompt)
        except PromptTooComplex:
            raise JobRefused("refused.prompt_too_complex") from None
        self._refuse_by_rule(order, label)

    def needs_prompt_check(self, guild: GuildSettings) -> bool:
        """Whether `screen_prompt` has work to do for this server (it has regex rules)."""
        return self.screen_rules.has_regex_rules(guild.prompt_rules)

    async def screen_prompt(self, guild: GuildSettings, order: VideoOrder) -> None:
        """Refuse (`JobRefused`) a prompt that breaks one of the server's regex rules, or that
        could not be checked in time; run in the server's own lane of the regex workers."""
        try:
            label = await self.screen_rules.broken_regex_rule(
                guild.prompt_rules, order.prompt, guild_id=order.guild_id
            )
        except PromptTooComplex:
            raise JobRefused("refused.prompt_too_complex") from None
        except RulesUnavailable:
            raise JobRefused("refused.prompt_rules_unavailable") from None
        self._refuse_by_rule(order, label)

    @staticmethod
    def _refuse_by_rule(order: VideoOrder, label: str | None) -> None:
        if label is not None:
            log.info(
                "prompt refused by rule %r",
                label,
                extra={"user_id": order.user_id, "guild_id": order.guild_id},
            )
            raise JobRefused("refused.prompt_rule", rule=label)

    async def add_rule(
        self, guild_id: int, *, by: int, label: str, words: str | None, regex: str | None
    ) -> GuildSettings:
        """Store a rule (replacing one with the same label); `SettingsRefused` says why not.

        A regex is timed in the sandbox against inputs made to trip backtracking first.
        """
        label = " ".join(label.split())
        if (words is None) == (regex is None):
            raise SettingsRefused("rules.words_or_regex")
        rule = PromptRule(label, parse_words(words) if words is not None else (), regex)
        try:
            check_rules([rule])
        except RuleProblem as problem:
            raise SettingsRefused(problem.key, **problem.params) from None
        if regex is not None and not await self.screen_rules.regex_is_fast(
            regex, guild_id=guild_id
        ):
            raise SettingsRefused("rules.regex.slow")
        key = fold(label)

        def change(current: GuildSettings) -> GuildSettings:
            kept = [r for r in current.prompt_rules if fold(r.label) != key]
            return replace(current, prompt_rules=(*kept, rule))

        return await self._settings.update(guild_id, by=by, change=change)

    async def remove_rule(self, guild_id: int, *, by: int, label: str) -> GuildSettings:
        """Forget the rule with this label (`SettingsRefused` when there is none)."""
        key = fold(" ".join(label.split()))

        def change(current: GuildSettings) -> GuildSettings:
            kept = tuple(r for r in current.prompt_rules if fold(r.label) != key)
            if len(kept) == len(current.prompt_rules):
                raise SettingsRefused("rules.unknown_label", label=label)
            return replace(current, prompt_rules=kept)

        return await self._settings.update(guild_id, by=by, change=change)

    # -- after Atlas answered ----------------------------------------------------------------

    async def record_rejection(self, job_id: str) -> Strike | None:
        """Count a job rejected by Atlas's moderation against its member; may pause them.

        None when it could not be counted: that is logged, and never stops the job's release.
        """
        try:
            job = await self._jobs.get(job_id)
            if job is None:
                return None
            guild = await self._settings.get(job.guild_id)
            limit = guild.rejection_limit or DEFAULT_REJECTION_LIMIT
            strike = await self.strikes.record_rejection(
                job.guild_id, job.user_id, job.id, limit=limit
            )
        except Exception:
            log.exception("could not count a moderation rejection", extra={"job_id": job_id})
            return None
        if strike.paused_now:
            log.warning(
                "member paused after %d rejections",
                strike.count,
                extra={"user_id": job.user_id, "guild_id": job.guild_id, "job_id": job.id},
            )
        return strike

    async def announce_rejection(self, job_id: str, strike: Strike) -> None:
        """The log channel's line for a rejection (saying so when it paused the member)."""
        job = await self._jobs.get(job_id)
        if job is not None:
            kind = "paused" if strike.paused_now else "rejected"
            await self.announce(job.guild_id, kind, user_id=job.user_id, job=job, strike=strike)

    async def holds_flagged(self, guild_id: int) -> bool:
        """The server wants flagged videos held for a moderator (review mode)."""
        guild = await self._settings.get(guild_id)
        return guild.flagged_outputs == FlaggedOutputs.REVIEW.value

    async def hold(self, job_id: str, video: Path | None, output_url: str | None) -> JobRecord:
        """Keep a flagged video for a moderator: the file on disk, the job delivered (Atlas
        billed it) with its review pending, before any button can be pressed."""
        if video is not None:
            await self.held.keep(job_id, video)
        job = await self._jobs.get(job_id)
        assert job is not None, "a job being delivered exists"
        meta = job.meta.but(review=Review.PENDING, output_url=output_url)
        record = await self._jobs.advance(job_id, JobState.DELIVERED, meta=meta)
        log.info("flagged video held for review", extra={"job_id": job_id})
        return record

    def drop_held(self, job_id: str) -> None:
        """Forget a held video's file (delivered after approval, or removed)."""
        self.held.drop(job_id)

    async def unpause(self, guild_id: int, user_id: int, *, by: int) -> bool:
        """An admin lifts a member's pause; False when the member was not paused."""
        lifted = await self.strikes.unpause(guild_id, user_id, by=by)
        if lifted:
            log.info("member unpaused", extra={"user_id": user_id, "guild_id": guild_id})
            await self.announce(guild_id, "unpaused", user_id=user_id, by=by)
        return lifted

    async def review(
        self, job_id: str, guild_id: int, *, approve: bool, by: int
    ) -> tuple[JobRecord, Path | None]:
        """A moderator approves or removes a held video: the job and its file (to deliver on
        approval; the caller drops it after). `ReviewRefused` when nothing waits."""
        if job_id in self._reviewing:  # two moderators clicked at once: the first decides
            raise ReviewRefused("unknown")
        self._reviewing.add(job_id)
        try:
            job = await self._jobs.get(job_id)
            if job is None or job.guild_id != guild_id or job.meta.review is not Review.PENDING:
                raise ReviewRefused("unknown")
            decision = Review.APPROVED if approve else Review.REMOVED
            meta = job.meta.but(review=decision, reviewed_by=by)
            job = await self._jobs.advance(job_id, job.state, meta=meta)
        finally:
            self._reviewing.discard(job_id)
        video = self.held.find(job_id)
        if not approve:
            self.held.drop(job_id)
            video = None
        log.info("flagged video %s", decision.value, extra={"job_id": job_id, "user_id": by})
        await self.announce(guild_id, decision.value, user_id=job.user_id, job=job, by=by)
        return job, video

    async def announce(
        self,
        guild_id: int,
        kind: str,
        *,
        user_id: int,
        job: JobRecord | None = None,
        strike: Strike | None = None,
        by: int | None = None,
    ) -> None:
        """One line in the server's log channel, if it has one; a failure is only logged."""
        guild = await self._settings.get(guild_id)
        if guild.log_channel_id is None or self.notices is None:
            return
        notice = Notice(
            kind,
            guild_id,
            guild.log_channel_id,
            user_id,
            job_id=None if job is None else job.id,
            count=0 if strike is None else strike.count,
            limit=0 if strike is None else strike.limit,
            by=by,
            job_channel_id=None if job is None else job.channel_id,
            job_message_id=None if job is None else job.message_id,
        )
        try:
            await self.notices.post(notice)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not post to the log channel", extra={"guild_id": guild_id})

    async def close(self) -> None:
        """Stop the regex worker."""
        await self.screen_rules.close()


__all__ = [
    "FlaggedOutputs",
    "HeldVideos",
    "Moderation",
    "Notice",
    "NoticeSink",
    "Review",
    "ReviewRefused",
]
