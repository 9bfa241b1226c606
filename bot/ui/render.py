"""Turning a `JobView` into what Discord shows: an embed, buttons and a line of text."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import discord

from bot.i18n import t
from bot.jobs.orders import JobRefused
from bot.jobs.progress import JobStatus, JobView
from bot.jobs.record import LinkReason
from bot.money import format_usd

_COLOURS = {
    JobStatus.DELIVERED: discord.Colour.green(),
    JobStatus.FAILED: discord.Colour.red(),
    JobStatus.CANCELLED: discord.Colour.dark_grey(),
    JobStatus.UNCERTAIN: discord.Colour.orange(),
    JobStatus.HELD_FOR_REVIEW: discord.Colour.orange(),
    JobStatus.REMOVED: discord.Colour.dark_grey(),
}
PROMPT_SHOWN_CHARS = 1000


def timestamp(moment: datetime | None, style: str = "R") -> str:
    """A Discord timestamp that each member sees in their own time zone."""
    return "?" if moment is None else discord.utils.format_dt(moment, style=style)  # type: ignore[arg-type]


def duration_text(seconds: float) -> str:
    """ "1m 05s" or "42s"."""
    whole = int(seconds)
    return f"{whole // 60}m {whole % 60:02d}s" if whole >= 60 else f"{whole}s"


def status_text(view: JobView, locale: str) -> str:
    """The status line of the job's embed (and, for a job whose submit's answer was lost but
    Atlas's call confirmed it after all, a line saying so)."""
    text = _status_line(view, locale)
    if view.confirmed_by_call and view.status is not JobStatus.UNCERTAIN:
        return f"{text}\n{t('status.confirmed_by_call', locale)}"
    return text


def _status_line(view: JobView, locale: str) -> str:
    key = f"status.{view.status.value}"
    if view.status is JobStatus.GENERATING:
        # A relative timestamp ("started 42 seconds ago") that Discord's client keeps counting
        # up by itself: live elapsed time without editing the message every few seconds.
        expected = duration_text(view.expected_seconds)
        if view.started_at is None:
            return t("status.generating_unstarted", locale, expected=expected)
        return t(key, locale, started=timestamp(view.started_at, "R"), expected=expected)
    if view.status is JobStatus.AWAITING_APPROVAL:
        return t(key, locale, deadline=timestamp(view.approval_deadline))
    if view.status is JobStatus.QUEUED and view.queue_position is not None:
        if view.starts_at is None:
            return t("status.queued_position", locale, position=view.queue_position)
        return t(
            "status.queued_starts",
            locale,
            position=view.queue_position,
            starts=timestamp(view.starts_at, "R"),
        )
    if view.status is JobStatus.DOWNLOADING and view.retry_until is not None:
        return t("status.downloading_retry", locale, until=timestamp(view.retry_until, "R"))
    if view.status is JobStatus.COMPRESSING and view.encoder_ahead is not None:
        return t("status.compressing_waiting", locale, ahead=view.encoder_ahead)
    if view.status is JobStatus.DELIVERED:
        return t(key, locale, elapsed=duration_text(view.elapsed_seconds))
    if view.status is JobStatus.FAILED and view.failure is not None:
        reason = t(f"failure.{view.failure.value}", locale, detail=view.failure_detail or "")
        return f"{t(key, locale)}\n{reason}"
    return t(key, locale)


def job_embed(view: JobView, locale: str) -> discord.Embed:
    """The embed of the member's job message, at any stage."""
    title = t("job.title_simulated" if view.simulated else "job.title", locale)
    prompt = (
        view.prompt
        if len(view.prompt) <= PROMPT_SHOWN_CHARS
        else (view.prompt[: PROMPT_SHOWN_CHARS - 1] + "…")
    )
    embed = discord.Embed(
        title=title,
        description=prompt,
        colour=_COLOURS.get(view.status, discord.Colour.blurple()),
    )
    if not view.made_anew:  # an extension, an edit, an upscale of another video
        embed.add_field(name=t("job.field.kind", locale), value=t(f"kind.{view.kind}", locale))
    embed.add_field(name=t("job.field.model", locale), value=view.model_label)
    embed.add_field(name=t("job.field.duration", locale), value=_length_text(view, locale))
    embed.add_field(name=t("job.field.resolution", locale), value=view.resolution)
    embed.add_field(name=t("job.field.seed", locale), value=str(view.seed))
    if view.image_count:
        embed.add_field(name=t("job.field.images", locale), value=str(view.image_count))
    if view.last_frame:
        embed.add_field(
            name=t("job.field.last_frame", locale),
            value=t(f"job.last_frame.{view.last_frame}", locale),
        )
    if view.batch is not None:
        index, count = view.batch
        embed.add_field(
            name=t("job.field.batch", locale),
            value=t("job.batch", locale, index=index, count=count),
        )
    if view.charged is not None:
        cost = t("job.charged", locale, amount=format_usd(view.charged))
    else:
        cost = t("job.quoted", locale, amount=format_usd(view.quote))
    embed.add_field(name=t("job.field.cost", locale), value=cost)
    embed.add_field(
        name=t("job.field.status", locale), value=status_text(view, locale), inline=False
    )
    if view.remaining is not None:
        add_left_field(embed, view.remaining, view.resets_at, locale)
    embed.set_footer(text=f"job {view.job_id}")
    return embed


