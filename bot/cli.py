"""The `atlas-video-bot` command: run the bot, run the Atlas simulator, sync commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot import __version__
from bot.settings import ConfigError, load

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atlas-video-bot", description="Short AI videos for Discord, on a budget."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="connect to Discord and serve /video and /animate (default)")
    commands.add_parser("sync", help="publish the slash commands to Discord, then exit")
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
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load()
        logging.basicConfig(
            level=settings.env.log_level,
            format="%(asctime)s %(levelname)s %(name)s %(message)s",
        )
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
        from bot.app import run_bot

        return run_bot(settings, sync_only=command == "sync")
    except ConfigError as exc:
        print(f"atlas-video-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
