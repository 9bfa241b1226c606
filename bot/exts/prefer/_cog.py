"""/prefer show | set | reset: a member's own defaults in this server, for the options they
leave out of /video and /animate. Every subcommand answers privately with all of them.

The rules live in `bot.guilds.preferences` (what may be set, what the server ignores later)
and `bot.jobs.orders` (member > server > config); this module turns options into changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.catalogue import ModelKind
from bot.exts.prefer._render import preferences_embed
from bot.guilds.preferences import NAMES, PreferenceRefused, Preferences
from bot.i18n import t

if TYPE_CHECKING:
    from bot.app import VideoBot

EVERYTHING = "all"


class PreferGroup(app_commands.Group):
    """/prefer: any member, in a server, for themselves only."""

    def __init__(self, bot: VideoBot) -> None:
        super().__init__(
            name="prefer",
            description="Your own defaults for /video and /animate on this server.",
            guild_only=True,
        )
        self.bot = bot

    async def _reply(
        self, interaction: discord.Interaction[Any], prefs: Preferences, *, saved: bool
    ) -> None:
        locale = str(interaction.locale)
        guild = await self.bot.server_settings.get(interaction.guild_id or 0)
        embed = preferences_embed(
            prefs, guild, self.bot.settings, interaction.channel_id or 0, locale
        )
        await interaction.response.send_message(
            t("prefer.saved", locale) if saved else None, embed=embed, ephemeral=True
        )

    @app_commands.command(name="show", description="Show your defaults on this server.")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        """The member's preferences, unchanged."""
        prefs = await self.bot.preferences.get(interaction.guild_id or 0, interaction.user.id)
        await self._reply(interaction, prefs, saved=False)

    @app_commands.command(
        name="set", description="Set your defaults: used when you leave an option out."
    )
    @app_commands.describe(
        video_model="Your model for /video",
        animate_model="Your model for /animate",
        duration="Your length in seconds",
        resolution="Your picture size",
        aspect_ratio="Your shape of the video",
        dm="Get your finished videos by direct message?",
    )
    async def set_(
        self,
        interaction: discord.Interaction[Any],
        video_model: str | None = None,
        animate_model: str | None = None,
        duration: int | None = None,
        resolution: str | None = None,
        aspect_ratio: str | None = None,
        dm: bool | None = None,
    ) -> None:
        """Change the preferences given (checked against what the server allows now)."""
        given = {
            "video_model": video_model,
            "animate_model": animate_model,
            "duration": duration,
            "resolution": resolution,
            "aspect_ratio": aspect_ratio,
            "dm": dm,
        }
        values = {name: value for name, value in given.items() if value is not None}
        try:
            prefs = await self.bot.preferences.set(
                interaction.guild_id or 0, interaction.user.id, **values
            )
        except PreferenceRefused as refused:
            await interaction.response.send_message(
                t(refused.key, str(interaction.locale), **refused.params), ephemeral=True
            )
            return
        await self._reply(interaction, prefs, saved=bool(values))

    @app_commands.command(name="reset", description="Go back to the server's defaults.")
    @app_commands.describe(preference="Which one (leave out: all of them)")
    @app_commands.choices(
        preference=[
            app_commands.Choice(name="Everything", value=EVERYTHING),
            app_commands.Choice(name="Model for /video", value="video_model"),
            app_commands.Choice(name="Model for /animate", value="animate_model"),
            app_commands.Choice(name="Length", value="duration"),
            app_commands.Choice(name="Resolution", value="resolution"),
            app_commands.Choice(name="Aspect ratio", value="aspect_ratio"),
            app_commands.Choice(name="Delivery by direct message", value="dm"),
        ]
    )
    async def reset(
        self,
        interaction: discord.Interaction[Any],
        preference: app_commands.Choice[str] | None = None,
    ) -> None:
        """Unset one preference, or all of them."""
        chosen = None if preference is None or preference.value == EVERYTHING else preference
        names = NAMES if chosen is None else (chosen.value,)
        prefs = await self.bot.preferences.reset(
            interaction.guild_id or 0, interaction.user.id, names
        )
        await self._reply(interaction, prefs, saved=True)

    # -- autocomplete: what this server allows -------------------------------------------

    async def _models(
        self, interaction: discord.Interaction[Any], kind: ModelKind, current: str
    ) -> list[app_commands.Choice[str]]:
        guild = await self.bot.server_settings.get(interaction.guild_id or 0)
        typed = current.lower()
        return [
            app_commands.Choice(name=f"{m.label} ({m.id})"[:100], value=m.id)
            for m in self.bot.settings.catalogue.of_kind(kind)
            if guild.allows_model(m.id) and (typed in m.label.lower() or typed in m.id.lower())
        ][:25]

    @set_.autocomplete("video_model")
    async def _video_models(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._models(interaction, ModelKind.TEXT_TO_VIDEO, current)

    @set_.autocomplete("animate_model")
    async def _animate_models(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._models(interaction, ModelKind.IMAGE_TO_VIDEO, current)

    async def _offered(self, interaction: discord.Interaction[Any], attribute: str) -> list[Any]:
        """Values of `attribute` that the models this server allows offer, in catalogue order."""
        guild = await self.bot.server_settings.get(interaction.guild_id or 0)
        seen: dict[Any, None] = {}
        for model in self.bot.settings.catalogue.makers():
            if guild.allows_model(model.id):
                seen.update(dict.fromkeys(getattr(model, attribute)))
        return list(seen)

    @set_.autocomplete("resolution")
    async def _resolutions(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        guild = await self.bot.server_settings.get(interaction.guild_id or 0)
        return [
            app_commands.Choice(name=r, value=r)
            for r in await self._offered(interaction, "resolutions")
            if guild.allows_resolution(r) and current.lower() in r.lower()
        ][:25]

    @set_.autocomplete("aspect_ratio")
    async def _aspect_ratios(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=r, value=r)
            for r in await self._offered(interaction, "aspect_ratios")
            if current in r
        ][:25]

    @set_.autocomplete("duration")
    async def _durations(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        durations = sorted(await self._offered(interaction, "durations"))
        return [
            app_commands.Choice(name=app_commands.locale_str(f"{d} s"), value=d)
            for d in durations
            if current in str(d)
        ][:25]


__all__ = ["PreferGroup"]
