"""DEV_GUILD_ID as `.env.example` ships it (`DEV_GUILD_ID=`, once uncommented) means unset; an id
that cannot be a Discord server is refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ConfigError, load_env


def test_an_empty_dev_guild_id_in_dotenv_is_unset(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEV_GUILD_ID=\n")
    assert load_env().dev_guild_id is None


def test_an_empty_dev_guild_id_in_the_environment_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEV_GUILD_ID", "")
    assert load_env(_env_file=None).dev_guild_id is None


def test_a_server_id_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEV_GUILD_ID", "1234567890123456789")
    assert load_env(_env_file=None).dev_guild_id == 1234567890123456789


@pytest.mark.parametrize("value", ["0", "-5"])
def test_zero_or_a_negative_id_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DEV_GUILD_ID", value)

    with pytest.raises(ConfigError) as info:
        load_env(_env_file=None)

    assert str(info.value) == (
        f"DEV_GUILD_ID: must be a Discord server id (right-click the server > Copy Server ID), "
        f"not {value}; leave it empty to sync the commands to every server"
    )
