"""`[delivery]`: how videos over the upload limit are transcoded, as an operator sets it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ConfigError, DeliveryConfig, Settings, load
from tests.conftest import CONFIG, make_env


def with_delivery(tmp_path: Path, old: str, new: str) -> Path:
    text = CONFIG.read_text()
    assert old in text
    path = tmp_path / "bot.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_the_shipped_config_finds_an_encoder_and_keeps_480p(settings: Settings) -> None:
    delivery = settings.delivery

    assert delivery == DeliveryConfig()
    assert delivery.encoder_path == ""
    assert delivery.max_download_bytes == 500_000_000
    assert (delivery.max_encoders, delivery.encode_timeout_seconds) == (0, 300)
    assert delivery.min_short_side == 480
    assert delivery.download_retry_seconds == 600, "a failing download is tried for 10 minutes"


def test_a_config_without_the_section_gets_the_defaults(tmp_path: Path) -> None:
    text = CONFIG.read_text()
    start, end = text.index("[delivery]"), text.index("# The model catalogue.")
    path = tmp_path / "bot.toml"
    path.write_text(text[:start] + text[end:])

    assert load(make_env(bot_config=path)).delivery == DeliveryConfig()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('min_resolution = "480p"', 'min_resolution = "240p"', "delivery.min_resolution"),
        ("max_encoders = 0", "max_encoders = -1", "delivery.max_encoders"),
        ("max_download_mb = 500", "max_download_mb = 0", "delivery.max_download_mb"),
        ("encode_timeout_seconds = 300", "encode_timeout_seconds = 0", "encode_timeout_seconds"),
        ("download_retry_minutes = 10", "download_retry_minutes = 0", "download_retry_minutes"),
        ('encoder_path = ""', 'encoder = ""', "delivery.encoder"),
    ],
)
def test_a_wrong_value_is_one_line_naming_it(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load(make_env(bot_config=with_delivery(tmp_path, old, new)))


def test_an_operator_can_name_the_encoder_and_allow_360p(tmp_path: Path) -> None:
    path = with_delivery(tmp_path, 'encoder_path = ""', 'encoder_path = "/usr/bin/ffmpeg"')
    path.write_text(path.read_text().replace('min_resolution = "480p"', 'min_resolution = "360p"'))

    delivery = load(make_env(bot_config=path)).delivery

    assert (delivery.encoder_path, delivery.min_short_side) == ("/usr/bin/ffmpeg", 360)
