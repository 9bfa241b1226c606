"""/settings: a server's own defaults and rules for videos (Manage Server, checked at run time).

Every subcommand answers with the whole settings embed, so an admin always sees the result.
The rules themselves live in `bot.guilds.settings`; this module only turns options into
changes and renders them. The safety subcommands (prompt-rules, safety, unpause) are added to
the group by `bot.exts.settings._safety`.

Longer than most modules: one short subcommand per server setting, each its options and a
render; the safety ones already live apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.catalogue import ModelKind
from bot.exts.settings._alerts_render import add_alert_field
from bot.exts.settings._helper_render import add_prompt_helper_field
from bot.exts.settings._safety_render import add_safety_fields
from bot.guilds.delivery import DeliveryMode
from bot.guilds.settings import MAX_COUNT, GuildSettings, SettingsRefused
from bot.i18n import t
from bot.jobs.overview import model_label
from bot.money import format_usd
from bot.settings import Settings
from bot.ui.admin import AdminGroup
from bot.ui.amounts import CLEAR_WORDS, parse_amount
from bot.ui.channels import cannot_post
from bot.ui.render import timestamp

if TYPE_CHECKING:
    from bot.app import VideoBot

OFF_WORDS = frozenset({"off", *CLEAR_WORDS})


class TextChannelOption(app_commands.Transformer):
    """A text channel as Discord resolved it: no cache lookup, so a brand-new channel works."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        """Discord's option type."""
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        """Only channels where messages are written."""
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction[Any], value: Any) -> Any:
        """The resolved channel as discord.py gives it."""
        return value


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g}"


def delivery_text(guild: GuildSettings, locale: str) -> str:
    """Where finished videos go: the server's mode, then each channel with its own."""

    def mode_text(mode: str) -> str:
        gallery = f"<#{guild.gallery_channel_id}>" if guild.gallery_channel_id else "?"
        return t(f"delivery.mode.{mode}", locale, channel=gallery)

    lines = [mode_text(guild.delivery or DeliveryMode.CHANNEL.value)]
    lines += [
        t("settings.delivery_override", locale, channel=f"<#{channel}>", mode=mode_text(mode))
        for channel, mode in guild.channel_delivery
    ]
    return "\n".join(lines)


def settings_embed(guild: GuildSettings, config: Settings, locale: str) -> discord.Embed:
    """Every setting of the server; values it never set show the bot's default."""
    catalogue, defaults = config.catalogue, config.defaults

    def own_or_default(value: str | None, default: str) -> str:
        return value if value is not None else t("settings.from_config", locale, value=default)

    def label(model_id: str | None) -> str | None:
        return None if model_id is None else model_label(catalogue, model_id)

    embed = discord.Embed(title=t("settings.title", locale), colour=discord.Colour.blurple())
    if guild.updated_at is not None:
        embed.description = t(
            "settings.updated",
            locale,
            when=timestamp(guild.updated_at),
            user=f"<@{guild.updated_by}>",
        )
    else:
        embed.description = t("settings.never", locale)
    rows = [
        (
            "video_model",
            own_or_default(
                label(guild.video_model), model_label(catalogue, defaults.text_to_video_model)
            ),
        ),
        (
            "animate_model",
            own_or_default(
                label(guild.animate_model), model_label(catalogue, defaults.image_to_video_model)
            ),
        ),
        (
            "duration",
            own_or_default(
                None if guild.duration is None else f"{guild.duration} s", f"{defaults.duration} s"
            ),
        ),
        ("resolution", own_or_default(guild.resolution, defaults.resolution)),
        ("aspect_ratio", own_or_default(guild.aspect_ratio, defaults.aspect_ratio)),
        ("max_count", str(guild.max_count or MAX_COUNT)),
    ]
    for name, value in rows:
        embed.add_field(name=t(f"settings.field.{name}", locale), value=value)
    blocked = [f"{model_label(catalogue, m)} (`{m}`)" for m in guild.blocked_models]
    embed.add_field(
        name=t("settings.field.blocked_models", locale),
        value="\n".join(blocked) or t("settings.none_blocked", locale),
        inline=False,
    )
    embed.add_field(
        name=t("settings.field.blocked_resolutions", locale),
        value=", ".join(guild.blocked_resolutions) or t("settings.none_blocked", locale),
        inline=False,
    )
    embed.add_field(
        name=t("settings.field.channels", locale),
        value=", ".join(f"<#{c}>" for c in guild.channel_ids) or t("settings.everywhere", locale),
        inline=False,
    )
    if guild.approval_threshold is None:
        approval = t("settings.approval_off", locale)
    else:
        approval = t(
            "settings.approval_on",
            locale,
            amount=format_usd(guild.approval_threshold),
            minutes=_minutes(guild.approval_timeout),
        )
    embed.add_field(name=t("settings.field.approval", locale), value=approval, inline=False)
    embed.add_field(
        name=t("settings.field.delivery", locale), value=delivery_text(guild, locale), inline=False
    )
    add_safety_fields(embed, guild, locale)
    add_alert_field(embed, guild, locale, config.alerts.thresholds_percent)
    add_prompt_helper_field(embed, guild, locale)
    return embed


