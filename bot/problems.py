"""One line for each problem that stops the bot (or `check`) from starting: which setting to
fix, why, and what to do. Shared by the start-up, `check` and `simulate`, so they say the same."""

from __future__ import annotations

import errno
from pathlib import Path

from bot.db import DatabaseCorrupt, DatabaseTooNew, DatabaseUnavailable
from bot.settings import EnvSettings


def config_file_problem(path: Path, exc: OSError) -> str:
    """One line for a config file the system cannot read: a folder, no permission."""
    if path.is_dir():
        empty = " (an empty BOT_CONFIG means the current folder)" if path == Path() else ""
        return (
            f"BOT_CONFIG: {path} is a directory, not a TOML file{empty}: point BOT_CONFIG at "
            "the config file (config/bot.toml), or unset it"
        )
    return f"BOT_CONFIG: cannot read {path} ({exc.strerror or exc}): check the path and its rights"


def _named(setting: str, exc: BaseException) -> str:
    text = str(exc)
    return text if text.startswith(setting) else f"{setting}: {text}"


def database_problem(env: EnvSettings, exc: BaseException) -> str:
    """One line for a database the bot cannot open: the setting to fix, why, what to do."""
    if env.database_url is not None:
        hint = (
            ""
            if not isinstance(exc, DatabaseUnavailable)
            else ". Check DATABASE_URL (host, port, user, password, database) and that "
            "PostgreSQL runs; unset it to use the SQLite file at DATABASE_PATH"
        )
        return f"{_named('DATABASE_URL', exc)}{hint}"
    problem = _named("DATABASE_PATH", exc)
    if isinstance(exc, DatabaseCorrupt):
        return f"{problem}. If DATABASE_PATH names the wrong file, fix DATABASE_PATH"
    if isinstance(exc, DatabaseTooNew):
        return problem
    return f"{problem}. Point DATABASE_PATH at a file in a folder the bot may write"


def dev_guild_refused(guild_id: int, why: str) -> str:
    """One line for Discord's 403 (50001 Missing Access) on DEV_GUILD_ID's commands."""
    return (
        f"DEV_GUILD_ID: Discord refused the slash commands for server {guild_id} ({why}): "
        "the bot is not in that server, or was invited without the applications.commands "
        "scope. Invite it again with the invite link in the README (scopes bot and "
        "applications.commands), or fix DEV_GUILD_ID (leave it empty for every server)"
    )


def cannot_listen(
    who: str, host: str, port: int, exc: OSError, *, port_option: str, host_option: str
) -> str:
    """One line for a listener that failed: which option to change, and to what."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{who}: port {port} on {host} is already in use: stop what uses it, "
            f"or pick another {port_option}"
        )
    if exc.errno == errno.EACCES:
        return (
            f"{who}: port {port} needs more rights than this user has: "
            f"pick a {port_option} above 1023"
        )
    reason = exc.strerror or str(exc)
    return (
        f"{who}: cannot listen on {host}:{port} ({reason}): {host_option} must be a name or "
        "address of this machine, e.g. 127.0.0.1"
    )
