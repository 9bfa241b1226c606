"""The bot as a process: the event loop (uvloop), signals, the secrets it needs, and one line
instead of a traceback when it cannot start (`atlas-video-bot run` and `sync`)."""

from __future__ import annotations

import asyncio
import logging
import signal

import aiohttp
import discord
from pydantic import SecretStr

from bot import __version__
from bot.app import make_bot
from bot.db.postgres import display_url
from bot.settings import ConfigError, Settings
from bot.sync import NO_DEV_GUILD_TO_CLEAR

log = logging.getLogger("bot.app")


def discord_token(settings: Settings, *, sync_only: bool) -> SecretStr:
    """The Discord token; `run` needs the Atlas key as well, `sync` talks to Discord only."""
    if sync_only:
        token = settings.env.discord_token
        if token is None:
            raise ConfigError(
                "DISCORD_TOKEN is not set: put your bot token in the environment or in .env"
            )
        return token
    token, _ = settings.require_secrets()
    return token


def starting_line(settings: Settings) -> str:
    """What the bot is about to use, in one line an admin can check before it connects."""
    env = settings.env
    atlas = "the built-in simulator (dry run)" if settings.simulated else env.atlas_base_url
    ledger = (
        str(env.database_path)
        if env.database_url is None
        else display_url(env.database_url.get_secret_value())
    )
    return (
        f"starting {__version__}: config {env.bot_config}, Discord at "
        f"{env.discord_api_base_url}, Atlas at {atlas}, ledger {ledger}"
    )


async def _serve(settings: Settings, *, sync_only: bool, clear_dev_guild: bool) -> None:
    token = discord_token(settings, sync_only=sync_only)
    log.info("%s", starting_line(settings))
    bot = make_bot(settings, sync_only=sync_only, clear_dev_guild=clear_dev_guild)
    loop = asyncio.get_running_loop()
    closing: list[asyncio.Task[None]] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: closing.append(loop.create_task(bot.close())))
    try:
        async with bot:
            if sync_only:
                await bot.login(token.get_secret_value())  # runs setup_hook, which syncs
                log.info("sync: done")
                return
            await bot.start(token.get_secret_value())
    finally:
        # discord.py's __aexit__ waits only for its own part of close(): finish ours too
        # (jobs, Atlas session, database), or asyncio.run would cancel it half-way.
        await asyncio.gather(*closing, return_exceptions=True)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The bot's event loop: uvloop where it is installed (Linux, macOS), else asyncio's own.

    Same asyncio API, with sockets, timers and callbacks in C: the bot spends about a fifth
    less CPU per job (bench/load.py), most of it in HTTP calls to Discord and Atlas.
    """
    try:
        import uvloop
    except ImportError:  # e.g. Windows: asyncio's loop works the same, a little slower
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run_bot(settings: Settings, *, sync_only: bool = False, clear_dev_guild: bool = False) -> int:
    """Connect to Discord and serve the commands until stopped (`sync_only`: publish the slash
    commands and return; `clear_dev_guild`: remove DEV_GUILD_ID's copy instead); returns the
    exit code."""
    sync_only = sync_only or clear_dev_guild
    discord_token(settings, sync_only=sync_only)
    if clear_dev_guild and settings.env.dev_guild_id is None:
        raise ConfigError(NO_DEV_GUILD_TO_CLEAR)
    try:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(_serve(settings, sync_only=sync_only, clear_dev_guild=clear_dev_guild))
    except aiohttp.ClientConnectionError as exc:
        raise ConfigError(
            f"DISCORD_API_BASE_URL: cannot reach Discord at {settings.env.discord_api_base_url} "
            f"({exc.__class__.__name__}); check the network or the setting"
        ) from None
    except discord.LoginFailure:
        raise ConfigError(
            "DISCORD_TOKEN is rejected by Discord: copy it again from the developer portal"
        ) from None
    return 0


__all__ = ["discord_token", "new_event_loop", "run_bot", "starting_line"]
