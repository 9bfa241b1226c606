"""`[defaults]` must name options its default models offer: a duration, resolution or aspect
ratio they do not offer used to be replaced at run time without a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalogue import ModelKind
from bot.jobs.orders import VideoOrder, validate_order
from bot.settings import ConfigError, Settings, load
from tests.conftest import CONFIG, make_env

GEMINI_T2V = "google/gemini-omni-flash/text-to-video-developer"


def with_defaults(tmp_path: Path, old: str, new: str) -> Path:
    text = CONFIG.read_text()
    assert old in text
    path = tmp_path / "bot.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "duration = 8",
            "duration = 7",
            f"[defaults] duration = 7: the default model {GEMINI_T2V} offers 4, 6, 8, 10",
        ),
        (
            'resolution = "1080p"',
            'resolution = "1080"',
            f"[defaults] resolution = '1080': the default model {GEMINI_T2V} "
            "offers '720p', '1080p', '4k'",
        ),
        (
            'aspect_ratio = "16:9"',
            'aspect_ratio = "1:1"',
            f"[defaults] aspect_ratio = '1:1': the default model {GEMINI_T2V} "
            "offers '16:9', '9:16'",
        ),
    ],
)
def test_a_default_the_default_model_does_not_offer_is_refused(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load(make_env(bot_config=with_defaults(tmp_path, old, new)))

    assert str(info.value) == f"config: {expected}"


def test_the_image_to_video_default_model_is_checked_too(tmp_path: Path) -> None:
    seedance_i2v = "bytedance/seedance-2.0/image-to-video"
    path = with_defaults(
        tmp_path,
        'image_to_video_model = "google/gemini-omni-flash/image-to-video-developer"',
        f'image_to_video_model = "{seedance_i2v}"\nresolution = "4k"',
    )
    path.write_text(path.read_text().replace('resolution = "1080p"\n', "", 1))

    with pytest.raises(ConfigError, match=rf"resolution = '4k': the default model {seedance_i2v}"):
        load(make_env(bot_config=path))


def order(model_id: str | None = None) -> VideoOrder:
    return VideoOrder(
        user_id=1,
        guild_id=2,
        channel_id=3,
        prompt="a fox",
        kind=ModelKind.TEXT_TO_VIDEO,
        model_id=model_id,
    )


def test_valid_defaults_are_used_as_before(settings: Settings) -> None:
    order_ = validate_order(order(), settings)

    assert (order_.model.id, order_.duration, order_.resolution, order_.aspect_ratio) == (
        GEMINI_T2V,
        8,
        "1080p",
        "16:9",
    )


def test_another_model_still_falls_back_from_a_default_it_lacks(tmp_path: Path) -> None:
    settings = load(
        make_env(bot_config=with_defaults(tmp_path, 'resolution = "1080p"', 'resolution = "4k"'))
    )

    assert validate_order(order(), settings).resolution == "4k"
    seedance = validate_order(order("bytedance/seedance-2.0/text-to-video"), settings)
    assert seedance.resolution == "720p"  # Seedance has no 4k: its first resolution
