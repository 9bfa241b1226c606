"""The PostgreSQL engine of `Store` (asyncpg): a pool, READ COMMITTED writes, row locks.

Chosen by `DATABASE_URL=postgresql://...` (`pip install atlas-video-bot[postgres]`). Each `run`
is its own transaction on a pooled connection, retried a few times if PostgreSQL reports a
deadlock or a serialization failure (it then undid the whole transaction). The money steps
lock the rows their limits are checked against (see `bot.ledger.holds`), so transactions
on different budgets run in parallel and those on one budget one after the other. `read`
runs on one REPEATABLE READ snapshot. Inside `transaction()` each step runs in a savepoint,
so one failing step undoes only itself. A write once started is finished even if its caller
is cancelled, as on SQLite.

Longer than most modules: the whole engine behind the `Store` interface (pool, transactions,
retries, error translation, opening and migrating); LISTEN lives in `bot.db.pg_listen`, the
schema in `bot.db.pg_schema`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

from bot.db.errors import (
    ConstraintViolation,
    DatabaseCorrupt,
    DatabaseError,
    DatabaseTooNew,
    DatabaseUnavailable,
)
from bot.db.pg_listen import PgListener
from bot.db.pg_schema import APPLICATION, BOOTSTRAP, PG_MIGRATIONS
from bot.db.store import Args, Dialect, Row, Step, Tx
from bot.logs import SECRET_PARAMETERS

try:  # an optional extra: pip install atlas-video-bot[postgres]
    import asyncpg
except ImportError:  # pragma: no cover - exercised only without the extra
    asyncpg = None

log = logging.getLogger("bot.ledger")

T = TypeVar("T")

DEFAULT_LOCK_TIMEOUT = 5.0
"""Seconds a statement waits for another transaction's row lock before giving up."""

POOL_SIZE = 10
"""Connections per process: how many transactions it runs at once."""

RETRIES = 8
"""Attempts of one `run` when PostgreSQL undid it for a deadlock or serialization failure."""

MIGRATION_LOCK = 0x41564231
"""The advisory lock that keeps two processes from migrating at once ("AVB1")."""

_PARAM = re.compile(r"(?<![:\w])(?::([A-Za-z_]\w*)|\?)")
_HINT = re.compile(r"\s+INDEXED BY \w+")


def _translate(sql: str) -> tuple[str, tuple[str, ...] | None]:
    """SQLite-style SQL as PostgreSQL's: `$n` parameters, no index hints.

    The names of `:name` parameters in `$n` order, or None for positional `?` ones."""
    names: list[str] = []
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        name = match.group(1)
        if name is None:
            count += 1
            return f"${count}"
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    text = _PARAM.sub(number, _HINT.sub("", sql))
    if names and count:
        raise DatabaseError(f"mixed ? and :name parameters in {sql!r}")
    return text, (tuple(names) if names else None)


_TRANSLATED: dict[str, tuple[str, tuple[str, ...] | None]] = {}


def _query(sql: str, args: Args) -> tuple[str, Sequence[Any]]:
    found = _TRANSLATED.get(sql)
    if found is None:
        found = _TRANSLATED[sql] = _translate(sql)
    text, names = found
    if names is None:
        assert not isinstance(args, Mapping), sql
        return text, args
    assert isinstance(args, Mapping), sql
    return text, [args[name] for name in names]


def _plain(value: Any) -> Any:
    # sum() of BIGINT is NUMERIC in PostgreSQL: money sums come back as exact ints.
    if type(value) is Decimal and value == value.to_integral_value():
        return int(value)
    return value


def _row(record: Any) -> Row:
    return tuple(_plain(value) for value in record)


def _translated(exc: BaseException, name: str) -> BaseException:
    """The ledger error that explains an asyncpg error; `exc` itself otherwise."""
    if asyncpg is None:  # pragma: no cover
        return exc
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return ConstraintViolation(str(exc))
    if isinstance(exc, asyncpg.LockNotAvailableError | asyncpg.QueryCanceledError):
        return DatabaseUnavailable(f"the database {name} stayed locked for too long ({exc})")
    if isinstance(exc, asyncpg.DiskFullError | asyncpg.InsufficientResourcesError):
        return DatabaseUnavailable(f"the database {name} cannot grow: the disk is full ({exc})")
    if isinstance(exc, asyncpg.DeadlockDetectedError | asyncpg.SerializationError):
        return DatabaseUnavailable(f"the database {name} is too busy right now ({exc})")
    if isinstance(
        exc,
        OSError
        | asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | asyncpg.CannotConnectNowError
        | asyncpg.TooManyConnectionsError
        | asyncpg.InvalidAuthorizationSpecificationError
        | asyncpg.InvalidPasswordError
        | asyncpg.InvalidCatalogNameError,
    ):
        return DatabaseUnavailable(f"the database {name} cannot be reached ({exc})")
    return exc


