"""Finding a loaded cog by its class: extensions reach each other by type, never by a string."""

from __future__ import annotations

from typing import TypeVar

import discord
from discord.ext import commands

CogT = TypeVar("CogT", bound=commands.Cog)


def loaded(client: discord.Client, cls: type[CogT]) -> CogT:
    """The loaded cog of class `cls` (`LookupError` if its extension is not loaded)."""
    cog = client.get_cog(cls.__cog_name__) if isinstance(client, commands.Bot) else None
    if not isinstance(cog, cls):
        raise LookupError(f"{cls.__name__} is not loaded")
    return cog


__all__ = ["loaded"]
