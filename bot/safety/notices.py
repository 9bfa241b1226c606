"""Lines for a server's log channel about safety events (rejections, pauses, reviews).

Knows nothing of Discord: the Discord layer provides the `NoticeSink` that posts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Notice:
    """One line for a server's log channel."""

    kind: str
    """"rejected", "paused", "unpaused", "held", "approved" or "removed"."""
    guild_id: int
    channel_id: int
    """The log channel."""
    user_id: int
    """The member concerned."""
    job_id: str | None = None
    count: int = 0
    limit: int = 0
    by: int | None = None
    """The admin or moderator who acted."""
    job_channel_id: int | None = None
    job_message_id: int | None = None


class NoticeSink(Protocol):
    """Where notices go (the Discord layer posts them in the log channel)."""

    async def post(self, notice: Notice) -> None:
        """Deliver one notice; may raise, the caller logs it."""
        ...
