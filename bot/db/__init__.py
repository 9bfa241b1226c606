"""The database: connections, the two engines (SQLite, PostgreSQL), migrations and schemas.

Every table of the bot lives here, money or not; the ledger, the job store and the small
per-server tables reach them through `Store` steps (see `bot.db.store`). Knows nothing of
Discord, Atlas or money rules.
"""

from bot.db.engines import is_postgres, open_store
from bot.db.errors import (
    ConstraintViolation,
    DatabaseCorrupt,
    DatabaseError,
    DatabaseTooNew,
    DatabaseUnavailable,
)
from bot.db.sqlite import Database
from bot.db.store import Conn, Store, Tx

__all__ = [
    "Conn",
    "ConstraintViolation",
    "Database",
    "DatabaseCorrupt",
    "DatabaseError",
    "DatabaseTooNew",
    "DatabaseUnavailable",
    "Store",
    "Tx",
    "is_postgres",
    "open_store",
]
