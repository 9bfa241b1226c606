"""PUBLIC_WEBHOOK_URL, WEBHOOK_HOST and WEBHOOK_PORT: what an admin may set, and the one line
they read when it cannot work."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.settings import ATLAS_BASE_URL, ConfigError, load_env


def test_unset_or_blank_means_the_bot_polls() -> None:
    assert load_env(_env_file=None).public_webhook_url is None
    assert load_env(public_webhook_url="", _env_file=None).public_webhook_url is None


def test_an_https_url_is_taken_and_its_path_served() -> None:
    env = load_env(public_webhook_url=" https://bot.example.org/atlas/webhook ", _env_file=None)
    assert env.public_webhook_url == "https://bot.example.org/atlas/webhook"
    assert env.webhook_path == "/atlas/webhook"
    assert (env.webhook_host, env.webhook_port) == ("0.0.0.0", 8080)  # noqa: S104 - the default
    assert (
        load_env(public_webhook_url="https://bot.example.org", _env_file=None).webhook_path == "/"
    )


def test_plain_http_is_refused_for_atlas_cloud_but_not_for_a_simulator() -> None:
    with pytest.raises(ConfigError, match="PUBLIC_WEBHOOK_URL must be https: Atlas Cloud refuses"):
        load_env(
            public_webhook_url="http://bot.example.org/hook",
            atlas_base_url=ATLAS_BASE_URL,
            _env_file=None,
        )
    local = load_env(
        public_webhook_url="http://127.0.0.1:8080/hook",
        atlas_base_url="http://127.0.0.1:9000/api/v1",
        _env_file=None,
    )
    assert local.public_webhook_url == "http://127.0.0.1:8080/hook"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("bot.example.org/hook", "PUBLIC_WEBHOOK_URL: must be the https URL where Atlas"),
        ("https:///hook", "PUBLIC_WEBHOOK_URL: must be the https URL where Atlas"),
        ("https://bot.example.org/" + "x" * 1000, "PUBLIC_WEBHOOK_URL: at most 958 characters"),
    ],
    ids=["no-scheme", "no-host", "too-long"],
)
def test_a_url_atlas_could_not_call_is_one_line(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_env(public_webhook_url=value, _env_file=None)
    assert str(error.value).startswith(message)


def test_a_port_out_of_range_is_one_line() -> None:
    with pytest.raises(ConfigError, match=r"^WEBHOOK_PORT: "):
        load_env(webhook_port=70000, _env_file=None)


def test_a_bot_that_polls_does_not_load_cryptography() -> None:
    # ~7 MiB per process, needed only with PUBLIC_WEBHOOK_URL (or a simulator calling back).
    probe = "import sys, bot.app, bot.check, bot.cli; print('cryptography' in sys.modules)"
    done = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False", done.stderr


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "10.0.0.5", "192.168.1.20", "[::1]", "bot.local"]
)
def test_a_url_atlas_cloud_cannot_reach_is_refused_at_start(host: str) -> None:
    with pytest.raises(ConfigError, match="PUBLIC_WEBHOOK_URL must be reachable from the internet"):
        load_env(public_webhook_url=f"https://{host}/hook", _env_file=None)
    assert load_env(public_webhook_url="https://8.8.8.8/hook", _env_file=None) is not None