class SettingsGroup(AdminGroup):
    """/settings show | defaults | model-access | resolution-access | channel | approval |
    delivery (and the safety commands, `bot.exts.settings._safety`)."""

    def __init__(self, bot: VideoBot) -> None:
        super().__init__(
            name="settings", description="See and change this server's video settings."
        )
        self.bot = bot

    async def _reply(
        self, interaction: discord.Interaction[Any], guild: GuildSettings, *, saved: bool
    ) -> None:
        locale = str(interaction.locale)
        await interaction.response.send_message(
            t("settings.saved", locale) if saved else None,
            embed=settings_embed(guild, self.bot.settings, locale),
            ephemeral=True,
        )

    async def _change(self, interaction: discord.Interaction[Any], **values: Any) -> None:
        """Store the new values and show the result, or say why they cannot be stored."""
        try:
            guild = await self.bot.server_settings.set(
                interaction.guild_id or 0, by=interaction.user.id, **values
            )
        except SettingsRefused as refused:
            await interaction.response.send_message(
                t(refused.key, str(interaction.locale), **refused.params), ephemeral=True
            )
            return
        await self._reply(interaction, guild, saved=True)

    async def _current(self, interaction: discord.Interaction[Any]) -> GuildSettings:
        return await self.bot.server_settings.get(interaction.guild_id or 0)

    @app_commands.command(name="show", description="Show every setting of this server.")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        """The settings embed, unchanged."""
        await self._reply(interaction, await self._current(interaction), saved=False)

    @app_commands.command(
        name="defaults", description="Set the defaults members get when they leave an option out."
    )
    @app_commands.describe(
        video_model="Default model for /video",
        animate_model="Default model for /animate",
        duration="Default length in seconds",
        resolution="Default picture size",
        aspect_ratio="Default shape of the video",
        reset="First put every default back to the bot's own",
    )
    async def defaults(
        self,
        interaction: discord.Interaction[Any],
        video_model: str | None = None,
        animate_model: str | None = None,
        duration: int | None = None,
        resolution: str | None = None,
        aspect_ratio: str | None = None,
        reset: bool = False,
    ) -> None:
        """Change the options given; with `reset`, the others go back to the config's."""
        given = {
            "video_model": video_model,
            "animate_model": animate_model,
            "duration": duration,
            "resolution": resolution,
            "aspect_ratio": aspect_ratio,
        }
        values = {k: v for k, v in given.items() if v is not None or reset}
        await self._change(interaction, **values)

    @app_commands.command(
        name="model-access", description="Allow or forbid a model on this server."
    )
    @app_commands.describe(model="Which model", allowed="May members use it?")
    async def model_access(
        self, interaction: discord.Interaction[Any], model: str, allowed: bool
    ) -> None:
        """Add the model to, or take it off, the list members may not use."""
        current = await self._current(interaction)
        blocked = [m for m in current.blocked_models if m != model]
        await self._change(
            interaction, blocked_models=tuple(blocked if allowed else [*blocked, model])
        )

    @app_commands.command(
        name="resolution-access",
        description="Allow or forbid a resolution (e.g. 4k) on this server.",
    )
    @app_commands.describe(resolution="Which resolution", allowed="May members use it?")
    async def resolution_access(
        self, interaction: discord.Interaction[Any], resolution: str, allowed: bool
    ) -> None:
        """Add the resolution to, or take it off, the list members may not use."""
        current = await self._current(interaction)
        blocked = [r for r in current.blocked_resolutions if r != resolution]
        await self._change(
            interaction,
            blocked_resolutions=tuple(blocked if allowed else [*blocked, resolution]),
        )

    @app_commands.command(
        name="channel", description="Allow videos in a channel, or stop allowing them there."
    )
    @app_commands.describe(
        channel="A text channel", allowed="Make videos here? (none listed: every channel)"
    )
    async def channel(
        self,
        interaction: discord.Interaction[Any],
        channel: app_commands.Transform[app_commands.AppCommandChannel, TextChannelOption],
        allowed: bool,
    ) -> None:
        """List the channel (videos only in listed channels) or take it off the list."""
        current = await self._current(interaction)
        listed = [c for c in current.channel_ids if c != channel.id]
        await self._change(
            interaction, channel_ids=tuple([*listed, channel.id] if allowed else listed)
        )

    @app_commands.command(
        name="approval", description="Make expensive videos wait for an admin's approval."
    )
    @app_commands.describe(
        threshold='USD: videos quoted above it wait for an admin, or "off"',
        timeout_minutes="How long a video waits for an answer (default 10)",
    )
    async def approval(
        self,
        interaction: discord.Interaction[Any],
        threshold: str,
        timeout_minutes: app_commands.Range[int, 1, 60] | None = None,
    ) -> None:
        """Set or turn off the approval threshold, and how long a job waits for an answer."""
        amount = (
            None
            if threshold.strip().lower() in OFF_WORDS
            else parse_amount(threshold, allow_clear=False)
        )
        values: dict[str, Any] = {"approval_threshold": amount}
        if timeout_minutes is not None:
            values["approval_timeout_seconds"] = float(timeout_minutes * 60)
        await self._change(interaction, **values)

    @app_commands.command(
        name="batch", description="How many videos one /video or /animate may make at once."
    )
    @app_commands.describe(max_count="From 1 to 4 (4 when left out)")
    async def batch(
        self,
        interaction: discord.Interaction[Any],
        max_count: app_commands.Range[int, 1, MAX_COUNT] | None = None,
    ) -> None:
        """Cap the `count` option of /video and /animate (left out: back to the bot's 4)."""
        await self._change(interaction, max_count=max_count)

    @app_commands.command(name="delivery", description="Choose where finished videos are posted.")
    @app_commands.describe(
        mode="Where finished videos go",
        gallery="The gallery channel (for the gallery mode)",
        channel="Only for videos made in this channel (leave out: the whole server)",
    )
    @app_commands.choices(
        mode=[
            app_commands.Choice(name="In the channel", value=DeliveryMode.CHANNEL.value),
            app_commands.Choice(name="In a thread per video", value=DeliveryMode.THREAD.value),
            app_commands.Choice(name="In the gallery channel", value=DeliveryMode.GALLERY.value),
            app_commands.Choice(name="By direct message", value=DeliveryMode.DM.value),
            app_commands.Choice(name="As the server's default", value="default"),
        ]
    )
    async def delivery(
        self,
        interaction: discord.Interaction[Any],
        mode: app_commands.Choice[str],
        gallery: app_commands.Transform[app_commands.AppCommandChannel, TextChannelOption]
        | None = None,
        channel: app_commands.Transform[app_commands.AppCommandChannel, TextChannelOption]
        | None = None,
    ) -> None:
        """Set the server's delivery mode, or one channel's own ("default" drops it)."""
        chosen = None if mode.value == "default" else mode.value
        values: dict[str, Any] = {}
        if gallery is not None:
            refused = await cannot_post(interaction, gallery.id, "gallery")
            if refused is not None:
                await interaction.response.send_message(refused, ephemeral=True)
                return
            values["gallery_channel_id"] = gallery.id
        if channel is None:
            values["delivery"] = chosen
        else:
            current = await self._current(interaction)
            kept = [(c, m) for c, m in current.channel_delivery if c != channel.id]
            values["channel_delivery"] = tuple(
                kept if chosen is None else [*kept, (channel.id, chosen)]
            )
        await self._change(interaction, **values)

    # -- autocomplete from the catalogue ---------------------------------------------------

    def _choices(
        self, values: list[tuple[str, str]], current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.lower()
        return [
            app_commands.Choice(name=name[:100], value=value)
            for name, value in values
            if typed in name.lower()
        ][:25]

    def _models(self, kind: ModelKind | None) -> list[tuple[str, str]]:
        return [
            (f"{m.label} ({m.id})", m.id)
            for m in self.bot.settings.catalogue
            if kind is None or m.kind is kind
        ]

    @defaults.autocomplete("video_model")
    async def _video_models(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return self._choices(self._models(ModelKind.TEXT_TO_VIDEO), current)

    @defaults.autocomplete("animate_model")
    async def _animate_models(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return self._choices(self._models(ModelKind.IMAGE_TO_VIDEO), current)

    @model_access.autocomplete("model")
    async def _any_model(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return self._choices(self._models(None), current)

    def _offered(self, attribute: str, *, every_model: bool = False) -> list[str]:
        catalogue = self.bot.settings.catalogue
        seen: dict[str, None] = {}
        for model in catalogue if every_model else catalogue.makers():
            seen.update(dict.fromkeys(getattr(model, attribute)))
        return list(seen)

    @defaults.autocomplete("resolution")
    async def _resolutions(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return self._choices([(r, r) for r in self._offered("resolutions")], current)

    @resolution_access.autocomplete("resolution")
    async def _any_resolution(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        offered = self._offered("resolutions", every_model=True)
        return self._choices([(r, r) for r in offered], current)

    @defaults.autocomplete("aspect_ratio")
    async def _aspect_ratios(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return self._choices([(r, r) for r in self._offered("aspect_ratios")], current)

    @defaults.autocomplete("duration")
    async def _durations(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        durations = sorted({d for m in self.bot.settings.catalogue.makers() for d in m.durations})
        return [
            app_commands.Choice(name=app_commands.locale_str(f"{d} s"), value=d)
            for d in durations
            if current in str(d)
        ][:25]


__all__ = ["SettingsGroup", "TextChannelOption", "settings_embed"]
