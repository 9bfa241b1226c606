"""Slash-command names and descriptions in other languages: one table per language (kept in
that language's module, beside its messages), keyed by the English text the extensions declare,
and Discord's rules for what such a table may contain.

`bot.ui.translator.CommandTranslator` hands these to discord.py when it syncs the commands.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

NAME_MAX = 32
DESCRIPTION_MAX = 100
CHOICE_NAME_MAX = 100

Kind = Literal["name", "description", "choice"]
"""What a string of a command is: a name (command, group, option), a description, a choice."""


@dataclass(frozen=True)
class CommandTable:
    """One locale's command vocabulary, keyed by the English text."""

    names: Mapping[str, str]
    """Command, group, subcommand and option names: Discord's name rules apply."""
    descriptions: Mapping[str, str]
    """Command, group and option descriptions (1-100 characters)."""
    choices: Mapping[str, str] = field(default_factory=dict)
    """Fixed choice names."""
    choice_patterns: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = ()
    """Choice names built at run time (autocomplete), e.g. "8 s"."""

    def lookup(self, text: str, kind: Kind) -> str | None:
        """The translation of `text` as a `kind` of string, or None to keep the English."""
        if kind == "name":
            return self.names.get(text)
        if kind == "description":
            return self.descriptions.get(text)
        if kind == "choice":
            if text in self.choices:
                return self.choices[text]
            for pattern, replace in self.choice_patterns:
                match = pattern.fullmatch(text)
                if match is not None:
                    return replace(match)
        return None


def _in_indic_or_thai(char: str) -> bool:
    # Discord also allows Devanagari and Thai, including their combining marks (category M).
    code = ord(char)
    return 0x0900 <= code <= 0x097F or 0xA8E0 <= code <= 0xA8FF or 0x0E00 <= code <= 0x0E7F


def is_valid_command_name(name: str) -> bool:
    """Discord's rule for command and option names, lowercase wherever the script has case:
    `^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`."""
    if not 1 <= len(name) <= NAME_MAX or name != name.lower():
        return False
    return all(
        char in "-_" or unicodedata.category(char)[0] in "LN" or _in_indic_or_thai(char)
        for char in name
    )


def table_problems(table: CommandTable) -> list[str]:
    """What Discord would reject in `table` (bad names, over-long texts); empty when fine."""
    problems = [
        f"name {english!r} -> {name!r} breaks Discord's name rules"
        for english, name in table.names.items()
        if not is_valid_command_name(name)
    ]
    problems += [
        f"description {english!r} is longer than {DESCRIPTION_MAX} characters"
        for english, text in table.descriptions.items()
        if not 1 <= len(text) <= DESCRIPTION_MAX
    ]
    problems += [
        f"choice {english!r} is longer than {CHOICE_NAME_MAX} characters"
        for english, text in table.choices.items()
        if not 1 <= len(text) <= CHOICE_NAME_MAX
    ]
    return problems
