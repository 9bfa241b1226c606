"""Health: the running bot writes a small heartbeat file; `atlas-video-bot health` reads it.

The container's HEALTHCHECK runs in a separate process, so the bot's state travels through a
file: `{"connected": true, "time": <unix seconds>, "pid": 1}`, rewritten every
`WRITE_EVERY_SECONDS`. The check fails when the file is missing, stale or says disconnected,
or when the database cannot be opened read-only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from bot.files import private_folder, write_private
from bot.settings import DEFAULT_HEALTH_FILE, env_health_file

__all__ = [
    "DEFAULT_HEALTH_FILE",
    "HEALTH_FILE_ENV",
    "MAX_AGE_SECONDS",
    "WRITE_EVERY_SECONDS",
    "check_health",
    "database_problem",
    "health_file",
    "health_main",
    "write_health",
]

HEALTH_FILE_ENV = "HEALTH_FILE"
WRITE_EVERY_SECONDS = 30.0
MAX_AGE_SECONDS = 90.0
"""Three missed writes: the event loop is stuck or the process is gone."""


def health_file(environ: Mapping[str, str] | None = None) -> Path:
    """Where the heartbeat lives: `HEALTH_FILE` (environment or `.env`), or `data/health.json`.

    `settings.env.health_file` holds the same value once settings are loaded; `environ`, when
    given, is read instead (tests)."""
    if environ is None:
        return env_health_file()
    value = environ.get(HEALTH_FILE_ENV, "")
    return Path(value) if value.strip() else DEFAULT_HEALTH_FILE


def write_health(path: Path, connected: bool, *, now: float | None = None) -> None:
    """Record whether the bot is connected to Discord, atomically (a reader never sees half),
    owner-only (0600, in a folder created 0700)."""
    private_folder(path.parent)
    beat = {"connected": connected, "time": time.time() if now is None else now, "pid": os.getpid()}
    write_private(path, json.dumps(beat).encode())


def _heartbeat_problem(path: Path, *, max_age: float, now: float) -> str | None:
    try:
        beat = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no heartbeat file {path}: the bot is not running (or {HEALTH_FILE_ENV} differs)"
    except (OSError, ValueError) as exc:
        return f"cannot read the heartbeat file {path}: {exc}"
    if not isinstance(beat, dict):
        return f"the heartbeat file {path} is not a JSON object"
    written = beat.get("time")
    if not isinstance(written, int | float) or isinstance(written, bool):
        return f"the heartbeat file {path} has no time"
    age = now - written
    if age > max_age:
        return f"the last heartbeat is {age:.0f} s old (limit {max_age:.0f} s): the bot is stuck"
    if beat.get("connected") is not True:
        return "the bot is not connected to Discord"
    return None


def database_problem(path: Path) -> str | None:
    """Why the database cannot be opened read-only and read, or None when it can."""
    if not path.is_file():
        return f"DATABASE_PATH: {path} does not exist or is not a file"
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=2.0)
        try:
            # Reads the schema page: proves the file opens and is an SQLite database.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"DATABASE_PATH: cannot read {path}: {exc}"
    return None


def check_health(
    heartbeat: Path,
    database: Path | None,
    *,
    max_age: float = MAX_AGE_SECONDS,
    now: float | None = None,
) -> list[str]:
    """Every reason the bot is unhealthy; empty when it is connected and its database reads.

    `database` None: the ledger is on PostgreSQL (DATABASE_URL), so there is no file to read
    here; the heartbeat alone says whether the bot runs."""
    problems = []
    current = time.time() if now is None else now
    for problem in (
        _heartbeat_problem(heartbeat, max_age=max_age, now=current),
        None if database is None else database_problem(database),
    ):
        if problem is not None:
            problems.append(problem)
    return problems


def health_main(
    database: Path | None,
    *,
    heartbeat: Path | None = None,
    max_age: float = MAX_AGE_SECONDS,
    out: TextIO | None = None,
) -> int:
    """`atlas-video-bot health`: print the verdict; 0 healthy, 1 unhealthy (Docker's codes)."""
    stream = out if out is not None else sys.stdout
    problems = check_health(heartbeat or health_file(), database, max_age=max_age)
    if problems:
        print("unhealthy: " + "; ".join(problems), file=stream)
        return 1
    print("healthy: connected to Discord, database readable", file=stream)
    return 0
