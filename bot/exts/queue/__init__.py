"""/queue and /history: what waits, runs and ran in a server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.queue._cog import QueueCog

if TYPE_CHECKING:
    from bot.app import VideoBot


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    await bot.add_cog(QueueCog(bot))
