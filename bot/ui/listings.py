"""Embeds about jobs beyond their own message: /queue, /history and a job's Info."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import discord

from bot.guilds.delivery import DeliveryMode
from bot.i18n import t
from bot.jobs.overview import QueueEntry
from bot.jobs.record import JobMeta, JobRecord, SentVideo
from bot.ledger import Settlement
from bot.money import format_usd
from bot.ui.render import duration_text, size_text, timestamp

LINES_PER_FIELD = 10
PROMPT_IN_LIST = 60
PROMPT_IN_INFO = 1000


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    """The link that opens a message in Discord."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def _short(prompt: str, limit: int) -> str:
    text = prompt if len(prompt) <= limit else prompt[: limit - 1] + "…"
    # Square brackets would end a link's text early.
    return discord.utils.escape_markdown(text.replace("[", "(").replace("]", ")"))


def _prompt(meta: JobMeta, limit: int, locale: str) -> str:
    """The job's prompt as a list shows it, or that it was erased (retention, or the member
    was forgotten)."""
    return t("privacy.prompt_erased", locale) if meta.erased else _short(meta.prompt, limit)


def _stage(entry: QueueEntry, locale: str) -> str:
    return t(f"queue.stage.{entry.stage}", locale, position=entry.position)


def _queue_lines(entries: Sequence[tuple[int, QueueEntry]], locale: str) -> str:
    lines = [
        f"`{number}.` <@{entry.user_id}> · {entry.model_label} · {_stage(entry, locale)} · "
        + t("queue.elapsed", locale, elapsed=duration_text(entry.elapsed_seconds))
        for number, entry in entries[:LINES_PER_FIELD]
    ]
    if len(entries) > LINES_PER_FIELD:
        lines.append(t("queue.more", locale, count=len(entries) - LINES_PER_FIELD))
    return "\n".join(lines)


def queue_embed(entries: Sequence[QueueEntry], viewer_id: int, locale: str) -> discord.Embed:
    """The server's line, oldest first and numbered so; the viewer's own jobs shown first."""
    embed = discord.Embed(title=t("queue.title", locale), colour=discord.Colour.blurple())
    if not entries:
        embed.description = t("queue.empty", locale)
        return embed
    numbered = list(enumerate(entries, start=1))
    mine = [(n, e) for n, e in numbered if e.user_id == viewer_id]
    others = [(n, e) for n, e in numbered if e.user_id != viewer_id]
    if mine:
        embed.add_field(
            name=t("queue.yours", locale), value=_queue_lines(mine, locale), inline=False
        )
    if others:
        embed.add_field(
            name=t("queue.others", locale), value=_queue_lines(others, locale), inline=False
        )
    return embed


def cost_text(job: JobRecord, settlement: Settlement | None, locale: str) -> str:
    """What the job cost, as the ledger says: charged, nothing (released), or still on hold."""
    if settlement is None:
        return t("info.on_hold", locale, amount=format_usd(job.quote))
    if settlement.outcome == "captured":
        return t("job.charged", locale, amount=format_usd(settlement.amount))
    return t("history.released", locale)


def history_embed(
    jobs: Sequence[JobRecord],
    settlements: Mapping[str, Settlement | None],
    title: str,
    locale: str,
) -> discord.Embed:
    """A member's latest jobs, newest first: prompt (linking to the result), cost, state."""
    lines = []
    for number, job in enumerate(jobs, start=1):
        prompt = _prompt(job.meta, PROMPT_IN_LIST, locale)
        if job.meta.deleted_by is not None:
            shown = f"{prompt} ({t('history.deleted', locale)})"
        elif job.message_id is not None:
            shown = f"[{prompt}]({jump_url(job.guild_id, job.channel_id, job.message_id)})"
        else:
            shown = prompt
        lines.append(
            f"**{number}.** {shown} · {cost_text(job, settlements.get(job.id), locale)} · "
            f"{t(f'state.{job.state.value}', locale)} · {timestamp(job.created_at)}"
        )
    return discord.Embed(
        title=title,
        description="\n".join(lines) or t("history.none", locale),
        colour=discord.Colour.blurple(),
    )


