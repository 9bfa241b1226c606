"""Both database engines for the tests: an SQLite file, or a throwaway PostgreSQL server.

`Target` names one empty database of either engine; `open()` gives a `Store` on it (call it
twice for two stores sharing it). The PostgreSQL server is started once per test process, on
first use: `initdb` + `pg_ctl` in a temporary folder, listening on 127.0.0.1 on a free port,
stopped at the end (as the `postgres` system user when the tests run as root, which initdb
refuses).
Every test gets its own schema in it. TEST_DATABASE_URL=postgresql://... uses a server you
run instead. Without either, the PostgreSQL variants skip with one line saying how to run
them, except under CI=true, where they must run.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.db import Database, Store
from bot.ledger import SERVER_CODE

HOW_TO = (
    "PostgreSQL tests skipped: install PostgreSQL's server (apt-get install postgresql: the "
    "tests start a throwaway one) or set TEST_DATABASE_URL=postgresql://user@host/db"
)

_schemas = itertools.count(1)


@dataclass
class Target:
    """One empty database of one engine."""

    engine: str
    path: Path | None = None
    url: str | None = None

    async def open(self) -> Store:
        """A new store on this database (migrated on first open)."""
        if self.engine == "sqlite":
            assert self.path is not None
            return await Database.open(self.path)
        from bot.db.postgres import PostgresDatabase

        assert self.url is not None
        return await PostgresDatabase.open(self.url, server_code=SERVER_CODE)

    @property
    def env(self) -> dict[str, str]:
        """The bot's environment variables that select this database."""
        if self.engine == "sqlite":
            return {"DATABASE_PATH": str(self.path)}
        assert self.url is not None
        return {"DATABASE_URL": self.url}


PREFIX = "avb-pg-"


def _reap_orphans(bin_dir: Path, run_as: list[str]) -> None:
    """Stop the servers of test processes that died without stopping theirs (kill -9)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        owner = folder.name[len(PREFIX) :].split("-", 1)[0]
        if not owner.isdigit() or Path(f"/proc/{owner}").exists():
            continue
        with contextlib.suppress(Exception):
            subprocess.run(  # noqa: S603 - fixed arguments
                [
                    *run_as,
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(folder / "data"),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
                timeout=30,
            )
        shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


class PgServer:
    """A PostgreSQL cluster in a temporary folder, for this test session only."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
        self.port = _free_port()
        self._as: list[str] = []
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.folder, user="postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self.data = self.folder / "data"

    def _run(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - fixed arguments
            [*self._as, *args], check=True, capture_output=True, timeout=120
        )

    def start(self) -> None:
        """initdb and start; raise if either fails."""
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "--no-locale",
            "-E",
            "UTF8",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "start",
        )

    @property
    def url(self) -> str:
        """The admin URL."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        with contextlib.suppress(Exception):
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def _must_run() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str) -> None:
    if _must_run():
        pytest.fail(f"CI=true but PostgreSQL is unavailable: {reason}", pytrace=False)
    pytest.skip(HOW_TO)


_server: list[str | None] = []


def shared_admin_url() -> str | None:
    """The admin URL of this process's PostgreSQL server, started on first use and stopped
    when the tests end; None without binaries; "error: ..." if it would not start."""
    if _server:
        return _server[0]
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        _server.append(given)
        return given
    bin_dir = _binaries()
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        bin_dir = None
    if bin_dir is None:
        _server.append(None)
        return None
    server = PgServer(bin_dir)
    _reap_orphans(bin_dir, server._as)
    try:
        server.start()
    except (subprocess.SubprocessError, OSError, KeyError, LookupError) as exc:
        server.stop()
        detail = getattr(exc, "stderr", b"") or b""
        _server.append(f"error: {exc} {detail.decode(errors='replace')[-500:]}")
        return _server[0]
    atexit.register(server.stop)
    _server.append(server.url)
    return server.url


def pg_url(admin_url: str | None) -> str:
    """A fresh, empty schema on the session's server, as a URL (skips or fails if none)."""
    if admin_url is None:
        _unavailable("no PostgreSQL server binaries and no TEST_DATABASE_URL")
    assert admin_url is not None
    if admin_url.startswith("error:"):
        _unavailable(admin_url)
    schema = f"t{os.getpid()}_{next(_schemas)}"
    _admin_sql(admin_url, f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in admin_url else "?"
    return f"{admin_url}{joiner}search_path={schema}"


def _admin_sql(admin_url: str, statement: str) -> None:
    import asyncio

    import asyncpg

    async def run() -> None:
        conn: Any = await asyncpg.connect(admin_url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    # Called from sync fixtures and from inside async tests alike: a loop in a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result(timeout=60)


ENGINES = ["sqlite", "postgres"]


@pytest.fixture(params=ENGINES)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    """An empty database of each engine in turn (the one parametrized fixture)."""
    if request.param == "sqlite":
        return Target("sqlite", path=tmp_path / "data" / "bot.sqlite3")
    return Target("postgres", url=pg_url(shared_admin_url()))


async def peek(db: Store, query: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read the tables with plain SQL, as an auditor would."""
    return await db.read(lambda conn: conn.fetchall(query, args))
