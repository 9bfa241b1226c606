"""Acting on a job's message: Approve, Deny, Info, Copy command and Delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.job_actions._cog import JobActionsCog
from bot.exts.job_actions._views import JobActionButton

if TYPE_CHECKING:
    from bot.app import VideoBot


async def setup(bot: VideoBot) -> None:
    """Extension entry point: the cog and its persistent buttons."""
    await bot.add_cog(JobActionsCog(bot))
    bot.add_dynamic_items(JobActionButton)
