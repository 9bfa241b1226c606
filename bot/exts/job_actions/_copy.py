"""Copy command: the exact `/video` or `/animate` line that makes a finished video again.

Every option is spelt out (model, duration, aspect ratio, resolution and the seed the job used),
so the server's defaults changing later does not change the result. The names are the ones the
member's Discord client shows (zh-TW members get `/影片 提示詞:...`). A typed command is one
line: a prompt's line breaks become spaces. Images cannot be typed: the line says to attach them.
"""

from __future__ import annotations

import io
from typing import Any

import discord

from bot.catalogue import Catalogue, ModelKind
from bot.i18n import t
from bot.jobs.record import JobRecord
from bot.ui.translator import TABLES

MESSAGE_MAX = 2000
FENCE = "```"


def _names(locale: str) -> dict[str, str]:
    """The command and option names as the member's client shows them."""
    try:
        table = TABLES.get(discord.Locale(locale))
    except ValueError:
        table = None
    return dict(table.names) if table is not None else {}


def command_line(job: JobRecord, catalogue: Catalogue, locale: str) -> str:
    """The slash command that asks for this job's video again, option by option."""
    names = _names(locale)
    meta = job.meta
    kind = catalogue.get(job.model).kind if job.model in catalogue else ModelKind.TEXT_TO_VIDEO
    command = "animate" if kind.takes_images else "video"
    options: list[tuple[str, object]] = [
        ("prompt", " ".join(meta.prompt.split())),
        ("duration", meta.duration),
        ("aspect_ratio", meta.aspect_ratio),
        ("resolution", meta.resolution),
        ("seed", meta.seed),
        ("model", job.model),
    ]
    if meta.loop:
        options.append(("loop", "yes"))
    parts = [f"/{names.get(command, command)}"]
    parts += [f"{names.get(name, name)}:{value}" for name, value in options]
    return " ".join(parts)


def copy_reply(job: JobRecord, catalogue: Catalogue, locale: str) -> dict[str, Any]:
    """The ephemeral answer: the line in a code block (a file when too long for a message)."""
    line = command_line(job, catalogue, locale)
    lines = [t("copy.intro", locale)]
    images = job.meta.image_count
    if images:
        lines.append(t("copy.images", locale, count=images))
    if job.meta.last_image_url is not None and not job.meta.loop:
        lines.append(t("copy.last_image", locale))
    safe = line.replace(FENCE, "`\u200b``")  # a prompt cannot close the code block
    content = "\n".join([*lines, f"{FENCE}\n{safe}\n{FENCE}"])
    if len(content) <= MESSAGE_MAX:
        return {"content": content}
    file = discord.File(io.BytesIO(line.encode()), filename="command.txt")
    return {"content": "\n".join(lines), "file": file}


__all__ = ["command_line", "copy_reply"]
