"""The one interface the ledger and the job store reach their database through, two engines.

A *step* is an `async def step(conn: Conn) -> T` that reads and writes with plain SQL through
`Conn`. The engine runs it atomically: `Store.run` in a write transaction (or inside `tx=`),
`Store.read` on one consistent snapshot. SQL is written once, in the common dialect of SQLite
and PostgreSQL, with `?` or `:name` parameters; the PostgreSQL engine rewrites the parameters
and drops SQLite's `INDEXED BY` hints. The few real differences are chosen with
`conn.dialect`.

Engines: `bot.db.sqlite.Database` (SQLite via aiosqlite, the default) and
`bot.db.postgres.PostgresDatabase` (asyncpg, `DATABASE_URL=postgresql://...`). On SQLite a step
never really suspends: the engine drives its coroutine to the end inside the database's own
thread, in one hop, exactly as a plain function.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol, TypeVar

from bot.db.errors import DatabaseError

T = TypeVar("T")
Dialect = Literal["sqlite", "postgres"]
Args = Sequence[Any] | Mapping[str, Any]
Row = tuple[Any, ...]


class Conn(Protocol):
    """One connection, inside the engine's transaction or snapshot, as a step sees it."""

    @property
    def dialect(self) -> Dialect:
        """Which SQL engine runs the statements."""
        ...

    async def fetchone(self, sql: str, args: Args = ()) -> Row | None:
        """The first row of a query, or None."""
        ...

    async def fetchall(self, sql: str, args: Args = ()) -> list[Row]:
        """Every row of a query."""
        ...

    async def execute(self, sql: str, args: Args = ()) -> int:
        """Run a statement; the number of rows it changed."""
        ...


Step = Callable[[Conn], Coroutine[Any, Any, T]]


class Tx:
    """An open write transaction; pass it as `tx=` so changes commit together."""

    __slots__ = ("_db", "_open")

    def __init__(self, db: object) -> None:
        self._db = db
        self._open = True

    @property
    def is_open(self) -> bool:
        """False once the transaction has committed or rolled back."""
        return self._open


class Store(Protocol):
    """A database the ledger, the job store and the bot's small tables live in."""

    @property
    def dialect(self) -> Dialect:
        """Which engine this is."""
        ...

    @property
    def name(self) -> str:
        """Where the data is, for messages (a path, or a URL without its password)."""
        ...

    async def run(self, fn: Step[T], *, tx: Tx | None = None, one_statement: bool = False) -> T:
        """Run a writing step atomically: in `tx` if given, else in its own transaction.

        `one_statement`: the step writes in a single statement (any other one only reads),
        which is atomic by itself; an engine may then skip its transaction round trips."""
        ...

    async def read(self, fn: Step[T]) -> T:
        """Run a reading step on one consistent snapshot (inside this task's tx if any)."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """A write transaction: commit when the block ends, roll back if it raises."""
        ...

    async def close(self) -> None:
        """Finish what is queued and close."""
        ...


def drive(coro: Coroutine[Any, Any, T]) -> T:
    """Run a step's coroutine that never suspends (SQLite's) to its end, synchronously."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise DatabaseError("a step suspended on SQLite: steps may only await the Conn they are given")


def sql_in(dialect: Dialect, sqlite: str, postgres: str) -> str:
    """One fragment of SQL, as each engine spells it."""
    return sqlite if dialect == "sqlite" else postgres