def add_left_field(
    embed: discord.Embed, remaining: int, resets_at: datetime | None, locale: str
) -> None:
    """The "Left" field: what the member may still spend, and when that resets."""
    embed.add_field(
        name=t("job.field.left", locale),
        value=t("job.left", locale, remaining=format_usd(remaining), resets=timestamp(resets_at)),
        inline=False,
    )


def size_text(size: int | None) -> str:
    """Bytes as Discord counts upload limits (MiB, written MB): "10 MB", "23.4 MB", "850 KB"."""
    if size is None:
        return "?"
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    megabytes = f"{size / (1024 * 1024):.1f}".removesuffix(".0")
    return f"{megabytes} MB"


def limit_text(view: JobView, locale: str, limit: int | None) -> str:
    """ "this server's 10 MB limit", or the direct messages' one."""
    key = "job.limit.dm" if view.in_dm else "job.limit.server"
    return t(key, locale, size=size_text(limit))


def _length_text(view: JobView, locale: str) -> str:
    """ "8 s · 16:9"; an extension's "+6 s (to a 8 s video)"; an edit's or upscale's length."""
    if view.kind == "video-extend" and view.input_seconds is not None:
        return t("job.extend_length", locale, added=view.duration, length=round(view.input_seconds))
    if view.aspect_ratio:
        return f"{view.duration} s · {view.aspect_ratio}"
    return f"{view.duration} s"


def job_content(view: JobView, locale: str, *, attached: bool) -> str | None:
    """The text above the embed once delivered: a content note when Atlas flagged the video;
    with a smaller rendition attached, which and the original's link; without the video,
    why, and Atlas's link with its expiry. A flagged video's link is a spoiler, `||<url>||`,
    whose preview Discord does not unfurl."""
    if view.status is not JobStatus.DELIVERED:
        return None
    lines = [t("job.flagged_note", locale) if view.flagged else None]
    lines.append(_compressed_text(view, locale) if attached else _link_text(view, locale))
    kept = [line for line in lines if line]
    return "\n".join(kept) if kept else None


def link_text(view: JobView, locale: str) -> str:
    """Atlas's link to the original: behind a spoiler, without a preview, when flagged (as
    its attachment would be)."""
    key = "job.link.download_flagged" if view.flagged else "job.link.download"
    return t(key, locale, url=view.video_url)


def _compressed_text(view: JobView, locale: str) -> str | None:
    sent = view.sent
    if sent is None or not sent.compressed or sent.width is None or sent.height is None:
        return None
    # A held video approved later knows the link but not its expiry any more.
    key = "job.compressed" if view.link_expires_at is not None else "job.compressed_link"
    return t(
        key,
        locale,
        resolution=f"{min(sent.width, sent.height)}p",
        limit=limit_text(view, locale, sent.limit_bytes),
        size=size_text(sent.original_bytes),
        link=link_text(view, locale),
        expires=timestamp(view.link_expires_at, "f"),
    )


def _link_text(view: JobView, locale: str) -> str:
    if view.video_url is None:
        return t("job.no_output", locale)
    sent = view.sent
    # Attached in the bot's eyes, yet not attached: Discord refused the upload.
    reason = sent.link if sent is not None and sent.link is not None else LinkReason.REFUSED
    lines = [
        t(
            f"job.link.{reason.value}",
            locale,
            link=link_text(view, locale),
            size=size_text(sent.original_bytes if sent else None),
            limit=limit_text(view, locale, sent.limit_bytes if sent else None),
        )
    ]
    if view.link_expires_at is not None:
        lines.append(t("job.link.expires", locale, expires=timestamp(view.link_expires_at, "f")))
    else:
        lines.append(t("job.link.soon", locale))
    if view.charged is not None:
        lines.append(t("job.link.charged", locale))
    return " ".join(lines)


def video_file(view: JobView, path: Path) -> discord.File:
    """The video as an attachment: behind a spoiler (a `SPOILER_` file name) if Atlas flagged
    it as sensitive."""
    return discord.File(path, filename=f"{view.job_id[:12]}.mp4", spoiler=view.flagged)


def refusal_text(refusal: JobRefused, locale: str) -> str:
    """The ephemeral message for a request turned down before any money moved."""
    params: dict[str, Any] = dict(refusal.params)
    for name in ("needed", "remaining"):
        if isinstance(params.get(name), int):
            params[name] = format_usd(params[name])
    if "resets_at" in params:
        params["resets"] = timestamp(params.pop("resets_at"))
    if "channel_ids" in params:
        params["channels"] = ", ".join(f"<#{c}>" for c in params.pop("channel_ids"))
    return t(refusal.key, locale, **params)
