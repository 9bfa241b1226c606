"""Making videos: /video, /animate, and the Re-roll, Edit prompt, Cancel and offer buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.video._cog import VideoCog
from bot.exts.video._views import BUTTONS

if TYPE_CHECKING:
    from bot.app import VideoBot


async def setup(bot: VideoBot) -> None:
    """Extension entry point: the cog and its persistent buttons."""
    await bot.add_cog(VideoCog(bot))
    bot.add_dynamic_items(*BUTTONS)
