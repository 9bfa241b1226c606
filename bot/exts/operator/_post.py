"""Posting alerts: one line in a channel, or a private message to a member, in their language.

The operator's channel reads English (it may be in any server); a server's log channel reads
the server's language; a member reads the language of the Discord app they used for the job.
Mentions are shown, never pinged. A member whose direct messages are closed is only logged.
"""

from __future__ import annotations

import logging

import discord

from bot.i18n import ENGLISH, t
from bot.money import format_usd
from bot.operator.sinks import Alert
from bot.ui.render import timestamp

log = logging.getLogger(__name__)


def alert_text(alert: Alert, locale: str, server: str) -> str:
    """The words of an alert."""
    params = {name: format_usd(amount) for name, amount in alert.amounts.items()}
    resets = timestamp(alert.resets_at) if alert.resets_at is not None else "?"
    return t(alert.key, locale, percent=alert.percent, server=server, resets=resets, **params)


class DiscordAlerts:
    """The `AlertSink` on Discord."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def post(self, alert: Alert) -> None:
        """Send one alert where its audience reads it."""
        guild = self._client.get_guild(alert.guild_id) if alert.guild_id else None
        server = guild.name if guild is not None else "?"
        if alert.audience == "member":
            assert alert.user_id is not None
            dm = await self._client.create_dm(discord.Object(alert.user_id))
            try:
                await dm.send(alert_text(alert, alert.locale or ENGLISH, server))
            except discord.Forbidden:
                log.info("a budget alert could not reach a member: direct messages closed")
            return
        assert alert.channel_id is not None
        locale = ENGLISH
        if alert.audience == "server" and guild is not None:
            locale = str(guild.preferred_locale)
        channel = self._client.get_partial_messageable(alert.channel_id, guild_id=alert.guild_id)
        await channel.send(
            alert_text(alert, locale, server), allowed_mentions=discord.AllowedMentions.none()
        )
