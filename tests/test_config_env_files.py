"""LOG_FORMAT and HEALTH_FILE are settings like the others: read from the environment or from
`.env` (the environment wins, as Docker sets them there)."""

from __future__ import annotations

import io
import json
import socket
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.health import DEFAULT_HEALTH_FILE, health_file, write_health
from bot.logs import json_logs_from_env
from bot.settings import ConfigError, load_env
from tests.conftest import CONFIG


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_dotenv_sets_the_log_format_and_the_heartbeat_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_FORMAT=text\nHEALTH_FILE=run/beat.json\n")

    env = load_env()

    assert env.log_format == "text"
    assert env.health_file == Path("run/beat.json")
    assert json_logs_from_env() is False
    assert health_file() == Path("run/beat.json")


def test_the_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("LOG_FORMAT=text\nHEALTH_FILE=run/beat.json\n")
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    monkeypatch.setenv("HEALTH_FILE", "/data/health.json")

    env = load_env()

    assert (env.log_format, env.health_file) == ("json", Path("/data/health.json"))
    assert json_logs_from_env() is True
    assert health_file() == Path("/data/health.json")


def test_unset_or_blank_means_logs_by_where_they_go_and_the_default_heartbeat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (load_env().log_format, load_env().health_file) == (None, DEFAULT_HEALTH_FILE)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe, not a terminal
    assert json_logs_from_env() is True
    (tmp_path / ".env").write_text("LOG_FORMAT=\nHEALTH_FILE=\n")
    assert (load_env().log_format, load_env().health_file) == (None, DEFAULT_HEALTH_FILE)
    monkeypatch.setenv("LOG_FORMAT", " Text ")
    assert load_env().log_format == "text"


def test_a_bad_log_format_in_dotenv_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_FORMAT=xml\n")

    for read in (load_env, json_logs_from_env):
        with pytest.raises(ConfigError) as info:
            read()
        assert str(info.value) == "LOG_FORMAT: must be json or text, not 'xml'"


def test_the_health_command_reads_the_heartbeat_named_in_dotenv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    beat = tmp_path / "run" / "beat.json"
    write_health(beat, True)
    database = tmp_path / "bot.sqlite3"
    database.write_bytes(b"")  # an empty file is a valid (empty) SQLite database
    (tmp_path / ".env").write_text(f"HEALTH_FILE={beat}\nDATABASE_PATH={database}\n")

    assert main(["health"]) == 0, capsys.readouterr().out


def test_the_bot_logs_in_the_format_named_in_dotenv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = f"http://127.0.0.1:{_closed_port()}/api/v10"
    (tmp_path / ".env").write_text(
        "DISCORD_TOKEN=token-that-is-never-printed\n"
        "ATLAS_MODE=simulate\n"
        f"DISCORD_API_BASE_URL={api}\n"
        f"BOT_CONFIG={CONFIG}\n"
        f"DATABASE_PATH={tmp_path / 'bot.sqlite3'}\n"
        "LOG_FORMAT=text\n"
    )

    assert main(["run"]) == 2
    logged = capsys.readouterr().err.strip().splitlines()[:-1]
    assert any("INFO bot.app starting " in line for line in logged), logged
    for line in logged:
        with pytest.raises(json.JSONDecodeError):
            json.loads(line)
