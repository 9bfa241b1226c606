"""Placeholder: the simulator server is built by the foundation issue."""

from __future__ import annotations

from bot.settings import Settings


async def serve_forever(
    settings: Settings, *, host: str, port: int, generation_seconds: float
) -> None:
    """Serve the simulator until interrupted."""
    raise NotImplementedError
