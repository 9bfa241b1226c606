"""The prompt helper: a chat model rewrites a member's prompt, paid from their budget.

    screen (channel, safety, the server's switch) -> price an upper bound (the prompt's most
    tokens and the answer's `max_tokens` at the model's per-token prices) -> job row + hold
    (one transaction) -> submitting (hold pinned) -> one chat call -> capture what the tokens
    cost + delivered (one transaction)

A first-class job like a video: held, captured or released by the same ledger, and found by
recovery after a crash (held: released; cut off mid-call: kept *uncertain* for an admin, as
Atlas may have billed it). It has no message of its own: the answer is shown privately to the
member who asked, and kept with the job (`JobMeta.answer`) for Use and Edit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.atlas import AtlasError, ChatMessage
from bot.catalogue import LlmSpec, ModelKind, token_price
from bot.db import DatabaseUnavailable
from bot.jobs.context import JobContext
from bot.jobs.lifecycle import JobRunner, captured_job
from bot.jobs.orders import JobRefused, VideoOrder, clean_prompt
from bot.jobs.progress import JobView, view_of
from bot.jobs.record import JobMeta, JobRecord, JobState
from bot.ledger import BudgetExceeded
from bot.money import Micros

log = logging.getLogger("bot.jobs.service")

MESSAGE_OVERHEAD_TOKENS = 16
"""Tokens a chat template adds around each message (role markers): part of the upper bound."""

LANGUAGES = {
    "en-US": "English",
    "en-GB": "English",
    "zh-TW": "Traditional Chinese (zh-TW)",
    "zh-CN": "Simplified Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "fr": "French",
    "de": "German",
    "es-ES": "Spanish",
    "es-419": "Spanish",
    "pt-BR": "Brazilian Portuguese",
    "it": "Italian",
    "nl": "Dutch",
    "pl": "Polish",
    "ru": "Russian",
    "uk": "Ukrainian",
    "tr": "Turkish",
    "vi": "Vietnamese",
    "th": "Thai",
    "id": "Indonesian",
}
"""Discord's locales, named for the model's instructions (the member's language)."""

_TASKS = {
    ModelKind.TEXT_TO_VIDEO: "a prompt for an AI model that makes a short video from text",
    ModelKind.IMAGE_TO_VIDEO: (
        "a prompt for an AI model that animates the member's images into a short video"
    ),
    ModelKind.START_END_FRAME: (
        "a prompt for an AI model that makes a short video from a first and a last frame"
    ),
    ModelKind.VIDEO_EXTEND: (
        "a prompt that says what happens next, for an AI model that continues an existing video"
    ),
    ModelKind.VIDEO_EDIT: (
        "an instruction for an AI model that changes an existing video (what to change)"
    ),
    ModelKind.UPSCALE: "a prompt for an AI model that makes a short video from text",
}


@dataclass(frozen=True)
class HelpAnswer:
    """The improved prompt, what it cost and what the member has left."""

    job_id: str
    text: str
    held: Micros
    charged: Micros
    tokens: tuple[int, int]
    remaining: Micros
    resets_at: datetime


def instructions(kind: ModelKind, locale: str) -> str:
    """The chat model's instructions: rewrite, richer, in the member's language."""
    language = LANGUAGES.get(locale) or LANGUAGES.get(locale.split("-")[0]) or "English"
    task = _TASKS.get(kind, _TASKS[ModelKind.TEXT_TO_VIDEO])
    return (
        f"You improve {task}. Rewrite the member's words as one richer prompt of at most 120 "
        "words: subject, action, setting, camera, light and mood. Keep every detail the member "
        "gave and add nothing that contradicts it. Answer with the prompt alone: no preamble, "
        f"no quotes, no lists. Write it in {language}."
    )


def chat_messages(order: VideoOrder) -> list[ChatMessage]:
    """The messages sent for `order`'s prompt."""
    return [
        ChatMessage(role="system", content=instructions(order.kind, order.locale)),
        ChatMessage(role="user", content=clean_prompt(order.prompt)),
    ]


def token_bound(messages: list[ChatMessage]) -> int:
    """The most prompt tokens these messages can be billed as: a byte-level tokenizer never
    makes more tokens than bytes, plus the template's few per message."""
    return sum(len(m.content.encode()) + MESSAGE_OVERHEAD_TOKENS for m in messages)


class PromptHelper:
    """Improves prompts through the catalogue's (first) chat model, as budgeted jobs."""

    def __init__(self, ctx: JobContext, runner: JobRunner) -> None:
        self._settings = ctx.settings
        self._atlas = ctx.atlas
        self._db = ctx.db
        self._ledger = ctx.ledger
        self._jobs = ctx.jobs
        self._clock = ctx.clock
        self._guild_settings = ctx.guild_settings
        self._moderation = ctx.moderation
        self._balance = ctx.balance
        self._alerts = ctx.alerts
        self._schemas = ctx.schemas
        self._runner = runner

    @property
    def model(self) -> LlmSpec | None:
        """The helper's chat model (None: the catalogue has none, the helper is off)."""
        llms = self._settings.catalogue.llms
        return llms[0] if llms else None

    def prices(self, model: LlmSpec) -> tuple[Micros, Micros]:
        """(input, output) micro-dollars per million tokens: the model list's when it gives
        them (what Atlas bills), else the config's."""
        listed = None if self._schemas is None else self._schemas.listed(model.id)
        given_in = None if listed is None else listed.price.input_per_million
        given_out = None if listed is None else listed.price.output_per_million
        return given_in or model.input_price, given_out or model.output_price

    def upper_bound(self, model: LlmSpec, messages: list[ChatMessage]) -> Micros:
        """The most the answer can cost: every prompt token and `max_tokens` of answer, at the
        higher of the config's and the model list's prices."""
        listed_in, listed_out = self.prices(model)
        price_in = max(listed_in, model.input_price)
        price_out = max(listed_out, model.output_price)
        return token_price(token_bound(messages), price_in) + token_price(
            model.max_tokens, price_out
        )

    async def improve(self, order: VideoOrder, *, helps_job: str | None = None) -> HelpAnswer:
        """Improve `order.prompt` for its member; `JobRefused` when it cannot be (the helper
        is off here, the budget cannot hold its upper bound, Atlas refused: nothing charged)."""
        guild = await self._guild_settings.get(order.guild_id)
        if not guild.allows_prompt_helper:
            raise JobRefused("refused.helper_off")
        if not guild.allows_channel(order.channel_id):
            raise JobRefused("refused.wrong_channel", channel_ids=guild.channel_ids)
        model = self.model
        if model is None:
            raise JobRefused("refused.helper_unavailable")
        prompt = clean_prompt(order.prompt)
        if not prompt:
            raise JobRefused("refused.prompt_empty")
        if len(prompt) > model.max_prompt_chars:
            raise JobRefused(
                "refused.prompt_too_long", limit=model.max_prompt_chars, length=len(prompt)
            )
        await self._moderation.screen(guild, order)
        messages = chat_messages(order)
        bound = self.upper_bound(model, messages)
        if self._balance is not None and await self._balance.refuses(bound):
            raise JobRefused("refused.atlas_balance", needed=bound)
        if self._moderation.needs_prompt_check(guild):
            await self._check_budget(order, bound)
            await self._moderation.screen_prompt(guild, order)
        record = self._record(order, model, prompt, bound, helps_job)
        try:
            async with self._db.transaction() as tx:
                await self._jobs.create(record, tx=tx)
                await self._ledger.reserve(
                    record.id, order.user_id, order.guild_id, order.role_ids, bound, tx=tx
                )
        except BudgetExceeded as exc:
            raise _budget_refusal(exc) from None
        except DatabaseUnavailable as exc:
            log.error("cannot reserve: %s", exc, extra={"job_id": record.id})
            raise JobRefused("refused.ledger_busy") from None
        if self._balance is not None:
            self._balance.draw(bound)
        log.info("prompt help held", extra={"job_id": record.id, "user_id": order.user_id})
        return await self._ask(record, model, messages)

    async def _check_budget(self, order: VideoOrder, bound: Micros) -> None:
        try:
            await self._ledger.check(order.user_id, order.guild_id, order.role_ids, bound)
        except BudgetExceeded as exc:
            raise _budget_refusal(exc) from None

    def _record(
        self,
        order: VideoOrder,
        model: LlmSpec,
        prompt: str,
        bound: Micros,
        helps_job: str | None,
    ) -> JobRecord:
        now = self._clock()
        meta = JobMeta(
            prompt=prompt,
            duration=0,
            aspect_ratio="",
            resolution="",
            seed=0,
            role_ids=order.role_ids,
            locale=order.locale,
            helps_job=helps_job,
        )
        return JobRecord.held(
            user_id=order.user_id,
            guild_id=order.guild_id,
            channel_id=order.channel_id,
            model=model.id,
            meta=meta,
            quote=bound,
            now=now,
        )

    async def _ask(
        self, record: JobRecord, model: LlmSpec, messages: list[ChatMessage]
    ) -> HelpAnswer:
        """Pin the hold, ask once, then capture what the tokens cost (or release it)."""
        job_id = record.id
        async with self._db.transaction() as tx:
            await self._jobs.advance(job_id, JobState.SUBMITTING, tx=tx, submitted_at=self._clock())
            await self._ledger.pin(job_id, tx=tx)
        try:
            answer = await self._atlas.chat(model.id, messages, max_tokens=model.max_tokens)
        except AtlasError as exc:
            if exc.submit_may_have_started:
                # Atlas may have answered, and billed: keep the hold for an admin.
                view = view_of(record, self._settings.catalogue)
                await self._runner.mark_uncertain(job_id, _Unseen(), view, exc)
                raise JobRefused("refused.helper_uncertain") from None
            await self._runner.settle_failure(job_id, JobState.FAILED, str(exc))
            raise JobRefused("refused.helper_failed", detail=str(exc)) from None
        price_in, price_out = self.prices(model)
        price = token_price(answer.prompt_tokens, price_in) + token_price(
            answer.completion_tokens, price_out
        )
        tokens = (answer.prompt_tokens, answer.completion_tokens)
        meta = record.meta.but(answer=answer.text, tokens=tokens)
        async with self._db.transaction() as tx:
            settlement = await self._ledger.capture(job_id, price, tx=tx)
            await self._jobs.advance(
                job_id, JobState.DELIVERED, tx=tx, actual_price=price, meta=meta
            )
        if self._alerts is not None:
            self._alerts.captured(captured_job(record.guild_id, record.user_id, meta))
        log.info(
            "prompt help delivered",
            extra={"job_id": job_id, "charged": settlement.amount},
        )
        summary = await self._ledger.summary(record.user_id, record.guild_id, record.meta.role_ids)
        if not answer.text:
            raise JobRefused("refused.helper_empty")
        return HelpAnswer(
            job_id,
            answer.text,
            record.quote,
            settlement.amount,
            tokens,
            summary.remaining,
            summary.resets_at,
        )


def _budget_refusal(exc: BudgetExceeded) -> JobRefused:
    """The member's refusal: what the helper holds at most, and what is left."""
    key = {
        "user": "refused.helper_budget",
        "role": "refused.helper_budget",
        "guild": "refused.helper_budget_shared",
        "bot": "refused.helper_budget_shared",
        "not_allowed": "refused.budget.not_allowed",
    }.get(exc.limit, "refused.helper_busy")
    return JobRefused(key, needed=exc.needed, remaining=exc.remaining, resets_at=exc.resets_at)


class _Unseen:
    """The helper's job has no message to edit: the member hears of its ending directly."""

    @property
    def upload_limit(self) -> int:
        """Nothing is attached."""
        return 0

    async def show(self, view: JobView, video: Path | None = None) -> None:
        """Nothing to edit."""


__all__ = ["LANGUAGES", "HelpAnswer", "PromptHelper", "chat_messages", "instructions"]
