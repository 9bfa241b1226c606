"""A start says what matters: discord.py's two "voice will NOT be supported" warnings (the bot
never uses voice) do not open every start any more."""

from __future__ import annotations

import logging

import discord
import pytest

from bot.app import VideoBot
from bot.settings import Settings

VOICE_WARNING = "voice will NOT be supported"


def voice_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if VOICE_WARNING in r.getMessage()]


async def test_the_bot_starts_without_discord_pys_voice_warnings(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # As in a fresh process: discord.py warns once, when the first client is made.
    for flag in ("warn_nacl", "warn_dave"):
        monkeypatch.setattr(discord.VoiceClient, flag, True, raising=False)
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )

    with caplog.at_level(logging.WARNING):
        bot = VideoBot(settings)
        await bot.close()
        assert voice_warnings(caplog) == []

        for flag in ("warn_nacl", "warn_dave"):  # a plain client, as before: it warns
            monkeypatch.setattr(discord.VoiceClient, flag, True, raising=False)
        plain = discord.Client(intents=discord.Intents.none())
        await plain.close()
    assert len(voice_warnings(caplog)) == 2
