"""/prefer: a member's own defaults for /video and /animate in a server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.prefer._cog import PreferGroup

if TYPE_CHECKING:
    from bot.app import VideoBot


async def setup(bot: VideoBot) -> None:
    """Extension entry point: the /prefer group."""
    bot.tree.add_command(PreferGroup(bot))
