"""/settings: a server's video settings, its safety rules among them (Manage Server)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.settings._alerts import alerts_command
from bot.exts.settings._cog import SettingsGroup
from bot.exts.settings._helper import prompt_helper_command
from bot.exts.settings._safety import safety_commands

if TYPE_CHECKING:
    from bot.app import VideoBot


async def setup(bot: VideoBot) -> None:
    """Extension entry point: the /settings group, with the safety commands in it."""
    group = SettingsGroup(bot)
    for command in [*safety_commands(), alerts_command(), prompt_helper_command()]:
        group.add_command(command)
    bot.tree.add_command(group)
