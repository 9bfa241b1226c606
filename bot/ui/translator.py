"""Slash-command names and descriptions in the member's Discord language, from `bot.i18n`.

discord.py asks an `app_commands.Translator` for every command, group, option name and
description (and every choice name, including autocomplete answers) once per locale when it
syncs; what comes back is published as `name_localizations` / `description_localizations`, so
Discord shows each member the command in their client's language. Members' replies are
localized separately, through `bot.i18n.t`.

The tables (one per language, in that language's module) are keyed by the English text the
extensions declare: a new option or a changed description simply stays English until it is
added there (tests/test_i18n.py says which).
"""

from __future__ import annotations

from collections.abc import Mapping

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Location

from bot.i18n import COMMAND_TABLES, CommandTable
from bot.i18n.commands import Kind, table_problems

_KINDS: dict[Location, Kind] = {
    Location.command_name: "name",
    Location.group_name: "name",
    Location.parameter_name: "name",
    Location.command_description: "description",
    Location.group_description: "description",
    Location.parameter_description: "description",
    Location.choice_name: "choice",
}

TABLES: dict[discord.Locale, CommandTable] = {
    discord.Locale(locale): table for locale, table in COMMAND_TABLES.items()
}
"""The command tables by Discord locale."""


class CommandTranslator(app_commands.Translator):
    """Translates command strings for the locales in `tables` (zh-TW by default)."""

    def __init__(self, tables: Mapping[discord.Locale, CommandTable] | None = None) -> None:
        self.tables = dict(TABLES if tables is None else tables)

    async def load(self) -> None:
        """Refuse a table Discord would reject, before a sync fails on it."""
        problems = [
            f"{locale}: {problem}"
            for locale, table in self.tables.items()
            for problem in table_problems(table)
        ]
        if problems:
            raise ValueError("command translations Discord would reject: " + "; ".join(problems))

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The text for `locale`, or None to let Discord show the English."""
        table = self.tables.get(locale)
        if table is None:
            return None
        kind = _KINDS.get(context.location)
        return None if kind is None else table.lookup(string.message, kind)
