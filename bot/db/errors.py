"""The database's errors, and how a database error is explained to whoever runs the bot."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class DatabaseError(Exception):
    """Base of every error of the database layer (engines, migrations, transactions)."""


class DatabaseTooNew(DatabaseError):
    """The file was written by a newer version of the bot; it is left untouched."""


class DatabaseCorrupt(DatabaseError):
    """The file is damaged or is not this bot's database; it is never recreated."""


class DatabaseUnavailable(DatabaseError):
    """The database cannot be used right now: locked too long, disk full, read-only, I/O."""


class ConstraintViolation(DatabaseError):
    """A row broke one of the schema's rules (a CHECK, a key, an append-only trigger)."""


_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY: "stayed locked by another connection for too long",
    sqlite3.SQLITE_LOCKED: "stayed locked by another connection for too long",
    sqlite3.SQLITE_FULL: "cannot grow: the disk is full",
    sqlite3.SQLITE_READONLY: "is read-only",
    sqlite3.SQLITE_PERM: "cannot be written: permission denied",
    sqlite3.SQLITE_CANTOPEN: "cannot be opened (missing folder or no permission?)",
    sqlite3.SQLITE_IOERR: "hit a disk I/O error",
}
_CORRUPT = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


def translate(exc: BaseException, path: Path) -> BaseException:
    """The database error that explains a sqlite3 error to an operator; `exc` itself otherwise
    (a constraint or SQL error is a bug, not the operator's to fix)."""
    if not isinstance(exc, sqlite3.Error):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in _CORRUPT:
        return DatabaseCorrupt(
            f"the database {path} is damaged ({exc}); restore a backup or move the file "
            "away: the bot never recreates it by itself"
        )
    if primary in _UNAVAILABLE:
        return DatabaseUnavailable(f"the database {path} {_UNAVAILABLE[primary]} ({exc})")
    return exc
