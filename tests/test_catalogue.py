"""The model catalogue refuses a price table that names a resolution the model does not offer:
a typo there ("4K" for "4k") would otherwise quote the "*" price without a word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.catalogue import ModelSpec
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
