"""The SQLite engine of `Store`: one aiosqlite connection, WAL, forward migrations.

Every step runs in the connection's own thread, in ONE hop (its coroutine never suspends:
`store.drive` runs it to the end there). `run` queues it for the next group commit: the
writes waiting at that moment run in one `BEGIN IMMEDIATE ... COMMIT`, each in its own
savepoint, so one failing step undoes only itself and a burst pays for one commit. Inside a
`transaction()` a step runs at once in a savepoint of that transaction; `read` runs on a read
snapshot. Within this process an `asyncio.Lock` keeps transactions apart (they share the
connection); across processes `BEGIN IMMEDIATE` and `busy_timeout` do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.db.checkpoint import Checkpointer
from bot.db.errors import (
    ConstraintViolation,
    DatabaseCorrupt,
    DatabaseError,
    DatabaseTooNew,
    DatabaseUnavailable,
    translate,
)
from bot.db.migrate import prepare
from bot.db.store import Args, Dialect, Row, Step, Tx, drive
from bot.files import exposed, private_file, private_folder, tighten

__all__ = [
    "Database",
    "DatabaseCorrupt",
    "DatabaseError",
    "DatabaseTooNew",
    "DatabaseUnavailable",
    "SqliteConn",
    "Tx",
]

T = TypeVar("T")
log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT = 5.0
"""Seconds to wait for another process's write lock before giving up."""

MAX_BATCH = 64
"""At most this many queued writes share one commit (more wait for the next one)."""


