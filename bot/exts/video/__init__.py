"""Making videos: /video, /animate and /edit-video; the Re-roll, Edit prompt, Cancel and offer
buttons; Extend, Edit video, Upscale and Improve prompt on finished videos."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.video._carry import CarryCog
from bot.exts.video._cog import VideoCog
from bot.exts.video._helper import HelperCog
from bot.exts.video._views import BUTTONS

if TYPE_CHECKING:
    from bot.app import VideoBot


async def setup(bot: VideoBot) -> None:
    """Extension entry point: the cogs and their persistent buttons."""
    await bot.add_cog(VideoCog(bot))
    await bot.add_cog(CarryCog(bot))
    await bot.add_cog(HelperCog(bot))
    bot.add_dynamic_items(*BUTTONS)
