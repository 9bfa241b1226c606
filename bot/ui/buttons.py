"""Persistent buttons: how they look on a job's message, and the base every extension's button
class derives from.

A button's `custom_id` names what it does and on what ("job:reroll:<job id>"), so it keeps
working after a restart: discord.py matches a click to a registered `PersistentButton` class by
pattern, never to a live view object. The look of each action lives in one table here, so the
job message can be drawn (`job_buttons`) without importing any extension; each extension
registers the classes that carry out its own actions in its `setup()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Self

import discord

from bot.i18n import t
from bot.jobs.progress import JobStatus, JobView
from bot.ui.errors import report_unexpected

SUBJECT = r"[0-9a-f]{32}"
"""What a button acts on: a job id, or an offer's token."""


@dataclass(frozen=True)
class Look:
    """How one action's button looks."""

    style: discord.ButtonStyle
    emoji: str | None = None


_LOOKS: dict[str, Look] = {
    "job:reroll": Look(
        discord.ButtonStyle.secondary,
        "\N{ANTICLOCKWISE DOWNWARDS AND UPWARDS OPEN CIRCLE ARROWS}",
    ),
    "job:cancel": Look(discord.ButtonStyle.danger),
    "job:approve": Look(discord.ButtonStyle.success),
    "job:deny": Look(discord.ButtonStyle.danger),
    "job:edit": Look(discord.ButtonStyle.secondary, "\N{PENCIL}"),
    "job:info": Look(discord.ButtonStyle.secondary, "\N{INFORMATION SOURCE}"),
    "job:copy": Look(discord.ButtonStyle.secondary, "\N{CLIPBOARD}"),
    "job:delete": Look(discord.ButtonStyle.danger, "\N{WASTEBASKET}"),
    "job:extend": Look(discord.ButtonStyle.primary, "\N{BLACK RIGHT-POINTING TRIANGLE}"),
    "job:vedit": Look(discord.ButtonStyle.secondary, "\N{ARTIST PALETTE}"),
    "job:upscale": Look(discord.ButtonStyle.secondary, "\N{SPARKLES}"),
    "job:improve": Look(discord.ButtonStyle.secondary, "\N{LEFT-POINTING MAGNIFYING GLASS}"),
    "help:use": Look(discord.ButtonStyle.success),
    "help:edit": Look(discord.ButtonStyle.secondary, "\N{PENCIL}"),
    "help:dismiss": Look(discord.ButtonStyle.secondary),
    "review:approve": Look(discord.ButtonStyle.success),
    "review:delete": Look(discord.ButtonStyle.danger),
    "offer": Look(discord.ButtonStyle.primary),
}


def custom_id(prefix: str, action: str, subject: str) -> str:
    """E.g. "job:reroll:<job id>"; an action-less button (an offer) is "offer:<token>"."""
    return f"{prefix}:{action}:{subject}" if action else f"{prefix}:{subject}"


def button(prefix: str, action: str, subject: str, label: str = "") -> discord.ui.Button[Any]:
    """The button for `action` on `subject`, as the table says it looks."""
    look = _LOOKS[f"{prefix}:{action}" if action else prefix]
    return discord.ui.Button(
        label=label or action or prefix,
        style=look.style,
        emoji=look.emoji,
        custom_id=custom_id(prefix, action, subject),
    )


class PersistentButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """Base of the bot's buttons: rebuilt from its custom id on any click, even on a message
    sent before a restart, and every failure answered like a command error (discord.py only
    logs it, which leaves the member with "This interaction failed").

    A subclass names its prefix and actions, and implements `act`::

        class RerollButton(PersistentButton, prefix="job", actions=("reroll",)): ...
    """

    prefix: ClassVar[str]

    def __init_subclass__(cls, *, prefix: str, actions: tuple[str, ...] = ()) -> None:
        cls.prefix = prefix
        action = f":(?P<action>{'|'.join(actions)})" if actions else ""
        super().__init_subclass__(template=rf"{prefix}{action}:(?P<subject>{SUBJECT})")

    def __init__(self, subject: str, action: str = "", label: str = "") -> None:
        super().__init__(button(self.prefix, action, subject, label))
        self.subject = subject
        self.action = action

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
    ) -> Self:
        """Rebuild the button from a click."""
        return cls(match["subject"], match.groupdict().get("action") or "")

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """What the button does."""
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Run the button's action; an unexpected error gets a short message and a log line."""
        try:
            await self.act(interaction)
        except Exception as exc:
            await report_unexpected(interaction, exc, f"button {self.custom_id}")


def _job_button(prefix: str, action: str, job_id: str, locale: str) -> discord.ui.Button[Any]:
    return button(prefix, action, job_id, t(f"button.{action}", locale))


def job_buttons(view: JobView, locale: str) -> discord.ui.View:
    """Approve/Deny while an admin must decide; Approve/Delete while a flagged video waits for a
    moderator; Cancel until the job reaches Atlas; Re-roll (unless the input made it fail),
    Edit prompt, Info and Delete once it has ended, and Copy command once it is delivered
    (a video made anew); then, as the catalogue offers them, Extend, Edit video and Upscale on
    a delivered video, and Improve prompt on an ended one (a second row)."""
    buttons = discord.ui.View(timeout=None)
    job_id = view.job_id
    if view.status is JobStatus.AWAITING_APPROVAL:
        buttons.add_item(_job_button("job", "approve", job_id, locale))
        buttons.add_item(_job_button("job", "deny", job_id, locale))
    if view.status is JobStatus.HELD_FOR_REVIEW:
        buttons.add_item(_job_button("review", "approve", job_id, locale))
        buttons.add_item(_job_button("review", "delete", job_id, locale))
    if view.cancellable:
        buttons.add_item(_job_button("job", "cancel", job_id, locale))
    elif view.status in (JobStatus.DELIVERED, JobStatus.FAILED, JobStatus.CANCELLED):
        if view.rerollable:
            buttons.add_item(_job_button("job", "reroll", job_id, locale))
        delivered = view.status is JobStatus.DELIVERED
        copy = ("copy",) if delivered and view.made_anew else ()
        for action in ("edit", "info", *copy, "delete"):
            buttons.add_item(_job_button("job", action, job_id, locale))
        for action in view.follow_ups:
            if delivered or action == "improve":
                buttons.add_item(_job_button("job", action, job_id, locale))
    return buttons


__all__ = ["SUBJECT", "PersistentButton", "button", "custom_id", "job_buttons"]
