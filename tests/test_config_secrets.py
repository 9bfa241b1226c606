"""A DISCORD_TOKEN or ATLASCLOUD_API_KEY too short to be real is refused at start-up in one line
(real ones are dozens of characters), instead of failing later or garbling the redacted logs.

The check applies where the value goes to the real service: a dry run's key only unlocks the
built-in simulator, and a simulator or fake at another URL may accept any key (`atlas-video-bot
simulate` accepts "sim-key" by default)."""

from __future__ import annotations

import pytest

from bot.settings import ConfigError, load_env

ATLAS_TOO_SHORT = "ATLASCLOUD_API_KEY looks wrong: too short"
DISCORD_TOO_SHORT = "DISCORD_TOKEN looks wrong: too short"
LONG = "a-long-enough-value-0123456789"


def refusal(monkeypatch: pytest.MonkeyPatch, **values: str) -> str:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_env(_env_file=None)
    return str(info.value)


@pytest.mark.parametrize("value", ["k", "sim-key", " ", "  abc  ", "\t\t\t\t\t\t\t\t\t"])
def test_a_short_or_blank_atlas_key_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    message = refusal(monkeypatch, ATLASCLOUD_API_KEY=value)

    assert message.startswith(ATLAS_TOO_SHORT)
    assert "\n" not in message
    assert repr(value) not in message


@pytest.mark.parametrize("value", ["t", "tok-123", "        "])
def test_a_short_or_blank_discord_token_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    message = refusal(monkeypatch, DISCORD_TOKEN=value)

    assert message.startswith(DISCORD_TOO_SHORT)
    assert "\n" not in message


def test_the_discord_token_is_checked_in_a_dry_run_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # A dry run still talks to the real Discord.
    message = refusal(monkeypatch, ATLAS_MODE="simulate", DISCORD_TOKEN="tok")
    assert message.startswith(DISCORD_TOO_SHORT)


def test_empty_still_means_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "")
    monkeypatch.setenv("ATLASCLOUD_API_KEY", "")
    env = load_env(_env_file=None)
    assert (env.discord_token, env.atlascloud_api_key) == (None, None)


def test_eight_characters_are_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "12345678")
    monkeypatch.setenv("ATLASCLOUD_API_KEY", " 12345678 ")
    env = load_env(_env_file=None)
    assert env.discord_token is not None
    assert env.atlascloud_api_key is not None


def test_a_dry_run_key_only_unlocks_the_built_in_simulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATLAS_MODE", "simulate")
    monkeypatch.setenv("ATLASCLOUD_API_KEY", "sim-key")
    env = load_env(_env_file=None)
    assert env.atlascloud_api_key is not None


def test_short_values_for_a_simulator_or_fake_elsewhere_are_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATLAS_BASE_URL", "http://127.0.0.1:8080/api/v1")
    monkeypatch.setenv("ATLASCLOUD_API_KEY", "sim-key")
    monkeypatch.setenv("DISCORD_API_BASE_URL", "http://127.0.0.1:9000/api/v10")
    monkeypatch.setenv("DISCORD_TOKEN", "fake")
    env = load_env(_env_file=None)
    assert env.atlascloud_api_key is not None
    assert env.discord_token is not None
