"""Start-up failures as an admin meets them: one line naming the setting, exit code 2, never a
traceback. `run` and `sync` talk to a fake Discord served from a thread (the command line runs
its own event loop in the main thread, signal handlers and all, as from a shell)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import bot.db.postgres
from bot.cli import main
from bot.logs import clear_secrets
from tests.conftest import CONFIG
from tests.fake_discord import FakeDiscord

GUILD = 1000
PASSWORD = "pg-password-never-shown"
ATLAS_KEY = "atlas-key-never-shown"
WATCHDOG_SECONDS = 20.0


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI installs a root handler and quiets discord.py: undo both after each test."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {n: logging.getLogger(n).level for n in ("discord", "discord.gateway")}
    yield
    root.handlers[:], root.level = saved
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    clear_secrets()


@pytest.fixture(autouse=True)
def _watchdog() -> Iterator[None]:
    """A start-up that wrongly succeeds would serve forever: Ctrl-C it (exit 0 or 130, not 2)."""
    timer = threading.Timer(WATCHDOG_SECONDS, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    yield
    timer.cancel()


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    """A fake Discord with one server, on its own loop in a thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-discord", daemon=True)
    thread.start()

    async def start() -> FakeDiscord:
        fake = FakeDiscord()
        await fake.start()
        fake.add_guild(GUILD, name="Video Club")
        return fake

    fake = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, discord: FakeDiscord) -> Path:
    """A good environment pointing at the fake Discord; returns the database path."""
    database = tmp_path / "data" / "bot.sqlite3"
    for name, value in {
        "DISCORD_TOKEN": discord.bot_token,
        "ATLASCLOUD_API_KEY": ATLAS_KEY,  # never used: each story stops before Atlas
        "DISCORD_API_BASE_URL": discord.api_base,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
        "BOT_CONFIG": str(CONFIG),
        "DATABASE_PATH": str(database),
        "HEALTH_FILE": str(tmp_path / "health.json"),
        "LOG_FORMAT": "text",
    }.items():
        monkeypatch.setenv(name, value)
    return database


def one_line(capsys: pytest.CaptureFixture[str], *secrets: str) -> str:
    """The CLI's single error line (after any log lines), checked for tracebacks and secrets."""
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text, text
    for secret in secrets:
        assert secret not in text
    errors = [line for line in captured.err.splitlines() if line.startswith("atlas-video-bot:")]
    assert len(errors) == 1, captured.err
    assert captured.err.strip().splitlines()[-1] == errors[0], "the error line comes last"
    return errors[0].removeprefix("atlas-video-bot: ")