def _retryable(exc: BaseException) -> bool:
    return asyncpg is not None and isinstance(
        exc, asyncpg.DeadlockDetectedError | asyncpg.SerializationError
    )


async def _keep_session(conn: Any) -> None:
    """The pool's reset on release, a round trip saved: steps leave no session state (their
    locks end with their transaction; no LISTEN, cursors or SET)."""


class PgConn:
    """`Conn` over one asyncpg connection."""

    __slots__ = ("raw",)

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    @property
    def dialect(self) -> Dialect:
        """Always "postgres"."""
        return "postgres"

    async def fetchone(self, sql: str, args: Args = ()) -> Row | None:
        """The first row of a query, or None."""
        text, values = _query(sql, args)
        record = await self.raw.fetchrow(text, *values)
        return None if record is None else _row(record)

    async def fetchall(self, sql: str, args: Args = ()) -> list[Row]:
        """Every row of a query."""
        text, values = _query(sql, args)
        return [_row(record) for record in await self.raw.fetch(text, *values)]

    async def execute(self, sql: str, args: Args = ()) -> int:
        """Run a statement; the number of rows it changed (from the command tag)."""
        text, values = _query(sql, args)
        tag: str = await self.raw.execute(text, *values)
        last = tag.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0


class PgTx(Tx):
    """A `Tx` bound to the pooled connection it runs on."""

    __slots__ = ("conn",)

    def __init__(self, db: PostgresDatabase, conn: Any) -> None:
        super().__init__(db)
        self.conn = conn


def display_url(url: str) -> str:
    """The URL without its password (in `user:password@` or in the query's `password=`), for
    messages and logs."""
    try:
        parts = urlsplit(url)
        password, port = parts.password, parts.port
    except ValueError:
        return "the PostgreSQL URL in DATABASE_URL (unreadable)"
    if password is not None:
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{port}" if port else "")
        parts = parts._replace(netloc=netloc)
    if parts.query:
        pieces = []
        for piece in parts.query.split("&"):
            key = piece.split("=", 1)[0]
            hidden = unquote(key).lower() in SECRET_PARAMETERS and "=" in piece
            pieces.append(f"{key}=***" if hidden else piece)
        parts = parts._replace(query="&".join(pieces))
    return urlunsplit(parts)


