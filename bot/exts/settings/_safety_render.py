"""The safety part of the /settings embed: prompt rules, age-restricted channels, the log
channel, the rejection limit and what happens to flagged videos."""

from __future__ import annotations

import discord

from bot.guilds.settings import GuildSettings
from bot.i18n import t
from bot.safety.held import FlaggedOutputs
from bot.safety.strikes import DEFAULT_REJECTION_LIMIT

FIELD_MAX = 1024


def _rule_line(label: str, words: tuple[str, ...], regex: str | None, locale: str) -> str:
    if regex is not None:
        return t("settings.rule_regex", locale, label=label, pattern=regex.replace("`", "'"))
    shown = ", ".join(words)
    if len(shown) > 120:
        shown = shown[:119] + "…"
    return t("settings.rule_words", locale, label=label, count=len(words), words=shown)


def _cut(lines: list[str]) -> str:
    text = ""
    for index, line in enumerate(lines):
        more = f"\n…(+{len(lines) - index})"
        if len(text) + len(line) + 1 + len(more) > FIELD_MAX:
            return text + more
        text = f"{text}\n{line}" if text else line
    return text


def add_safety_fields(embed: discord.Embed, guild: GuildSettings, locale: str) -> None:
    """Append the prompt rules and safety fields to a settings embed."""
    rules = [_rule_line(r.label, r.words, r.regex, locale) for r in guild.prompt_rules]
    embed.add_field(
        name=t("settings.field.prompt_rules", locale),
        value=_cut(rules) or t("settings.no_rules", locale),
        inline=False,
    )
    flagged = guild.flagged_outputs or FlaggedOutputs.SPOILER.value
    lines = [
        t("settings.nsfw_only_on" if guild.nsfw_only else "settings.nsfw_only_off", locale),
        t("settings.log_channel", locale, channel=f"<#{guild.log_channel_id}>")
        if guild.log_channel_id is not None
        else t("settings.no_log_channel", locale),
        t(
            "settings.rejection_limit",
            locale,
            count=guild.rejection_limit or DEFAULT_REJECTION_LIMIT,
        ),
        t(f"settings.flagged.{flagged}", locale),
    ]
    embed.add_field(name=t("settings.field.safety", locale), value="\n".join(lines), inline=False)
