"""Choosing the engine: PostgreSQL when a `DATABASE_URL` is given, else the SQLite file."""

from __future__ import annotations

from pathlib import Path

from bot.ledger.db import Database
from bot.ledger.errors import LedgerError
from bot.ledger.store import Store

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(url: str | None) -> bool:
    """Whether `url` names a PostgreSQL database."""
    return url is not None and url.startswith(POSTGRES_SCHEMES)


async def open_store(url: str | None, path: Path) -> Store:
    """Open (and migrate) the bot's database: `url` if set (postgresql://...), else `path`."""
    if not url:
        return await Database.open(path)
    if not is_postgres(url):
        raise LedgerError(
            "DATABASE_URL must start with postgresql:// (leave it unset to use DATABASE_PATH)"
        )
    from bot.ledger.pg import PostgresDatabase  # asyncpg is an optional extra

    return await PostgresDatabase.open(url)
