"""What /prefer shows: each preference, or the server's default where none is set, and a
warning beside a preference this server does not allow now."""

from __future__ import annotations

import discord

from bot.catalogue import ModelKind
from bot.guilds.preferences import NAMES, Preferences, forbidden
from bot.guilds.settings import GuildSettings
from bot.i18n import t
from bot.jobs.orders import default_model
from bot.settings import Settings
from bot.ui.preferences import preference_text


def server_defaults(guild: GuildSettings, config: Settings, locale: str) -> dict[str, str]:
    """What a member without preferences gets, by preference name, in words."""

    def model(kind: ModelKind) -> str:
        chosen = default_model(kind, config, guild)
        return "-" if chosen is None else chosen.label

    defaults = config.defaults
    return {
        "video_model": model(ModelKind.TEXT_TO_VIDEO),
        "animate_model": model(ModelKind.IMAGE_TO_VIDEO),
        "duration": f"{guild.duration or defaults.duration} s",
        "resolution": guild.resolution or defaults.resolution,
        "aspect_ratio": guild.aspect_ratio or defaults.aspect_ratio,
        "dm": t("prefer.dm_no", locale),
    }


def preferences_embed(
    prefs: Preferences, guild: GuildSettings, config: Settings, channel_id: int, locale: str
) -> discord.Embed:
    """The member's preferences here; unset ones show the server's default instead."""
    catalogue = config.catalogue
    not_allowed = forbidden(prefs, catalogue, guild, channel_id)
    fallback = server_defaults(guild, config, locale)
    embed = discord.Embed(
        title=t("prefer.title", locale),
        description=t("prefer.description", locale),
        colour=discord.Colour.blurple(),
    )
    for name in NAMES:
        value = getattr(prefs, name)
        if value is None:
            text = t("prefer.not_set", locale, value=fallback[name])
        else:
            text = preference_text(name, value, catalogue, locale)
            if name in not_allowed:
                text = f"{text}\n{t('prefer.not_allowed_now', locale)}"
        embed.add_field(name=t(f"prefer.field.{name}", locale), value=text)
    return embed


__all__ = ["preferences_embed", "server_defaults"]
