"""Shared fixtures: the shipped configuration, loaded without touching the real environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import EnvSettings, Settings, load, load_env

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "bot.toml"
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never read a developer's real .env or secrets into a test."""
    for name in (
        "DISCORD_TOKEN",
        "ATLASCLOUD_API_KEY",
        "ATLAS_BASE_URL",
        "DATABASE_PATH",
        "DISCORD_API_BASE_URL",
        "DISCORD_GATEWAY_URL",
        "DEV_GUILD_ID",
        "BOT_CONFIG",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "HEALTH_FILE",
        "ATLAS_MODE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def make_env(**overrides: object) -> EnvSettings:
    """Environment settings for a test: the shipped config file, a temporary database."""
    values: dict[str, object] = {"bot_config": CONFIG, "_env_file": None}
    values.update(overrides)
    return load_env(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The shipped configuration with a database under the test's temporary folder."""
    return load(make_env(database_path=tmp_path / "bot.sqlite3"))
