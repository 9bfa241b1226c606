"""Opening a file safely: refuse what is not ours or too new, check it, migrate it forward."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.db.checkpoint import BACKSTOP_PAGES
from bot.db.errors import DatabaseCorrupt, DatabaseTooNew
from bot.db.schema import APPLICATION_ID, MIGRATIONS

CACHE_KIB = 16_384
"""Page cache per connection: a year of a busy guild's hot pages."""


def identify(conn: sqlite3.Connection, path: Path) -> int:
    """Refuse a file that is newer than us or not ours; its schema version otherwise."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if version > len(MIGRATIONS):
        raise DatabaseTooNew(
            f"the database {path} has schema version {version}, written by a newer version "
            f"of the bot; this one knows up to version {len(MIGRATIONS)}. Upgrade the bot "
            "(or restore a backup made by this version); the file was not changed"
        )
    has_tables = conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0] > 0
    if app_id not in (0, APPLICATION_ID) or (version == 0 and has_tables):
        raise DatabaseCorrupt(
            f"{path} is an SQLite file but not an atlas-video-bot database; point "
            "DATABASE_PATH at another file: the bot does not touch this one"
        )
    return version


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Apply the missing migrations, each in its own transaction; the final version."""
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = identify(conn, path)  # again, under the lock: another process may race
            if version == len(MIGRATIONS):
                conn.execute("ROLLBACK")
                return version
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def prepare(conn: sqlite3.Connection, path: Path, busy_timeout: float) -> None:
    """Set the connection up (WAL, foreign keys, busy timeout), check the file, migrate it."""
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    # Read-only checks first: a file that is not ours, or damaged, is not written to.
    identify(conn, path)
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
    if problems != ["ok"]:
        raise DatabaseCorrupt(
            f"the database {path} failed its integrity check ({'; '.join(problems[:3])}); "
            "restore a backup: the bot never recreates it by itself"
        )
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    conn.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints, atomic always
    conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")  # see checkpoint.py
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn, path)