def _timings(job: JobRecord, locale: str) -> str:
    lines = [t("info.requested", locale, at=timestamp(job.created_at, "f"))]
    if job.submitted_at is not None:
        wait = (job.submitted_at - job.created_at).total_seconds()
        lines.append(
            t(
                "info.submitted",
                locale,
                at=timestamp(job.submitted_at, "T"),
                wait=duration_text(wait),
            )
        )
    if job.state.is_terminal:
        if job.submitted_at is not None:
            took = (job.updated_at - job.submitted_at).total_seconds()
            lines.append(
                t("info.ended", locale, at=timestamp(job.updated_at, "T"), took=duration_text(took))
            )
        else:
            lines.append(t("info.ended_unsent", locale, at=timestamp(job.updated_at, "T")))
    return "\n".join(lines)


def _file_lines(sent: SentVideo, in_dm: bool, locale: str) -> str:
    """Atlas's original beside what was attached (or why nothing was)."""
    lines = [t("info.file.original", locale, size=size_text(sent.original_bytes))]
    if sent.link is not None:
        reason = t(f"info.link.{sent.link.value}", locale)
        lines.append(t("info.file.link", locale, reason=reason))
    elif sent.compressed:
        limit = t("job.limit.dm" if in_dm else "job.limit.server", locale)
        lines.append(
            t(
                "info.file.compressed",
                locale,
                size=size_text(sent.attached_bytes),
                width=sent.width,
                height=sent.height,
                limit=limit.format(size=size_text(sent.limit_bytes)),
            )
        )
    else:
        lines.append(t("info.file.as_is", locale))
    return "\n".join(lines)


def info_embed(
    job: JobRecord, settlement: Settlement | None, model_label: str, locale: str
) -> discord.Embed:
    """Every parameter of a job, its Atlas prediction id, its money and its timings."""
    meta = job.meta
    embed = discord.Embed(
        title=t("info.title", locale),
        description=_prompt(meta, PROMPT_IN_INFO, locale),
        colour=discord.Colour.blurple(),
    )
    embed.add_field(name=t("info.field.requester", locale), value=f"<@{job.user_id}>")
    embed.add_field(name=t("job.field.model", locale), value=f"{model_label}\n`{job.model}`")
    options = f"{meta.duration} s · {meta.aspect_ratio} · {meta.resolution}"
    embed.add_field(name=t("info.field.options", locale), value=options)
    embed.add_field(name=t("job.field.seed", locale), value=str(meta.seed))
    if meta.image_count:
        embed.add_field(name=t("job.field.images", locale), value=str(meta.image_count))
    embed.add_field(name=t("info.field.state", locale), value=t(f"state.{job.state.value}", locale))
    embed.add_field(
        name=t("info.field.prediction", locale),
        value=f"`{job.prediction_id}`" if job.prediction_id else t("info.none", locale),
        inline=False,
    )
    embed.add_field(name=t("info.field.quoted", locale), value=format_usd(job.quote))
    if settlement is None:
        charged = t("info.on_hold", locale, amount=format_usd(job.quote))
    elif settlement.outcome == "captured":
        charged = format_usd(settlement.amount)
    else:
        charged = t("info.released", locale)
    embed.add_field(name=t("info.field.charged", locale), value=charged)
    if meta.approved_by is not None:
        embed.add_field(name=t("info.field.approved_by", locale), value=f"<@{meta.approved_by}>")
    if meta.sent is not None:
        in_dm = meta.delivery.mode is DeliveryMode.DM
        embed.add_field(
            name=t("info.field.file", locale),
            value=_file_lines(meta.sent, in_dm, locale),
            inline=False,
        )
    embed.add_field(name=t("info.field.timings", locale), value=_timings(job, locale), inline=False)
    embed.set_footer(text=f"job {job.id}")
    return embed


__all__ = ["cost_text", "history_embed", "info_embed", "jump_url", "queue_embed"]
