"""The buttons on a job's message. Their `custom_id` carries the job id, so they keep working
after a restart (discord.py dynamic items are matched by pattern, not by a live view object)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.cogs.errors import report_unexpected
from bot.cogs.review_buttons import review_items
from bot.i18n import t
from bot.jobs.progress import JobStatus, JobView

if TYPE_CHECKING:
    from bot.cogs.job_actions import JobActionsCog
    from bot.cogs.video import VideoCog

_JOB_ID = r"(?P<job_id>[0-9a-f]{32})"


class _AnswersErrors:
    """Mixin for dynamic buttons: discord.py only logs an error in their callbacks, which
    leaves the member with "This interaction failed"; answer them like a command error."""

    custom_id: str

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """What the button does."""
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Run the button's action; an unexpected error gets a short message and a log line."""
        try:
            await self.act(interaction)
        except Exception as exc:
            await report_unexpected(interaction, exc, f"button {self.custom_id}")


def _video_cog(interaction: discord.Interaction[Any]) -> VideoCog:
    cog = interaction.client.get_cog("VideoCog")
    assert cog is not None, "the video cog is loaded in setup_hook"
    return cog  # type: ignore[no-any-return]


class RerollButton(
    _AnswersErrors,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"job:reroll:{_JOB_ID}",
):
    """Same parameters, new seed; charged to whoever clicks, through the budget again."""

    def __init__(self, job_id: str, label: str = "Re-roll") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"job:reroll:{job_id}",
                emoji="\N{ANTICLOCKWISE DOWNWARDS AND UPWARDS OPEN CIRCLE ARROWS}",
            )
        )
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
    ) -> RerollButton:
        """Rebuild the button from a click on any message, even one sent before a restart."""
        return cls(match["job_id"])

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """Start a new job with the same options."""
        await _video_cog(interaction).reroll(interaction, self.job_id)


class CancelButton(
    _AnswersErrors,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"job:cancel:{_JOB_ID}",
):
    """Cancel a job that has not reached Atlas yet (requester only); releases the hold."""

    def __init__(self, job_id: str, label: str = "Cancel") -> None:
        super().__init__(
            discord.ui.Button(
                label=label, style=discord.ButtonStyle.danger, custom_id=f"job:cancel:{job_id}"
            )
        )
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
    ) -> CancelButton:
        """Rebuild the button from a click."""
        return cls(match["job_id"])

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """Cancel the job if it is not too late."""
        await _video_cog(interaction).cancel(interaction, self.job_id)


_ACTIONS: dict[str, tuple[discord.ButtonStyle, str | None]] = {
    "approve": (discord.ButtonStyle.success, None),
    "deny": (discord.ButtonStyle.danger, None),
    "edit": (discord.ButtonStyle.secondary, "\N{PENCIL}"),
    "info": (discord.ButtonStyle.secondary, "\N{INFORMATION SOURCE}"),
    "copy": (discord.ButtonStyle.secondary, "\N{CLIPBOARD}"),
    "delete": (discord.ButtonStyle.danger, "\N{WASTEBASKET}"),
}


class JobActionButton(
    _AnswersErrors,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"job:(?P<action>{'|'.join(_ACTIONS)}):{_JOB_ID}",
):
    """Approve or Deny a job waiting for an admin; Edit prompt, Info or Delete an ended one;
    Copy command on a delivered one.

    Who may do what is checked when the button is pressed (see `JobActionsCog`)."""

    def __init__(self, action: str, job_id: str, label: str = "") -> None:
        style, emoji = _ACTIONS[action]
        super().__init__(
            discord.ui.Button(
                label=label or action,
                style=style,
                custom_id=f"job:{action}:{job_id}",
                emoji=emoji,
            )
        )
        self.action = action
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
    ) -> JobActionButton:
        """Rebuild the button from a click, even on a message sent before a restart."""
        return cls(match["action"], match["job_id"])

    async def act(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click to the cog that knows what the action does."""
        cog: JobActionsCog | None = interaction.client.get_cog("JobActionsCog")
        assert cog is not None, "the job actions cog is loaded in setup_hook"
        await cog.act(interaction, self.action, self.job_id)


def _action(action: str, job_id: str, locale: str) -> JobActionButton:
    return JobActionButton(action, job_id, t(f"button.{action}", locale))


def job_buttons(view: JobView, locale: str) -> discord.ui.View:
    """Approve/Deny while an admin must decide; Cancel until the job reaches Atlas; Re-roll,
    Edit prompt, Info and Delete once it has ended, and Copy command once it is delivered."""
    buttons = discord.ui.View(timeout=None)
    if view.status is JobStatus.AWAITING_APPROVAL:
        buttons.add_item(_action("approve", view.job_id, locale))
        buttons.add_item(_action("deny", view.job_id, locale))
    if view.status is JobStatus.HELD_FOR_REVIEW:  # a flagged video waits for a moderator
        for item in review_items(view.job_id, locale):
            buttons.add_item(item)
    if view.cancellable:
        buttons.add_item(CancelButton(view.job_id, t("button.cancel", locale)))
    elif view.status in (JobStatus.DELIVERED, JobStatus.FAILED, JobStatus.CANCELLED):
        buttons.add_item(RerollButton(view.job_id, t("button.reroll", locale)))
        delivered = view.status is JobStatus.DELIVERED
        for action in ("edit", "info", *(("copy",) if delivered else ()), "delete"):
            buttons.add_item(_action(action, view.job_id, locale))
    return buttons