def test_a_database_folder_that_cannot_be_created(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv("DATABASE_PATH", str(blocker / "bot.sqlite3"))

    assert main(["run"]) == 2

    line = one_line(capsys)
    assert line.startswith("DATABASE_PATH: ")
    assert str(blocker) in line
    assert line.endswith("Point DATABASE_PATH at a file in a folder the bot may write")


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's /sys")
def test_a_database_under_sys(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", "/sys/atlas/bot.sqlite3")

    assert main(["run"]) == 2

    line = one_line(capsys)
    assert line.startswith("DATABASE_PATH: cannot create the folder for /sys/atlas/bot.sqlite3")


def test_a_database_path_that_is_a_folder(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path))

    assert main(["run"]) == 2

    assert one_line(capsys).startswith(f"DATABASE_PATH: the database {tmp_path} cannot be opened")


def test_a_database_path_naming_a_file_that_is_no_database(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    text = "# Atlas video bot\n\n" + "Short AI videos for Discord, on a budget.\n" * 200
    readme.write_text(text)
    monkeypatch.setenv("DATABASE_PATH", str(readme))

    assert main(["run"]) == 2

    line = one_line(capsys)
    assert line.startswith(f"DATABASE_PATH: the database {readme} is damaged")
    assert line.endswith("If DATABASE_PATH names the wrong file, fix DATABASE_PATH")
    assert readme.read_text() == text, "never touched"


def test_an_unreachable_postgresql(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bot:{PASSWORD}@127.0.0.1:{port}/atlas")

    assert main(["run"]) == 2

    line = one_line(capsys, PASSWORD, ATLAS_KEY)
    assert line.startswith(f"DATABASE_URL: the database postgresql://bot:***@127.0.0.1:{port}/")
    assert "cannot be reached" in line
    assert "Check DATABASE_URL" in line


@pytest.mark.parametrize("query", ["password", "sslmode=disable&password"])
def test_a_password_in_the_query_of_database_url_is_never_shown(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://bot@127.0.0.1:{port}/atlas?{query}={PASSWORD}"
    monkeypatch.setenv("DATABASE_URL", url)

    assert main(["run"]) == 2

    line = one_line(capsys, PASSWORD, ATLAS_KEY)
    assert line.startswith(f"DATABASE_URL: the database postgresql://bot@127.0.0.1:{port}/atlas?")
    assert "password=***" in line


def test_postgresql_without_asyncpg(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bot.db.postgres, "asyncpg", None)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bot:{PASSWORD}@127.0.0.1/atlas")

    assert main(["run"]) == 2

    line = one_line(capsys, PASSWORD)
    assert line == (
        "DATABASE_URL names PostgreSQL but asyncpg is not installed: "
        "pip install 'atlas-video-bot[postgres]'"
    )


@pytest.mark.parametrize("command", ["run", "sync"])
def test_a_dev_guild_the_bot_is_not_in(
    command: str,
    env: Path,
    discord: FakeDiscord,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DEV_GUILD_ID", "4242")

    assert main([command]) == 2

    line = one_line(capsys, discord.bot_token)
    assert line.startswith("DEV_GUILD_ID: Discord refused the slash commands for server 4242")
    assert "the bot is not in that server" in line
    assert "applications.commands" in line
    assert "invite link" in line
    assert [r.status for r in discord.requests if r.method == "PUT"] == [403]
    assert discord.gateway.identifies == 0, "stopped before connecting"


def test_a_dev_guild_the_bot_is_in_gets_the_commands(
    env: Path, discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEV_GUILD_ID", str(GUILD))

    assert main(["sync"]) == 0

    assert "video" in discord.guild_commands[GUILD]
    assert discord.global_commands == {}


@pytest.mark.parametrize("value", ["{config}", "."], ids=["folder", "dot"])
@pytest.mark.parametrize("command", ["run", "sync"])
def test_bot_config_naming_a_folder(
    command: str,
    value: str,
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = Path(value.format(config=CONFIG.parent))
    monkeypatch.setenv("BOT_CONFIG", str(folder))

    assert main([command]) == 2

    line = one_line(capsys)
    assert line.startswith(f"BOT_CONFIG: {folder} is a directory, not a TOML file")
    assert "config/bot.toml" in line


def busy_port() -> tuple[socket.socket, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock, int(sock.getsockname()[1])


def test_simulate_on_a_busy_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_CONFIG", str(CONFIG))
    sock, port = busy_port()
    with sock:
        assert main(["simulate", "--port", str(port)]) == 2

    line = one_line(capsys)
    assert line == (
        f"simulate: port {port} on 127.0.0.1 is already in use: stop what uses it, "
        "or pick another --port"
    )


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["--port", "99999"], "--port 99999: a port is a number from 0 to 65535"),
        (["--port", "-1"], "--port -1: a port is a number from 0 to 65535"),
        (["--host", "no such host"], "simulate: cannot listen on no such host:8080 ("),
    ],
    ids=["port-too-high", "port-negative", "unknown-host"],
)
def test_simulate_with_a_bad_port_or_host(
    args: list[str],
    start: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BOT_CONFIG", str(CONFIG))

    assert main(["simulate", *args]) == 2

    assert one_line(capsys).startswith(start)


def test_a_busy_webhook_port(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sock, port = busy_port()
    monkeypatch.setenv("PUBLIC_WEBHOOK_URL", "https://bot.example.org/atlas/webhook")
    monkeypatch.setenv("WEBHOOK_HOST", "127.0.0.1")
    monkeypatch.setenv("WEBHOOK_PORT", str(port))
    with sock:
        assert main(["run"]) == 2

    assert one_line(capsys, ATLAS_KEY) == (
        f"webhooks: port {port} on 127.0.0.1 is already in use: stop what uses it, "
        "or pick another WEBHOOK_PORT"
    )
