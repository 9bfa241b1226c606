"""Every text a member or admin reads, one module per language (`en`, `zh_tw`): its messages,
by key, and its slash-command names and descriptions.

`t(key, locale, **params)` picks the member's language (Discord's locale, e.g. "zh-TW"),
falling back to English. Each language module holds every key of the English one, with the
same placeholders (tests/test_i18n.py checks it).
"""

from __future__ import annotations

from typing import Any

from bot.i18n import en, zh_tw
from bot.i18n.commands import CommandTable

ENGLISH = en.LOCALE
TRADITIONAL_CHINESE = zh_tw.LOCALE

MESSAGES: dict[str, dict[str, str]] = {ENGLISH: en.MESSAGES, TRADITIONAL_CHINESE: zh_tw.MESSAGES}
"""Every language's messages, by Discord locale."""

COMMAND_TABLES: dict[str, CommandTable] = {TRADITIONAL_CHINESE: zh_tw.COMMANDS}
"""The slash commands in each language other than English, by Discord locale."""


def t(key: str, locale: str | None = None, **params: Any) -> str:
    """The message `key` in `locale` (falling back to English), filled with `params`."""
    catalogue = MESSAGES.get(locale or ENGLISH) or MESSAGES[ENGLISH]
    template = catalogue.get(key) or MESSAGES[ENGLISH][key]
    return template.format(**params) if params else template


__all__ = ["COMMAND_TABLES", "ENGLISH", "MESSAGES", "TRADITIONAL_CHINESE", "CommandTable", "t"]
