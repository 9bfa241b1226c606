"""What the operator's services say, and the one interface through which it is said.

An `Alert` names its audience: the operator's alert channel, a server's log channel, or one
member privately. The Discord layer (`bot.exts.operator`) posts it, in the right language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from bot.money import Micros

Audience = Literal["operator", "server", "member"]


@dataclass(frozen=True)
class Alert:
    """One message. `key` names its text (bot/i18n, under `alert.`); amounts in micro-USD."""

    audience: Audience
    key: str
    channel_id: int | None = None
    """The operator's alert channel or the server's log channel (None for a member)."""
    guild_id: int | None = None
    user_id: int | None = None
    locale: str | None = None
    """The member's language; channels speak their server's (the operator's: English)."""
    percent: int = 0
    amounts: dict[str, Micros] = field(default_factory=dict)
    resets_at: datetime | None = None


class AlertSink(Protocol):
    """Where alerts go (the Discord layer posts them)."""

    async def post(self, alert: Alert) -> None:
        """Deliver one alert; may raise, the caller logs it."""
        ...
