"""Start-up of the Discord bot (filled in by the Discord layer)."""

from __future__ import annotations

from bot.settings import ConfigError, Settings


def run_bot(settings: Settings, *, sync_only: bool = False) -> int:
    """Connect to Discord and serve the commands until stopped."""
    settings.require_secrets()
    raise ConfigError("the Discord layer is not built yet")
