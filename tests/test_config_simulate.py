"""A dry run (ATLAS_MODE=simulate) keeps its own ledger: simulated charges never count against
members' real limits, the server cap or the reports."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.check import run_checks
from bot.cli import main
from bot.health import write_health
from bot.settings import ConfigError, dry_run_ledger, load_env
from tests.conftest import CONFIG, make_env
from tests.e2e.conftest import GUILD, MEMBER, running_world, status_of

POSTGRES = "postgresql://bot:secret@127.0.0.1:5432/atlas"
REFUSAL = (
    "ATLAS_MODE=simulate with DATABASE_URL would mix simulated charges into the real ledger: "
    "unset DATABASE_URL for a dry run"
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("configured", "dry_run"),
    [
        ("data/bot.sqlite3", "data/bot.simulate.sqlite3"),
        ("/data/bot.sqlite3", "/data/bot.simulate.sqlite3"),
        ("ledger", "ledger.simulate"),
        ("/srv/bot.ledger.db", "/srv/bot.ledger.simulate.db"),
    ],
)
def test_a_dry_run_reads_and_writes_a_sibling_ledger(
    monkeypatch: pytest.MonkeyPatch, configured: str, dry_run: str
) -> None:
    monkeypatch.setenv("DATABASE_PATH", configured)
    live = load_env(_env_file=None)
    monkeypatch.setenv("ATLAS_MODE", "simulate")
    simulated = load_env(_env_file=None)

    assert live.database_path == Path(configured)
    assert simulated.database_path == Path(dry_run)


def test_the_default_ledger_of_a_dry_run_and_a_second_load_keep_the_same_file() -> None:
    env = make_env(atlas_mode="simulate")
    again = make_env(atlas_mode="simulate", database_path=env.database_path)

    assert env.database_path == Path("data/bot.simulate.sqlite3")
    assert again.database_path == env.database_path
    assert make_env().database_path == Path("data/bot.sqlite3")


def test_a_dry_run_on_postgres_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    assert load_env(_env_file=None).database_url is not None  # live: fine
    monkeypatch.setenv("ATLAS_MODE", "simulate")

    with pytest.raises(ConfigError) as info:
        load_env(_env_file=None)

    assert str(info.value) == REFUSAL
    assert "secret" not in str(info.value)


def test_the_cli_refuses_a_dry_run_on_postgres(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "DISCORD_TOKEN": "token-that-is-never-printed",
        "ATLAS_MODE": "simulate",
        "DATABASE_URL": POSTGRES,
        "BOT_CONFIG": str(CONFIG),
    }.items():
        monkeypatch.setenv(name, value)

    assert main(["run"]) == 2
    assert capsys.readouterr().err.strip() == f"atlas-video-bot: {REFUSAL}"


def test_health_in_a_dry_run_reads_the_dry_run_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    live = tmp_path / "bot.sqlite3"
    beat = tmp_path / "health.json"
    write_health(beat, True)
    monkeypatch.setenv("HEALTH_FILE", str(beat))
    monkeypatch.setenv("DATABASE_PATH", str(live))
    monkeypatch.setenv("ATLAS_MODE", "simulate")

    assert main(["health"]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'bot.simulate.sqlite3'} does not exist" in out


async def test_check_in_a_dry_run_opens_the_dry_run_ledger(tmp_path: Path) -> None:
    live = tmp_path / "data" / "bot.sqlite3"
    env = make_env(
        atlas_mode="simulate",
        database_path=live,
        discord_token="token-for-a-closed-port",
        discord_api_base_url=f"http://127.0.0.1:{_closed_port()}/api/v10",
    )

    results = {r.name: r for r in await run_checks(env, timeout=2)}

    assert results["database"].ok, results["database"].detail
    assert str(tmp_path / "data" / "bot.simulate.sqlite3") in results["database"].detail
    assert (tmp_path / "data" / "bot.simulate.sqlite3").is_file()
    assert not live.exists()


async def test_a_dry_run_charges_its_own_ledger_never_the_live_one(tmp_path: Path) -> None:
    dry_run = {"atlas_mode": "simulate", "atlascloud_api_key": None}
    async with running_world(tmp_path, env=dry_run) as world:
        world.bot.services.simulator.generation_seconds = 0.1  # type: ignore[union-attr]
        message = await world.final(await world.video(prompt="a free test video"))
        assert status_of(message).startswith("Done")
        assert world.settings.env.database_path == tmp_path / "data" / "bot.simulate.sqlite3"
        assert (await world.bot.ledger.summary(MEMBER, GUILD, [])).spent == 1_000_000

    assert not (tmp_path / "data" / "bot.sqlite3").exists()
    async with running_world(tmp_path) as live:
        assert live.settings.env.database_path == tmp_path / "data" / "bot.sqlite3"
        summary = await live.bot.ledger.summary(MEMBER, GUILD, [])
        assert (summary.spent, summary.held) == (0, 0)


@pytest.mark.parametrize("name", ["bot.sqlite3", "ledger", "bot.ledger.db"])
def test_the_dry_run_ledger_is_named_once(name: str) -> None:
    once = dry_run_ledger(Path("/data") / name)
    assert dry_run_ledger(once) == once
    assert once != Path("/data") / name
