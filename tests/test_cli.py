"""The command line as an admin meets it: one clear line instead of a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import CONFIG


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_discord_is_one_line_naming_the_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    api = f"http://127.0.0.1:{_closed_port()}/api/v10"
    for name, value in {
        "DISCORD_TOKEN": "token-that-is-never-printed",
        "ATLAS_MODE": "simulate",
        "DISCORD_API_BASE_URL": api,
        "BOT_CONFIG": str(CONFIG),
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "LOG_FORMAT": "text",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"atlas-video-bot: DISCORD_API_BASE_URL: cannot reach Discord at {api}")
    assert "Traceback" not in err
    assert "token-that-is-never-printed" not in err
