"""The heartbeat file the bot writes and `atlas-video-bot health`, the container's health check.

Docker reads exit 0 as healthy and 1 as unhealthy; every failure here must be a 1 with a line
that says why.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.db import Database
from bot.health import (
    DEFAULT_HEALTH_FILE,
    MAX_AGE_SECONDS,
    check_health,
    database_problem,
    health_file,
    write_health,
)


@pytest.fixture
async def database(tmp_path: Path) -> Path:
    """A real ledger database (WAL mode), opened, migrated and closed as the bot leaves it."""
    path = tmp_path / "data" / "bot.sqlite3"
    db = await Database.open(path)
    await db.close()
    return path


def test_the_heartbeat_file_comes_from_HEALTH_FILE() -> None:
    assert health_file({}) == DEFAULT_HEALTH_FILE == Path("data/health.json")
    assert health_file({"HEALTH_FILE": "/data/health.json"}) == Path("/data/health.json")


def test_a_fresh_connected_heartbeat_and_a_readable_database_are_healthy(
    tmp_path: Path, database: Path
) -> None:
    beat = tmp_path / "run" / "health.json"
    write_health(beat, True, now=1_000.0)

    assert json.loads(beat.read_text())["connected"] is True
    assert check_health(beat, database, now=1_000.0 + MAX_AGE_SECONDS) == []
    assert sorted(p.name for p in beat.parent.iterdir()) == ["health.json"]  # no temp left


@pytest.mark.parametrize(
    ("connected", "age", "reason"),
    [
        (False, 1.0, "not connected to Discord"),
        (True, MAX_AGE_SECONDS + 1, "the last heartbeat is 91 s old"),
    ],
)
def test_a_disconnected_or_stale_heartbeat_is_unhealthy(
    tmp_path: Path, database: Path, connected: bool, age: float, reason: str
) -> None:
    beat = tmp_path / "health.json"
    write_health(beat, connected, now=1_000.0)

    (problem,) = check_health(beat, database, now=1_000.0 + age)
    assert reason in problem


def test_a_missing_or_garbled_heartbeat_is_unhealthy(tmp_path: Path, database: Path) -> None:
    beat = tmp_path / "health.json"
    (missing,) = check_health(beat, database)
    beat.write_text("{not json")
    (garbled,) = check_health(beat, database)
    beat.write_text('{"connected": true}')
    (untimed,) = check_health(beat, database)

    assert "no heartbeat file" in missing
    assert "cannot read the heartbeat file" in garbled
    assert "has no time" in untimed


def test_the_database_must_exist_and_be_sqlite(tmp_path: Path) -> None:
    not_sqlite = tmp_path / "bot.sqlite3"
    not_sqlite.write_bytes(b"this is not a database at all" * 100)

    assert "does not exist" in str(database_problem(tmp_path / "missing.sqlite3"))
    assert "DATABASE_PATH" in str(database_problem(tmp_path))  # a directory
    assert "cannot read" in str(database_problem(not_sqlite))


def test_the_read_only_check_leaves_the_database_untouched(database: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in database.parent.iterdir()}

    assert database_problem(database) is None

    after = {p.name: p.stat().st_mtime_ns for p in database.parent.iterdir()}
    assert {n: t for n, t in after.items() if n in before} == before
    assert database.stat().st_size > 0


def test_the_cli_exits_0_when_healthy_and_1_otherwise(
    tmp_path: Path,
    database: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    beat = tmp_path / "health.json"
    monkeypatch.setenv("HEALTH_FILE", str(beat))
    monkeypatch.setenv("DATABASE_PATH", str(database))

    missing = main(["health"])
    write_health(beat, True)
    healthy = main(["health"])
    write_health(beat, True, now=time.time() - 20)
    stale_for_a_short_limit = main(["health", "--max-age", "10"])
    monkeypatch.setenv("ATLAS_BASE_URL", "ftp://nowhere")
    bad_setting = main(["health"])

    lines = capsys.readouterr().out.splitlines()
    assert [missing, healthy, stale_for_a_short_limit, bad_setting] == [1, 0, 1, 1]
    assert lines[0].startswith("unhealthy: no heartbeat file")
    assert lines[1].startswith("healthy")
    assert "limit 10 s" in lines[2]
    assert lines[3].startswith("unhealthy: ATLAS_BASE_URL")
