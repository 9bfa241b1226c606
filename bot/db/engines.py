"""Choosing the engine: PostgreSQL when a `DATABASE_URL` is given, else the SQLite file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.db.errors import DatabaseError
from bot.db.sqlite import Database
from bot.db.store import Store

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(url: str | None) -> bool:
    """Whether `url` names a PostgreSQL database."""
    return url is not None and url.startswith(POSTGRES_SCHEMES)


async def open_store(url: str | None, path: Path, *, server_code: Sequence[str] = ()) -> Store:
    """Open (and migrate) the bot's database: `url` if set (postgresql://...), else `path`.

    `server_code`: PostgreSQL functions to (re)install (see `PostgresDatabase.open`)."""
    if not url:
        return await Database.open(path)
    if not is_postgres(url):
        raise DatabaseError(
            "DATABASE_URL must start with postgresql:// (leave it unset to use DATABASE_PATH)"
        )
    from bot.db.postgres import PostgresDatabase  # asyncpg is an optional extra

    return await PostgresDatabase.open(url, server_code=server_code)