class SqliteConn:
    """`Conn` over a sqlite3 connection: its awaits never suspend."""

    __slots__ = ("raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    @property
    def dialect(self) -> Dialect:
        """Always "sqlite"."""
        return "sqlite"

    def _cursor(self, sql: str, args: Args) -> sqlite3.Cursor:
        try:
            return self.raw.execute(sql, args)
        except sqlite3.IntegrityError as exc:
            raise ConstraintViolation(str(exc)) from exc

    async def fetchone(self, sql: str, args: Args = ()) -> Row | None:
        """The first row of a query, or None."""
        row: Row | None = self._cursor(sql, args).fetchone()
        return row

    async def fetchall(self, sql: str, args: Args = ()) -> list[Row]:
        """Every row of a query."""
        return self._cursor(sql, args).fetchall()

    async def execute(self, sql: str, args: Args = ()) -> int:
        """Run a statement; the number of rows it changed."""
        return self._cursor(sql, args).rowcount


def _step(fn: Step[T], conn: sqlite3.Connection) -> T:
    return drive(fn(SqliteConn(conn)))


def _in_savepoint(fn: Step[T], conn: sqlite3.Connection) -> T:
    # Inside a transaction: a failed step leaves the transaction as it was before the step.
    if not conn.in_transaction:  # SQLite ended it (e.g. a full disk): never run unprotected
        raise DatabaseError("the transaction was already rolled back by the database")
    conn.execute("SAVEPOINT step")
    try:
        result = _step(fn, conn)
    except BaseException:
        # Some errors (SQLITE_FULL, SQLITE_IOERR) roll the whole transaction back: then
        # there is no savepoint left to return to, and the original error is the one to tell.
        if conn.in_transaction:
            conn.execute("ROLLBACK TO step")
            conn.execute("RELEASE step")
        raise
    conn.execute("RELEASE step")
    return result


def _group_commit(steps: list[Step[Any]], conn: sqlite3.Connection) -> list[tuple[bool, Any]]:
    """Run the steps in one transaction; each one's (succeeded, result or exception)."""
    alone = len(steps) == 1
    conn.execute("BEGIN IMMEDIATE")
    try:
        outcomes: list[tuple[bool, Any]] = []
        for step in steps:
            try:
                outcomes.append((True, _step(step, conn) if alone else _in_savepoint(step, conn)))
            except Exception as exc:
                if alone or not conn.in_transaction:  # SQLite gave up the whole transaction
                    raise
                outcomes.append((False, exc))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes


def _snapshot(fn: Step[T], conn: sqlite3.Connection) -> T:
    conn.execute("BEGIN DEFERRED")
    try:
        return _step(fn, conn)
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")


def _begun_then(then: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
    # A transaction's BEGIN goes with its first statement: one hop to the thread, not two.
    conn.execute("BEGIN IMMEDIATE")
    return then(conn)


def _commit(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _rollback_if_open(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class Database:
    """The SQLite `Store`: one connection to the bot's file, shared by every table's owner."""

    def __init__(self, conn: Any, path: Path, busy_timeout: float) -> None:
        self._conn = conn
        self.path = path
        self.busy_timeout = busy_timeout
        self._checkpointer: Checkpointer | None = None
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._begun = False  # the open transaction (there is one at a time) ran its BEGIN
        self._queue: list[tuple[Step[Any], asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    async def open(cls, path: Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Database:
        """Open (creating the file and its folder if needed), check and migrate the database."""
        path = Path(path)
        try:
            private_folder(path.parent)
        except OSError as exc:
            raise DatabaseUnavailable(f"cannot create the folder for {path}: {exc}") from None
        # Owner-only before SQLite writes a byte: its WAL and shared-memory files take the
        # database file's permissions. What cannot be done here (a folder where the file
        # should be, no right to write) SQLite refuses next, with its own explanation.
        with contextlib.suppress(OSError):
            if not path.is_dir():
                private_file(path)
                for sibling in (f"{path}-wal", f"{path}-shm", f"{path}-journal"):
                    tighten(Path(sibling))
        if exposed(path.parent):
            log.warning(
                "the database folder %s is open to other users of this host: chmod 700 it",
                path.parent,
            )
        try:
            conn = await aiosqlite.connect(path, isolation_level=None, timeout=busy_timeout)
        except sqlite3.Error as exc:
            raise translate(exc, path) from None
        if not callable(getattr(conn, "_execute", None)):  # pragma: no cover - aiosqlite changed
            await conn.close()
            raise DatabaseError("this aiosqlite version cannot run functions in its thread")
        db = cls(conn, path, busy_timeout)
        try:
            await db._call(partial(prepare, path=path, busy_timeout=busy_timeout))
            db._checkpointer = Checkpointer(path, busy_timeout)
        except BaseException:
            await conn.close()
            raise
        return db

    @property
    def dialect(self) -> Dialect:
        """Always "sqlite"."""
        return "sqlite"

    @property
    def name(self) -> str:
        """The file's path."""
        return str(self.path)

    async def close(self) -> None:
        """Finish queued writes and the open transaction, then close (checkpointing the WAL)."""
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
        async with self._lock:
            if self._closed:
                return
            try:
                if self._checkpointer is not None:
                    await asyncio.to_thread(self._checkpointer.stop)
                with contextlib.suppress(DatabaseError):  # best effort (e.g. a full disk)
                    await self._call(lambda conn: conn.execute("PRAGMA optimize"))
            finally:
                self._closed = True
                await self._conn.close()

    async def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise DatabaseError(f"the database {self.path} is closed")
        try:
            result: T = await self._conn._execute(fn, self._conn._conn)
        except sqlite3.Error as exc:
            raise translate(exc, self.path) from exc
        return result

    def _in_own_transaction(self) -> bool:
        return self._owner is not None and self._owner is asyncio.current_task()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """`BEGIN IMMEDIATE`; commit when the block ends, roll back if it raises.

        The BEGIN is sent with the block's first statement (nothing else of the block touches
        the database before it); a block that ran none commits nothing.
        """
        if self._in_own_transaction():
            raise DatabaseError("a transaction is already open in this task: pass its tx= on")
        async with self._lock:
            self._owner = asyncio.current_task()
            self._begun = False
            tx = Tx(self)
            try:
                yield tx
                if self._begun:
                    await self._call(_commit)
                    self._wrote(1)
            except BaseException:
                # Queued behind whatever still runs in the thread, even when cancelled.
                if self._begun:
                    await self._call(_rollback_if_open)
                raise
            finally:
                tx._open = False
                self._owner = None

    async def run(self, fn: Step[T], *, tx: Tx | None = None, one_statement: bool = False) -> T:
        """Run a writing step atomically: in `tx` if given, else in the next group commit
        (`one_statement` changes nothing here: a group commit costs no round trips)."""
        if tx is not None:
            if tx._db is not self or not tx._open:
                raise DatabaseError("the tx passed is closed or belongs to another database")
            return await self._in_transaction(partial(_in_savepoint, fn))
        if self._in_own_transaction():
            raise DatabaseError("this task has a transaction open: pass tx= to join it")
        if self._closed:
            raise DatabaseError(f"the database {self.path} is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((fn, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(), name="ledger-group-commit")
        return await future

    async def _flush(self) -> None:
        try:
            while self._queue:
                # A write once asked for is carried out even if its caller is cancelled
                # meanwhile (as a request already sent would be): the caller may be a job
                # being shut down whose last state change must still land.
                batch = self._queue[:MAX_BATCH]
                del self._queue[:MAX_BATCH]
                async with self._lock:
                    try:
                        steps = [step for step, _ in batch]
                        outcomes = await self._call(partial(_group_commit, steps))
                        self._wrote(len(batch))
                    except Exception as exc:
                        outcomes = [(False, exc)] * len(batch)
                    except BaseException:  # this task is cancelled (the loop is closing)
                        for _, future in batch:
                            future.cancel()
                        raise
                for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                    if future.done():  # its caller was cancelled meanwhile; the step ran anyway
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(translate(value, self.path))
        finally:
            self._flusher = None

    async def _in_transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` in the open transaction, beginning it first if this is its first hop."""
        if self._begun:
            return await self._call(fn)
        self._begun = True  # set first: if cancelled meanwhile, the rollback still runs
        return await self._call(partial(_begun_then, fn))

    def _wrote(self, transactions: int) -> None:
        if self._checkpointer is not None:
            self._checkpointer.wrote(transactions)

    async def read(self, fn: Step[T]) -> T:
        """Run a reading step on one consistent snapshot (inside this task's open tx if any)."""
        if self._in_own_transaction():
            return await self._in_transaction(partial(_step, fn))
        async with self._lock:
            return await self._call(partial(_snapshot, fn))
