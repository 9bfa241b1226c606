"""The command line works from any folder: without BOT_CONFIG and without ./config/bot.toml,
the bot reads the copy of config/bot.toml shipped inside the package, and says which file it
reads at start and in `check`."""

from __future__ import annotations

import importlib.resources
import tomllib
from pathlib import Path

import pytest

from bot.cli import main
from bot.launcher import starting_line
from bot.settings import LOCAL_CONFIG, PACKAGED_CONFIG, load, load_env
from tests.conftest import CONFIG, ROOT, make_env


def test_the_package_ships_config_bot_toml_unchanged() -> None:
    assert PACKAGED_CONFIG.read_bytes() == CONFIG.read_bytes(), (
        "config/bot.toml changed: copy it into the package, cp config/bot.toml bot/config/"
    )
    shipped = importlib.resources.files("bot").joinpath("config", "bot.toml")
    assert shipped.is_file()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "config/bot.toml" in package_data["package-data"]["bot"], "into the wheel too"


def test_outside_a_clone_the_shipped_config_is_used() -> None:
    # The tests run in an empty temporary folder: no ./config/bot.toml here.
    assert not LOCAL_CONFIG.exists()
    env = load_env(_env_file=None)
    assert env.bot_config == PACKAGED_CONFIG
    assert len(load(env).catalogue) == len(load(make_env()).catalogue)


def test_a_config_folder_here_and_BOT_CONFIG_come_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "bot.toml").write_bytes(CONFIG.read_bytes())
    assert load_env(_env_file=None).bot_config == LOCAL_CONFIG
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "mine.toml"))
    assert load_env(_env_file=None).bot_config == tmp_path / "mine.toml"


def test_check_from_any_folder_reads_the_shipped_config(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check"]) == 1  # no secrets here: those checks fail, the config does not
    out = capsys.readouterr().out
    assert f"OK    config       {PACKAGED_CONFIG}: 13 models" in out
    assert "does not exist" not in out


def test_the_start_line_names_the_config_file(tmp_path: Path) -> None:
    settings = load(make_env(database_path=tmp_path / "bot.sqlite3"))
    assert f"config {CONFIG}, " in starting_line(settings)
