from pathlib import Path

import pytest

from bot.catalogue import ModelKind, UnknownModel
from bot.pricing import InvalidOptions, check_options, quote
from bot.settings import ConfigError, Settings, load, load_env
from tests.conftest import CONFIG, make_env

GEMINI_T2V = "google/gemini-omni-flash/text-to-video-developer"


def test_shipped_config_has_the_required_models(settings: Settings) -> None:
    ids = {model.id for model in settings.catalogue}
    assert {
        GEMINI_T2V,
        "google/gemini-omni-flash/image-to-video-developer",
        "bytedance/seedance-2.0/text-to-video",
        "google/veo3.1-lite/text-to-video",
    } <= ids
    assert not any("seedance-2-0" in i or "veo-3-1" in i for i in ids), "tutorial ids are wrong"
    seedance = settings.catalogue.get("bytedance/seedance-2.0/text-to-video")
    assert seedance.aspect_ratio_param == "ratio"
    assert settings.catalogue.get("bytedance/seedance-2.0/image-to-video").images_param == "image"
    first_i2v = settings.catalogue.of_kind(ModelKind.IMAGE_TO_VIDEO)[0]
    assert first_i2v.id.startswith("google/gemini-omni-flash/image")


def test_quotes_follow_the_price_rules(settings: Settings) -> None:
    gemini = settings.catalogue.get(GEMINI_T2V)
    assert quote(gemini, "1080p", 8) == 1_000_000  # 0.20 + 8 x 0.10
    assert quote(gemini, "720p", 4) == 600_000
    assert quote(gemini, "4k", 8) == 1_800_000  # 1.00 + 8 x 0.10


def test_unknown_model_or_combination_is_an_error_never_zero(settings: Settings) -> None:
    gemini = settings.catalogue.get(GEMINI_T2V)
    with pytest.raises(InvalidOptions):
        quote(gemini, "1080p", 7)
    with pytest.raises(InvalidOptions):
        quote(gemini, "8k", 8)
    with pytest.raises(InvalidOptions, match="aspect ratios"):
        check_options(gemini, resolution="1080p", duration=8, aspect_ratio="1:1")
    with pytest.raises(UnknownModel, match="known models"):
        settings.catalogue.get("bytedance/seedance-2-0/text-to-video")


def test_secrets_are_secret_and_required_to_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "tok-1234567890")
    env = load_env(bot_config=CONFIG, _env_file=None)
    assert "tok-1234567890" not in repr(env)
    settings = load(env)
    with pytest.raises(ConfigError, match=r"^ATLASCLOUD_API_KEY is not set"):
        settings.require_secrets()


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ATLASCLOUD_API_KEY=from-dotenv\nDEV_GUILD_ID=42\n")
    env = load_env(bot_config=CONFIG)
    assert env.atlascloud_api_key is not None
    assert env.atlascloud_api_key.get_secret_value() == "from-dotenv"
    assert env.dev_guild_id == 42


def test_malformed_setting_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEV_GUILD_ID", "not-a-number")
    with pytest.raises(ConfigError) as info:
        load_env(_env_file=None)
    assert str(info.value).startswith("DEV_GUILD_ID:")
    assert "\n" not in str(info.value)


def test_bad_config_file_names_the_key(tmp_path: Path) -> None:
    text = CONFIG.read_text().replace(
        'default_user_limit_usd = "5.00"', "default_user_limit_usd = 5.5"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match=r"budget\.default_user_limit_usd"):
        load(make_env(bot_config=bad))
    with pytest.raises(ConfigError, match="does not exist"):
        load(make_env(bot_config=tmp_path / "missing.toml"))


def test_cli_prints_one_clear_line_for_a_missing_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    monkeypatch.setenv("BOT_CONFIG", str(CONFIG))
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "atlas-video-bot: DISCORD_TOKEN is not set: "
        "put your bot token in the environment or in .env"
    )


def test_dry_run_needs_no_atlas_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "tok-for-a-dry-run")
    monkeypatch.setenv("ATLAS_MODE", "simulate")
    settings = load(load_env(bot_config=CONFIG, _env_file=None))
    assert settings.simulated
    token, key = settings.require_secrets()
    assert token.get_secret_value() == "tok-for-a-dry-run"
    assert key.get_secret_value() == "dry-run"
