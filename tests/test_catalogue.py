"""The model catalogue refuses a price table that names a resolution the model does not offer:
a typo there ("4K" for "4k") would otherwise quote the "*" price without a word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.catalogue import ModelSpec, Option, PriceRule, token_price
from bot.money import usd
from bot.pricing import quote
from bot.settings import ConfigError, load
from tests.conftest import CONFIG, make_env

GEMINI_T2V = "google/gemini-omni-flash/text-to-video-developer"
SHIPPED_4K = '"4k" = { base_usd = "1.00", per_second_usd = "0.10" }'


def spec(**price: dict[str, str]) -> dict[str, Any]:
    return {
        "id": "acme/clip",
        "label": "Clip",
        "kind": "text-to-video",
        "durations": [4, 8],
        "aspect_ratios": ["16:9"],
        "resolutions": ["720p", "4k"],
        "price": price,
    }


RULE = {"base_usd": "1.00", "per_second_usd": "0.10"}


def test_a_price_key_must_be_one_of_the_models_resolutions_or_star() -> None:
    with pytest.raises(ValidationError) as info:
        ModelSpec.model_validate(spec(**{"*": RULE, "4K": RULE}))

    message = str(info.value)
    assert "acme/clip" in message
    assert "'4K'" in message
    assert "'720p', '4k', '*'" in message


def test_listed_resolutions_and_star_are_accepted() -> None:
    model = ModelSpec.model_validate(spec(**{"720p": RULE, "4k": RULE}))
    assert model.price_rule("4k").base == 1_000_000
    assert ModelSpec.model_validate(spec(**{"*": RULE})).price_rule("720p").base == 1_000_000


def test_a_mistyped_resolution_in_the_config_file_stops_the_bot(tmp_path: Path) -> None:
    text = CONFIG.read_text()
    assert text.count(SHIPPED_4K) == 2
    bad = tmp_path / "bot.toml"
    bad.write_text(text.replace(SHIPPED_4K, SHIPPED_4K.replace('"4k"', '"4K"'), 1))

    with pytest.raises(ConfigError) as info:
        load(make_env(bot_config=bad))

    line = str(info.value)
    assert "\n" not in line
    assert line.startswith(f"{bad}: models.0:")
    assert f"{GEMINI_T2V}: price key '4K' is not one of its resolutions" in line
    assert "use one of '720p', '1080p', '4k', '*'" in line


def test_the_shipped_prices_still_quote_4k_at_its_own_price() -> None:
    gemini = load(make_env()).catalogue.get(GEMINI_T2V)
    assert quote(gemini, "4k", 8) == 1_800_000
    assert quote(gemini, "1080p", 8) == 1_000_000


# -- kinds and input names (#17) -------------------------------------------------------------


def test_each_kind_maps_our_options_onto_its_usual_names_unless_the_model_says_otherwise() -> None:
    catalogue = load(make_env()).catalogue
    gemini = catalogue.get(GEMINI_T2V)
    assert gemini.request_inputs({Option.ASPECT_RATIO: "16:9", Option.IMAGES: ["u"]}) == {
        "aspect_ratio": "16:9"
    }, "a text-to-video model takes no images"
    seedance = catalogue.get("bytedance/seedance-2.0/image-to-video")
    assert seedance.request_inputs(
        {Option.ASPECT_RATIO: "1:1", Option.IMAGE: "a", Option.LAST_IMAGE: "b"}
    ) == {"ratio": "1:1", "image": "a", "last_image": "b"}
    assert seedance.takes_last_image
    assert not seedance.needs_last_image
    upscaler = catalogue.get("atlascloud/video-upscaler")
    assert dict(upscaler.inputs) == {Option.VIDEO: "video", Option.RESOLUTION: "target_resolution"}
    assert upscaler.priced_on == "input"
    grok = catalogue.get("xai/grok-imagine-video/extend-video")
    assert grok.request_inputs({Option.VIDEO: "v", Option.SEED: 1, Option.RESOLUTION: "720p"}) == {
        "video_url": "v"
    }


def test_the_names_of_earlier_versions_still_read() -> None:
    old = {
        "id": "acme/i2v",
        "label": "Acme",
        "kind": "image-to-video",
        "durations": [4],
        "aspect_ratios": ["16:9"],
        "resolutions": ["720p"],
        "max_images": 1,
        "aspect_ratio_param": "ratio",
        "images_param": "image",
        "price": {"*": RULE},
    }
    model = ModelSpec.model_validate(old)
    assert model.inputs[Option.ASPECT_RATIO] == "ratio"
    assert model.inputs[Option.IMAGE] == "image"
    assert Option.IMAGES not in model.inputs
    assert (model.aspect_ratio_param, model.images_param) == ("ratio", "image")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"inputs": {"duration": ""}}, "durations must be listed exactly when the model takes"),
        ({"inputs": {"colour": "c"}}, "inputs has no option 'colour'"),
        ({"kind": "video-extend", "aspect_ratios": [], "inputs": {"video": ""}}, "must take video"),
        ({"kind": "start-end-frame", "max_images": 2}, "image takes one URL"),
        ({"priced_on": "input"}, 'priced_on = "input" needs a model that takes a video'),
    ],
)
def test_a_mapping_that_cannot_work_stops_the_bot(changes: dict[str, Any], message: str) -> None:
    raw = spec(**{"*": RULE}) | {"max_images": 1} | changes
    with pytest.raises(ValidationError) as info:
        ModelSpec.model_validate(raw)
    assert message in str(info.value)


def test_prices_in_blocks_and_by_the_token() -> None:
    rule = PriceRule.model_validate(
        {"base_usd": "0", "per_second_usd": "0.005", "block_seconds": 5}
    )
    assert [rule.price(s) for s in (0.5, 5, 5.01, 12)] == [25_000, 25_000, 50_000, 75_000]
    # Tokens are rounded up to the next micro-dollar: a hold is never below the bill.
    assert token_price(1, usd("0.04")) == 1
    assert token_price(1_000_000, usd("0.04")) == 40_000
    assert token_price(0, usd("0.12")) == 0


def test_a_chat_model_is_kept_apart_from_the_video_models() -> None:
    catalogue = load(make_env()).catalogue
    (helper,) = catalogue.llms
    assert helper.id == "qwen/qwen3-8b"
    assert (helper.input_price, helper.output_price, helper.max_tokens) == (40_000, 120_000, 600)
    assert helper.id not in catalogue, "never offered where videos are"
    assert catalogue.label_of(helper.id) == "Qwen3 8B"
    assert len(catalogue.entries()) == len(list(catalogue)) + 1
