"""Per-server settings: stored as one JSON object per server, checked against the catalogue,
and applied by `validate_order` (defaults first, then what members may not use)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.catalogue import ModelKind
from bot.db import Database
from bot.guilds.settings import (
    DEFAULT_APPROVAL_TIMEOUT_SECONDS,
    GuildSettings,
    GuildSettingsStore,
    SettingsRefused,
    from_json,
    to_json,
)
from bot.jobs.orders import JobRefused, VideoOrder, validate_order
from bot.settings import Settings

GUILD = 1000
ADMIN = 13
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
GEMINI_T2V = "google/gemini-omni-flash/text-to-video-developer"
GEMINI_I2V = "google/gemini-omni-flash/image-to-video-developer"
SEEDANCE_T2V = "bytedance/seedance-2.0/text-to-video"
VEO = "google/veo3.1-lite/text-to-video"


@pytest.fixture
async def store(tmp_path: Path, settings: Settings) -> AsyncIterator[GuildSettingsStore]:
    db = await Database.open(tmp_path / "bot.sqlite3")
    yield GuildSettingsStore(db, settings.catalogue, clock=lambda: T0)
    await db.close()


def order(**changes: object) -> VideoOrder:
    values: dict[str, object] = {
        "user_id": 11,
        "guild_id": GUILD,
        "channel_id": 2000,
        "prompt": "a fox",
        "kind": ModelKind.TEXT_TO_VIDEO,
    }
    values.update(changes)
    return VideoOrder(**values)  # type: ignore[arg-type]


async def test_a_server_that_never_changed_anything_gets_the_config(
    store: GuildSettingsStore,
) -> None:
    settings = await store.get(GUILD)
    assert settings == GuildSettings()
    assert settings.allows_channel(12345)
    assert not settings.needs_approval(10**12)
    assert settings.approval_timeout == DEFAULT_APPROVAL_TIMEOUT_SECONDS


async def test_changes_are_stored_with_who_made_them_and_survive_a_new_store(
    store: GuildSettingsStore, tmp_path: Path, settings: Settings
) -> None:
    saved = await store.set(
        GUILD,
        by=ADMIN,
        video_model=SEEDANCE_T2V,
        blocked_resolutions=("4k",),
        channel_ids=(2001, 2002),
        approval_threshold=2_000_000,
    )
    assert (saved.updated_by, saved.updated_at) == (ADMIN, T0)
    row = sqlite3.connect(tmp_path / "bot.sqlite3").execute(
        "SELECT settings, updated_by FROM guild_settings WHERE guild_id = ?", (GUILD,)
    )
    stored, by = row.fetchone()
    assert by == ADMIN
    assert '"blocked_resolutions": ["4k"]' in stored
    assert "animate_model" not in stored, "values left to the config are not stored"

    fresh = GuildSettingsStore(store._db, settings.catalogue)
    again = await fresh.get(GUILD)
    assert again.channel_ids == (2001, 2002)
    assert again.video_model == SEEDANCE_T2V
    assert again.needs_approval(2_000_001)
    assert not again.needs_approval(2_000_000)
    assert (await fresh.get(GUILD + 1)) == GuildSettings(), "other servers are untouched"


def test_json_round_trip_ignores_keys_a_newer_version_wrote() -> None:
    settings = GuildSettings(duration=6, blocked_models=(VEO,), approval_timeout_seconds=90.0)
    text = to_json(settings)
    assert from_json(text, None, None) == settings
    assert from_json('{"duration": 6, "future_knob": true}', None, None).duration == 6


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"video_model": "no/such-model"}, "settings.unknown_model"),
        ({"video_model": GEMINI_I2V}, "settings.wrong_model_kind"),
        ({"blocked_models": ("no/such-model",)}, "settings.unknown_model"),
        ({"resolution": "8k"}, "settings.unknown_value"),
        ({"duration": 7}, "settings.unknown_value"),
        ({"aspect_ratio": "2:1"}, "settings.unknown_value"),
        ({"blocked_resolutions": ("720p", "1080p", "4k")}, "settings.all_resolutions_blocked"),
        (
            {"blocked_models": (GEMINI_I2V, "bytedance/seedance-2.0/image-to-video")},
            "settings.all_blocked",
        ),
        ({"video_model": VEO, "blocked_models": (VEO,)}, "settings.default_blocked"),
        (
            {"resolution": "4k", "blocked_resolutions": ("4k",)},
            "settings.default_resolution_blocked",
        ),
        ({"channel_ids": tuple(range(1, 27))}, "settings.too_many_channels"),
        ({"approval_threshold": -1}, "settings.bad_threshold"),
        ({"approval_timeout_seconds": 0.0}, "settings.bad_timeout"),
    ],
)
async def test_invalid_changes_are_refused_and_nothing_is_stored(
    store: GuildSettingsStore, values: dict[str, object], key: str
) -> None:
    await store.set(GUILD, by=ADMIN, duration=6)
    with pytest.raises(SettingsRefused) as refused:
        await store.set(GUILD, by=ADMIN + 1, **values)
    assert refused.value.key == key
    kept = await store.get(GUILD)
    assert (kept.duration, kept.updated_by) == (6, ADMIN)


async def test_unknown_fields_are_a_programming_error(store: GuildSettingsStore) -> None:
    with pytest.raises(TypeError, match="colour"):
        await store.set(GUILD, by=ADMIN, colour="red")


# -- validate_order under a server's settings -------------------------------------------------


def test_server_defaults_beat_the_config(settings: Settings) -> None:
    guild = GuildSettings(
        video_model=SEEDANCE_T2V, duration=5, resolution="720p", aspect_ratio="1:1"
    )
    validated = validate_order(order(), settings, guild)
    assert validated.model.id == SEEDANCE_T2V
    assert (validated.duration, validated.resolution, validated.aspect_ratio) == (5, "720p", "1:1")
    untouched = validate_order(order(), settings)
    assert untouched.model.id == GEMINI_T2V
    assert (untouched.duration, untouched.resolution) == (8, "1080p")


def test_a_forbidden_model_or_resolution_asked_for_is_refused(settings: Settings) -> None:
    guild = GuildSettings(blocked_models=(SEEDANCE_T2V,), blocked_resolutions=("4k",))
    with pytest.raises(JobRefused) as model:
        validate_order(order(model_id=SEEDANCE_T2V), settings, guild)
    assert (model.value.key, model.value.params) == (
        "refused.model_not_allowed",
        {"model": "Seedance 2.0"},
    )
    with pytest.raises(JobRefused) as resolution:
        validate_order(order(resolution="4k"), settings, guild)
    assert resolution.value.key == "refused.resolution_not_allowed"
    assert resolution.value.params == {"resolution": "4k"}


def test_left_out_options_avoid_what_the_server_forbids(settings: Settings) -> None:
    guild = GuildSettings(blocked_models=(GEMINI_T2V,), blocked_resolutions=("1080p",))
    validated = validate_order(order(), settings, guild)
    assert validated.model.id == SEEDANCE_T2V, "the first allowed model of the kind"
    assert validated.resolution == "720p", "the model's first allowed resolution"


def test_a_model_without_an_allowed_resolution_is_refused(settings: Settings) -> None:
    guild = GuildSettings(blocked_resolutions=("720p", "1080p"))
    with pytest.raises(JobRefused) as refused:
        validate_order(order(model_id=SEEDANCE_T2V), settings, guild)
    assert refused.value.key == "refused.no_resolution_allowed"
    assert validate_order(order(), settings, guild).resolution == "4k"
