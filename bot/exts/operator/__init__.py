"""Where the operator's services speak on Discord: the operator's alert channel, a server's log
channel, a member's direct messages (budget alerts and the Atlas balance)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.operator._post import DiscordAlerts

if TYPE_CHECKING:
    from bot.app import VideoBot


async def setup(bot: VideoBot) -> None:
    """Extension entry point: hand the balance watch and the budget alerts their sink."""
    services = getattr(bot, "services", None)  # absent when only commands are loaded
    if services is not None:
        sink = DiscordAlerts(bot)
        services.balance.sink = sink
        services.alerts.sink = sink
