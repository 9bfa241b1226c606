"""A developer's shell cannot leak the bot's settings into a test (conftest's `_isolated_env`)."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.settings import EnvSettings
from tests.conftest import BOT_ENV_VARS, CONFIG, ROOT, make_env

MARKER = "LOOSE_ENDS_TEST_DATABASE_URL"


def test_no_bot_setting_reaches_a_test() -> None:
    leaked = sorted(name for name in os.environ if name.upper() in BOT_ENV_VARS)
    env = make_env()

    assert leaked == []
    assert env.database_url is None
    assert env.shards is None
    assert env.discord_token is None
    assert env.atlas_mode == "live"
    if MARKER in os.environ:  # run by the test below: the PostgreSQL tests' server survives
        assert os.environ.get("TEST_DATABASE_URL") == os.environ[MARKER]


def test_every_variable_the_bot_reads_is_cleared() -> None:
    assert {name.upper() for name in EnvSettings.model_fields} <= BOT_ENV_VARS
    assert {"DATABASE_URL", "SHARD_COUNT", "SHARD_IDS", "LOG_FORMAT", "HEALTH_FILE"} <= BOT_ENV_VARS
    assert "TEST_DATABASE_URL" not in BOT_ENV_VARS
    assert CONFIG.is_file()


def test_a_polluted_shell_is_cleaned_before_each_test() -> None:
    polluted = dict(os.environ)
    polluted.update(
        DATABASE_URL="postgresql://leak:leak@127.0.0.1:9/leak",
        SHARD_COUNT="4",
        shard_ids="0-1",  # pydantic-settings reads any case
        DISCORD_TOKEN="leaked-token",
        ATLAS_MODE="simulate",
        LOG_FORMAT="bogus",
        HEALTH_FILE="/nonexistent/health.json",
        TEST_DATABASE_URL="postgresql://kept@127.0.0.1:9/kept",
    )
    polluted[MARKER] = polluted["TEST_DATABASE_URL"]
    run = subprocess.run(  # noqa: S603 - this interpreter, this file
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"{__file__}::test_no_bot_setting_reaches_a_test",
        ],
        cwd=ROOT,
        env=polluted,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout
