"""/settings prompt-rules add|remove, /settings safety and /settings unpause: a server's safety
rules (Manage Server, checked at run time), added to the /settings group by this extension.

Each answers with the whole settings embed, like the rest of /settings. Adding a regex rule
first times it in the regex sandbox (up to a few seconds), so that answer is deferred.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands

from bot.exts.settings._cog import TextChannelOption, settings_embed
from bot.guilds.settings import GuildSettings, SettingsRefused
from bot.i18n import t
from bot.safety.prompt_rules import MAX_LABEL_CHARS, MAX_REGEX_CHARS
from bot.ui.admin import require_manage_server
from bot.ui.channels import cannot_post

if TYPE_CHECKING:
    from bot.app import VideoBot

WORDS_MAX = 1500
REJECTION_LIMIT_MAX = 20


def _bot(interaction: discord.Interaction[Any]) -> VideoBot:
    return cast("VideoBot", interaction.client)


async def _answer(
    interaction: discord.Interaction[Any],
    *,
    guild: GuildSettings | None = None,
    text: str | None = None,
) -> None:
    """An ephemeral answer with the settings embed (when `guild` is given), deferred or not."""
    locale = str(interaction.locale)
    kwargs: dict[str, Any] = {}
    if guild is not None:
        kwargs["embed"] = settings_embed(guild, _bot(interaction).settings, locale)
    if interaction.response.is_done():
        await interaction.followup.send(text or discord.utils.MISSING, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(text, ephemeral=True, **kwargs)


async def _refused(interaction: discord.Interaction[Any], refused: SettingsRefused) -> None:
    await _answer(interaction, text=t(refused.key, str(interaction.locale), **refused.params))


class PromptRulesGroup(app_commands.Group):
    """/settings prompt-rules add | remove."""

    def __init__(self) -> None:
        super().__init__(
            name="prompt-rules",
            description="Block prompts by words or patterns, before anything is held.",
        )

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Manage Server only."""
        return await require_manage_server(interaction)

    @app_commands.command(name="add", description="Add a rule, or replace the one with its label.")
    @app_commands.describe(
        label="The name members see when a prompt is refused",
        words="Blocked words or phrases, separated by commas",
        regex="Or one regular expression (checked case-insensitively)",
    )
    async def add(
        self,
        interaction: discord.Interaction[Any],
        label: app_commands.Range[str, 1, MAX_LABEL_CHARS],
        words: app_commands.Range[str, 1, WORDS_MAX] | None = None,
        regex: app_commands.Range[str, 1, MAX_REGEX_CHARS] | None = None,
    ) -> None:
        """Store the rule; a regex is timed against hostile texts first."""
        if regex is not None:
            await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            guild = await _bot(interaction).moderation.add_rule(
                interaction.guild_id or 0,
                by=interaction.user.id,
                label=label,
                words=words,
                regex=regex,
            )
        except SettingsRefused as refused:
            await _refused(interaction, refused)
            return
        await _answer(interaction, guild=guild, text=t("settings.saved", str(interaction.locale)))

    @app_commands.command(name="remove", description="Remove a prompt rule.")
    @app_commands.describe(label="The rule's label")
    async def remove(self, interaction: discord.Interaction[Any], label: str) -> None:
        """Forget the rule with this label."""
        try:
            guild = await _bot(interaction).moderation.remove_rule(
                interaction.guild_id or 0, by=interaction.user.id, label=label
            )
        except SettingsRefused as refused:
            await _refused(interaction, refused)
            return
        await _answer(interaction, guild=guild, text=t("settings.saved", str(interaction.locale)))

    @remove.autocomplete("label")
    async def _labels(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        # discord.py runs no check (the group's interaction_check included) for autocomplete,
        # and a server can show /settings to anyone: the labels are the admins' alone.
        if not interaction.permissions.manage_guild:
            return []
        guild = await _bot(interaction).server_settings.get(interaction.guild_id or 0)
        typed = current.lower()
        return [
            app_commands.Choice(name=rule.label, value=rule.label)
            for rule in guild.prompt_rules
            if typed in rule.label.lower()
        ][:25]


@app_commands.describe(
    nsfw_only="Make videos only in age-restricted channels?",
    log_channel="Where moderation events are written, one line each",
    stop_logging="Stop writing moderation events",
    rejection_limit="Rejections by Atlas's moderation in a day that pause a member (default 3)",
    flagged_videos="What happens to a video Atlas flags as sensitive",
)
@app_commands.choices(
    flagged_videos=[
        app_commands.Choice(name="Show it behind a spoiler", value="spoiler"),
        app_commands.Choice(name="Hold it for a moderator's review", value="review"),
    ]
)
async def _safety(
    interaction: discord.Interaction[Any],
    nsfw_only: bool | None = None,
    log_channel: app_commands.Transform[app_commands.AppCommandChannel, TextChannelOption]
    | None = None,
    stop_logging: bool = False,
    rejection_limit: app_commands.Range[int, 1, REJECTION_LIMIT_MAX] | None = None,
    flagged_videos: app_commands.Choice[str] | None = None,
) -> None:
    """Change the options given; the others stay as they are."""
    values: dict[str, Any] = {}
    if nsfw_only is not None:
        values["nsfw_only"] = True if nsfw_only else None
    if stop_logging:
        values["log_channel_id"] = None
    elif log_channel is not None:
        refused = await cannot_post(interaction, log_channel.id, "log")
        if refused is not None:
            await _answer(interaction, text=refused)
            return
        values["log_channel_id"] = log_channel.id
    if rejection_limit is not None:
        values["rejection_limit"] = rejection_limit
    if flagged_videos is not None:
        values["flagged_outputs"] = flagged_videos.value
    bot = _bot(interaction)
    try:
        guild = await bot.server_settings.set(
            interaction.guild_id or 0, by=interaction.user.id, **values
        )
    except SettingsRefused as refused:
        await _refused(interaction, refused)
        return
    await _answer(interaction, guild=guild, text=t("settings.saved", str(interaction.locale)))


@app_commands.describe(member="The member whose video access was paused")
async def _unpause(interaction: discord.Interaction[Any], member: discord.Member) -> None:
    """Lift a member's pause (after repeated rejections by Atlas's moderation)."""
    locale = str(interaction.locale)
    lifted = await _bot(interaction).moderation.unpause(
        interaction.guild_id or 0, member.id, by=interaction.user.id
    )
    key = "settings.unpaused" if lifted else "settings.not_paused"
    await _answer(interaction, text=t(key, locale, user=member.mention))


def safety_commands() -> list[app_commands.Command[Any, ..., Any] | app_commands.Group]:
    """Fresh command objects for one /settings group."""
    return [
        PromptRulesGroup(),
        app_commands.Command(
            name="safety",
            description="Age-restricted channels, the log channel, pauses and flagged videos.",
            callback=_safety,
        ),
        app_commands.Command(
            name="unpause",
            description="Let a paused member make videos again.",
            callback=_unpause,
        ),
    ]
