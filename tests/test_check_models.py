"""`atlas-video-bot check` holds the catalogue against Atlas's model list and each model's
input schema (served by the simulator from its own per-model rules), and the bot does the same
at start and before it holds money: a wrong input name, an offered value Atlas refuses, a
required input never sent, a price off the list's by more than 10%."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.check import check_main
from bot.settings import Settings
from bot.sim import AtlasSimulator
from tests.conftest import CONFIG, make_env
from tests.e2e.conftest import GUILD, MEMBER, running_world
from tests.fake_discord import FakeDiscord

GEMINI = "google/gemini-omni-flash/text-to-video-developer"
GEMINI_BLOCK = f'id = "{GEMINI}"\nlabel = "Gemini Omni Flash"\n'
KEY = "sim-key-for-check"


@pytest.fixture
async def fakes(settings: Settings) -> AsyncIterator[tuple[AtlasSimulator, FakeDiscord]]:
    async with AtlasSimulator(settings.catalogue, api_key=KEY) as atlas, FakeDiscord() as discord:
        yield atlas, discord


def config_with(tmp_path: Path, old: str, new: str) -> Path:
    text = CONFIG.read_text()
    assert text.count(old) >= 1, old
    path = tmp_path / "bot.toml"
    path.write_text(text.replace(old, new, 1))
    return path


async def check(
    fakes: tuple[AtlasSimulator, FakeDiscord], tmp_path: Path, config: Path = CONFIG
) -> tuple[int, list[str]]:
    atlas, discord = fakes
    env = make_env(
        discord_token=discord.bot_token,
        atlascloud_api_key=KEY,
        atlas_base_url=atlas.base_url,
        discord_api_base_url=discord.api_base,
        database_path=tmp_path / "data" / "bot.sqlite3",
        bot_config=config,
    )
    out = io.StringIO()
    code = await check_main(env, out=out, timeout=5)
    return code, out.getvalue().splitlines()


def model_lines(lines: list[str], model_id: str) -> list[str]:
    return [line for line in lines if line.split()[1:3] == ["models", f"{model_id}:"]]


async def test_the_shipped_catalogue_matches_every_schema(
    fakes: tuple[AtlasSimulator, FakeDiscord], tmp_path: Path
) -> None:
    code, lines = await check(fakes, tmp_path)
    assert code == 0, "\n".join(lines)
    (gemini,) = model_lines(lines, GEMINI)
    assert gemini == (
        f"OK    models       {GEMINI}: 5 inputs match Atlas's schema; price USD 0.10 per second "
        "at 720p (Atlas lists USD 0.10)"
    )
    atlas, _ = fakes
    assert atlas.requests_to("/api/v1/models", "GET")
    assert atlas.requests_to(f"/static/schema/{GEMINI.replace('/', '-')}.json", "GET")


async def test_a_wrong_input_name_fails_saying_what_to_change(
    fakes: tuple[AtlasSimulator, FakeDiscord], tmp_path: Path
) -> None:
    config = config_with(
        tmp_path, GEMINI_BLOCK, GEMINI_BLOCK + 'inputs = { aspect_ratio = "ratio" }\n'
    )
    code, lines = await check(fakes, tmp_path, config)

    assert code == 1
    assert model_lines(lines, GEMINI) == [
        f"FAIL  models       {GEMINI}: inputs.aspect_ratio = 'ratio': {GEMINI} has no input "
        "'ratio' (it takes prompt, duration, aspect_ratio, resolution, seed): set "
        "inputs.aspect_ratio = 'aspect_ratio'",
        f"FAIL  models       {GEMINI}: Atlas requires 'aspect_ratio', which the bot never sends: "
        "map one of our options onto it (inputs.<option> = 'aspect_ratio') or remove the model",
    ]
    assert lines[-1] == "2 checks failed: fix the FAIL lines above"


async def test_an_offered_value_atlas_refuses_fails(
    fakes: tuple[AtlasSimulator, FakeDiscord], tmp_path: Path
) -> None:
    old = GEMINI_BLOCK + 'kind = "text-to-video"\ndurations = [4, 6, 8, 10]'
    config = config_with(tmp_path, old, old.replace("[4, 6, 8, 10]", "[4, 6, 8, 10, 12]"))
    code, lines = await check(fakes, tmp_path, config)

    assert code == 1
    assert model_lines(lines, GEMINI) == [
        f"FAIL  models       {GEMINI}: durations offers 12, which Atlas's duration refuses "
        "(must be one of 4, 6, 8, 10, not 12): remove it from durations (Atlas takes 4, 6, 8, 10)"
    ]


@pytest.mark.parametrize(("price", "flagged"), [("0.06", True), ("0.054", False)])
async def test_a_price_more_than_a_tenth_off_the_model_lists_is_flagged(
    fakes: tuple[AtlasSimulator, FakeDiscord], tmp_path: Path, price: str, flagged: bool
) -> None:
    veo = 'id = "google/veo3.1-lite/text-to-video"'
    text = CONFIG.read_text()
    start = text.index(veo)
    end = text.index("[[models]]", start)
    block = text[start:end]
    config = tmp_path / "bot.toml"
    config.write_text(text.replace(block, block.replace('"0.05"', f'"{price}"'), 1))
    code, lines = await check(fakes, tmp_path, config)

    (line,) = model_lines(lines, "google/veo3.1-lite/text-to-video")
    if flagged:
        assert code == 1
        assert line.startswith("FAIL")
        assert (
            f"price: the config says USD {price} per second at 720p, Atlas's model list says "
            "USD 0.05 (20% more in the config)" in line
        )
    else:
        assert code == 0
        assert line.endswith(f"price USD {price} per second at 720p (Atlas lists USD 0.05)")


async def test_a_model_atlas_does_not_list_and_an_unreadable_list(
    fakes: tuple[AtlasSimulator, FakeDiscord], tmp_path: Path
) -> None:
    config = config_with(tmp_path, 'id = "qwen/qwen3-8b"', 'id = "qwen/qwen9-nope"')
    code, lines = await check(fakes, tmp_path, config)
    assert code == 1
    assert model_lines(lines, "qwen/qwen9-nope") == [
        "FAIL  models       qwen/qwen9-nope: not in Atlas's model list: check its id, or remove "
        "the model"
    ]

    atlas, _ = fakes
    atlas.fail_next("models", 503)
    code, lines = await check(fakes, tmp_path)
    assert code == 1
    (line,) = [line for line in lines if line.split()[1] == "models"]
    assert line.startswith(f"FAIL  models       cannot read Atlas's model list at {atlas.base_url}")


async def test_the_bot_warns_at_start_and_refuses_before_holding_money(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def wrong(raw: dict[str, Any]) -> None:
        gemini = next(m for m in raw["models"] if m["id"] == GEMINI)
        gemini["inputs"] = {"aspect_ratio": "ratio"}

    caplog.set_level(logging.WARNING)
    async with running_world(tmp_path, config=wrong) as world:
        watch = world.bot.services.catalogue_watch
        for _ in range(500):
            if watch.schemas.schema_of(GEMINI) is not None:
                break
            await asyncio.sleep(0.01)
        await world.discord.wait_until(
            lambda: any("catalogue: " + GEMINI in r.getMessage() for r in caplog.records),
            5,
            "the start-up warning",
        )
        warnings = [r.getMessage() for r in caplog.records if "catalogue: " in r.getMessage()]
        assert any("inputs.aspect_ratio = 'ratio'" in w for w in warnings), warnings

        interaction = await world.video(prompt="a fox", model=GEMINI)
        await interaction.wait_response()
        text = str((interaction.response_data or {}).get("content"))
        assert text.startswith(
            "Atlas Cloud would refuse this request for Gemini Omni Flash (ratio: not an input "
            f"of {GEMINI} (it takes prompt, duration, aspect_ratio, resolution, seed)), so "
            "nothing was held."
        )
        assert not world.sim.requests_to("/model/generateVideo")
        summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
        assert (summary.spent, summary.held) == (0, 0)
