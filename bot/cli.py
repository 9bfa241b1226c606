"""The `atlas-video-bot` command: run the bot, run the Atlas simulator, sync commands, check
the set-up, reconcile the ledger with Atlas's bill, report health."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from bot import __version__
from bot.files import restrict_umask
from bot.health import MAX_AGE_SECONDS, health_main
from bot.logs import json_logs_from_env, logging_configured, redact, register_secret, register_url
from bot.settings import ConfigError, Settings, load_env

log = logging.getLogger("bot")
MAX_PORT = 65535


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atlas-video-bot", description="Short AI videos for Discord, on a budget."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="connect to Discord and serve /video and /animate (default)")
    sync = commands.add_parser("sync", help="publish the slash commands to Discord, then exit")
    sync.add_argument(
        "--clear",
        action="store_true",
        help="instead, remove the commands the DEV_GUILD_ID server keeps from testing",
    )
    commands.add_parser(
        "check", help="check settings, config, database, Atlas key and Discord token, then exit"
    )
    health = commands.add_parser(
        "health", help="exit 0 when the running bot is connected and its database reads"
    )
    health.add_argument(
        "--max-age",
        type=float,
        default=MAX_AGE_SECONDS,
        help="seconds after which the heartbeat counts as stale (default: %(default)s)",
    )
    commands.add_parser(
        "migrate-to-postgres",
        help="copy the SQLite ledger (DATABASE_PATH) into the empty PostgreSQL DATABASE_URL",
    )
    reconcile = commands.add_parser(
        "reconcile",
        help="compare what the ledger charged with what Atlas billed, per UTC day and model "
        "(exit 1 when a day differs beyond [operator] reconcile_tolerance_usd)",
    )
    reconcile.add_argument(
        "--since", type=_day, help="first UTC day, YYYY-MM-DD (default: six days ago)"
    )
    reconcile.add_argument(
        "--until",
        type=_day,
        help="the day after the last, YYYY-MM-DD (default: tomorrow, so today is shown)",
    )
    simulate = commands.add_parser(
        "simulate", help="serve the Atlas Cloud simulator for a zero-cost dry run"
    )
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, default=8080)
    simulate.add_argument(
        "--generation-seconds", type=float, default=3.0, help="how long a simulated video takes"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code.

    Everything the program creates is owner-only (umask 077): the ledger holds prompts and
    member ids, and the host's other users have no business reading it."""
    previous = restrict_umask()
    try:
        return _main(argv)
    finally:
        os.umask(previous)  # for callers in the same process (tests); a process just exits


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    if command == "health":
        return _health(args.max_age)
    if command == "migrate-to-postgres":
        return _migrate_to_postgres()
    try:
        if command == "check":
            from bot.check import check_main

            with logging_configured(logging.WARNING, json=False):
                return asyncio.run(check_main())
        if command == "simulate":
            _check_port(args.port)
        from bot.check import load_settings

        settings = load_settings()
        if command == "reconcile":
            return _reconcile(settings, args.since, args.until)
        register_secret(settings.env.discord_token)
        register_secret(settings.env.atlascloud_api_key)
        register_url(settings.env.database_url)
        with logging_configured(settings.env.log_level, json=json_logs_from_env()):
            if command == "simulate":
                from bot.sim.server import serve_forever

                asyncio.run(
                    serve_forever(
                        settings,
                        host=args.host,
                        port=args.port,
                        generation_seconds=args.generation_seconds,
                    )
                )
                return 0
            from bot.launcher import run_bot

            return run_bot(
                settings,
                sync_only=command == "sync",
                clear_dev_guild=command == "sync" and args.clear,
            )
    except ConfigError as exc:
        # Printed, not logged: redacted here, as the log handlers would (DATABASE_URL's
        # password, the token and the key never reach the terminal).
        print(f"atlas-video-bot: {redact(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day written YYYY-MM-DD") from None


def _reconcile(settings: Settings, since: date | None, until: date | None) -> int:
    """The ledger beside Atlas's bill; 0 agree, 1 a day differs, 2 cannot tell."""
    from bot.operator.reconcile import reconcile_command

    today = datetime.now(UTC).date()
    until = until or today + timedelta(days=1)
    since = since or until - timedelta(days=7)
    with logging_configured(logging.WARNING, json=False):
        return asyncio.run(reconcile_command(settings, since=since, until=until, out=sys.stdout))


def _check_port(port: int) -> None:
    if not 0 <= port <= MAX_PORT:
        raise ConfigError(f"--port {port}: a port is a number from 0 to {MAX_PORT}")


def _migrate_to_postgres() -> int:
    """Move the SQLite ledger to PostgreSQL; 0 when every row arrived and the sums match."""
    from bot.db import DatabaseError
    from bot.db.move import describe, migrate_to_postgres
    from bot.db.postgres import display_url

    try:
        env = load_env()
        if env.database_url is None:
            raise ConfigError("DATABASE_URL is not set: name the PostgreSQL database to fill")
        register_url(env.database_url)
        url = env.database_url.get_secret_value()
        report = asyncio.run(migrate_to_postgres(env.database_path, url))
    except (ConfigError, DatabaseError) as exc:
        print(f"atlas-video-bot: {redact(str(exc))}", file=sys.stderr)
        return 2
    print(f"moved {env.database_path} to {display_url(url)}:\n{describe(report)}")
    return 0


def _health(max_age: float) -> int:
    """The container health check: Docker reads 0 as healthy and 1 as unhealthy, never 2."""
    try:
        env = load_env()
        database = None if env.database_url is not None else env.database_path
    except ConfigError as exc:
        print(f"unhealthy: {exc}")
        return 1
    return health_main(database, max_age=max_age)