class PostgresDatabase:
    """The PostgreSQL `Store`: a pool of connections to one database."""

    def __init__(self, pool: Any, name: str, connect: Callable[[], Awaitable[Any]]) -> None:
        self._pool = pool
        self._name = name
        self._owners: dict[asyncio.Task[Any], PgTx] = {}
        self._writes: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._listener = PgListener(connect, name)

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        pool_size: int = POOL_SIZE,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        server_code: Sequence[str] = (),
    ) -> PostgresDatabase:
        """Connect, check the database is ours (or empty) and not too new, migrate it, and
        install `server_code` (the ledger passes its money functions: `bot.ledger.SERVER_CODE`)."""
        if asyncpg is None:
            raise DatabaseError(
                "DATABASE_URL names PostgreSQL but asyncpg is not installed: "
                "pip install 'atlas-video-bot[postgres]'"
            )
        name = display_url(url)
        server_settings = {
            "lock_timeout": str(int(lock_timeout * 1000)),
            "application_name": "atlas-video-bot",
        }
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=pool_size,
                reset=_keep_session,
                server_settings=server_settings,
            )
        except Exception as exc:
            raise _translated(exc, name) from None

        def connect() -> Awaitable[Any]:  # LISTEN's own connection, outside the pool
            return asyncpg.connect(url, server_settings=server_settings)  # type: ignore[no-any-return]

        db = cls(pool, name, connect)
        try:
            async with pool.acquire() as conn:
                await prepare(conn, name, server_code)
        except BaseException as exc:
            await pool.close()
            if isinstance(exc, Exception):
                raise _translated(exc, name) from exc
            raise
        return db

    @property
    def dialect(self) -> Dialect:
        """Always "postgres"."""
        return "postgres"

    @property
    def name(self) -> str:
        """The URL, without its password."""
        return self._name

    async def close(self) -> None:
        """Let started writes finish, then close the pool."""
        if self._closed:
            return
        self._closed = True
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        await self._listener.close()
        await self._pool.close()

    async def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Hear PostgreSQL's NOTIFY on `channel`: each payload goes to `callback`, until the
        database closes (on a connection of its own, outside the pool; if it is lost, listening
        starts again on a new one: see `after_listen_gap`)."""
        self._check_open()
        try:
            await self._listener.listen(channel, callback)
        except Exception as exc:
            raise _translated(exc, self._name) from None

    def after_listen_gap(self, hook: Callable[[], None]) -> None:
        """Call `hook()` each time listening starts again after its connection was lost:
        what was sent in between was not heard."""
        self._listener.after_gap(hook)

    @property
    def listener(self) -> PgListener:
        """The LISTEN connection's keeper (its `pid` and `gaps`: for tests and checks)."""
        return self._listener

    def _check_open(self) -> None:
        if self._closed:
            raise DatabaseError(f"the database {self._name} is closed")

    def _own_tx(self) -> PgTx | None:
        task = asyncio.current_task()
        return None if task is None else self._owners.get(task)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """READ COMMITTED; commit when the block ends, roll back if it raises."""
        if self._own_tx() is not None:
            raise DatabaseError("a transaction is already open in this task: pass its tx= on")
        self._check_open()
        task = asyncio.current_task()
        assert task is not None
        try:
            conn = await self._pool.acquire()
        except Exception as exc:
            raise _translated(exc, self._name) from None
        tx = PgTx(self, conn)
        self._owners[task] = tx
        try:
            try:
                async with conn.transaction():
                    yield tx
            except Exception as exc:
                raise _translated(exc, self._name) from exc
        finally:
            tx._open = False
            del self._owners[task]
            await self._pool.release(conn)

    async def run(self, fn: Step[T], *, tx: Tx | None = None, one_statement: bool = False) -> T:
        """Run a writing step atomically: in `tx` (a savepoint) if given, else on its own.

        `one_statement` (the step writes with one statement, atomic by itself): no BEGIN and
        COMMIT around it, no savepoint inside `tx`; two round trips saved."""
        if tx is not None:
            if not isinstance(tx, PgTx) or tx._db is not self or not tx._open:
                raise DatabaseError("the tx passed is closed or belongs to another database")
            try:
                if one_statement:
                    return await fn(PgConn(tx.conn))
                async with tx.conn.transaction():  # a savepoint
                    return await fn(PgConn(tx.conn))
            except Exception as exc:
                raise _translated(exc, self._name) from exc
        if self._own_tx() is not None:
            raise DatabaseError("this task has a transaction open: pass tx= to join it")
        self._check_open()
        # A write once asked for is carried out even if its caller is cancelled meanwhile.
        write = asyncio.ensure_future(self._write(fn, one_statement))
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)
        return await asyncio.shield(write)

    async def _write(self, fn: Step[T], one_statement: bool) -> T:
        for attempt in range(RETRIES):
            try:
                async with self._pool.acquire() as conn:
                    if one_statement:
                        return await fn(PgConn(conn))
                    async with conn.transaction():
                        return await fn(PgConn(conn))
            except Exception as exc:
                if _retryable(exc) and attempt + 1 < RETRIES:
                    log.debug("retrying a write after %s", type(exc).__name__)
                    await asyncio.sleep(0.001 * (attempt + 1))
                    continue
                raise _translated(exc, self._name) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def read(self, fn: Step[T]) -> T:
        """Run a reading step on one REPEATABLE READ snapshot (in this task's tx if any)."""
        own = self._own_tx()
        try:
            if own is not None:
                return await fn(PgConn(own.conn))
            self._check_open()
            async with (
                self._pool.acquire() as conn,
                conn.transaction(isolation="repeatable_read", readonly=True),
            ):
                return await fn(PgConn(conn))
        except Exception as exc:
            raise _translated(exc, self._name) from exc


async def _version(conn: Any, name: str) -> int:
    for statement in BOOTSTRAP:
        await conn.execute(statement)
    row = await conn.fetchrow("SELECT application, version FROM avb_schema")
    if row is None:
        tables = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name <> 'avb_schema'"
        )
        if tables:
            raise DatabaseCorrupt(
                f"{name} already has tables but is not an atlas-video-bot database; point "
                "DATABASE_URL at another database: the bot does not touch this one"
            )
        await conn.execute(
            "INSERT INTO avb_schema (application, version) VALUES ($1, 0)", APPLICATION
        )
        return 0
    if row["application"] != APPLICATION:
        raise DatabaseCorrupt(f"{name} belongs to {row['application']}, not to this bot")
    version = int(row["version"])
    if version > len(PG_MIGRATIONS):
        raise DatabaseTooNew(
            f"the database {name} has schema version {version}, written by a newer version "
            f"of the bot; this one knows up to version {len(PG_MIGRATIONS)}. Upgrade the bot "
            "(or restore a backup made by this version); the database was not changed"
        )
    return version


async def prepare(conn: Any, name: str, server_code: Sequence[str] = ()) -> int:
    """Check the database and apply the missing migrations, each in its own transaction,
    under an advisory lock so two processes starting at once migrate it once; then (re)install
    `server_code` (functions of this version of the code, e.g. the ledger's) under that lock."""
    while True:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            version = await _version(conn, name)
            if version == len(PG_MIGRATIONS):
                for statement in server_code:  # code, not schema: replaced on every start
                    await conn.execute(statement)
                return version
            for statement in PG_MIGRATIONS[version]:
                await conn.execute(statement)
            await conn.execute("UPDATE avb_schema SET version = $1", version + 1)
