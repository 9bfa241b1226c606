"""Shared fixtures: the shipped configuration, loaded without touching the real environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.settings import EnvSettings, Settings, load, load_env

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "bot.toml"
SHARED = ROOT.parent / "shared"


# Every environment variable the bot reads: each EnvSettings field (pydantic-settings matches
# them in any case), and LOG_FORMAT and HEALTH_FILE, read straight from os.environ. The list
# spells them out to be found by grep. TEST_DATABASE_URL is not one of them: it points the
# PostgreSQL tests at a server, so it must reach them.
BOT_ENV_VARS = frozenset(
    {name.upper() for name in EnvSettings.model_fields}
    | {
        "DISCORD_TOKEN",
        "ATLASCLOUD_API_KEY",
        "ATLAS_BASE_URL",
        "DATABASE_PATH",
        "DATABASE_URL",
        "SHARD_COUNT",
        "SHARD_IDS",
        "DISCORD_API_BASE_URL",
        "DISCORD_GATEWAY_URL",
        "DEV_GUILD_ID",
        "BOT_CONFIG",
        "LOG_LEVEL",
        "LOG_FORMAT",
        "HEALTH_FILE",
        "ATLAS_MODE",
        "METRICS_PORT",
        "METRICS_HOST",
    }
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never read a developer's real .env or secrets into a test."""
    for name in [name for name in os.environ if name.upper() in BOT_ENV_VARS]:
        monkeypatch.delenv(name)
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


@pytest.fixture(scope="session")
def realistic_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The simulator's options for realistic outputs (real H.264 + AAC files at Atlas's
    bitrates, `bot.sim.outputs`), each file made once per test session."""
    return {"outputs": "realistic", "output_cache": tmp_path_factory.mktemp("sim-outputs")}
