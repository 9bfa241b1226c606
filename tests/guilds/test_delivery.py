"""Delivery targets: the server's mode, a channel's own, the gallery, and what a job row keeps."""

from __future__ import annotations

import pytest

from bot.guilds.delivery import DeliveryMode, DeliveryTarget, delivery_for, delivery_problem
from bot.guilds.settings import GuildSettings, from_json, to_json
from bot.i18n import ENGLISH, MESSAGES, TRADITIONAL_CHINESE
from bot.ui.delivery import thread_name

CHANNEL, OTHER, GALLERY = 10, 20, 30


def test_a_server_that_chose_nothing_delivers_in_the_channel() -> None:
    assert delivery_for(GuildSettings(), CHANNEL) == DeliveryTarget(DeliveryMode.CHANNEL)


def test_a_channels_own_mode_beats_the_servers() -> None:
    guild = GuildSettings(delivery="thread", channel_delivery=((OTHER, "dm"),))
    assert delivery_for(guild, CHANNEL).mode is DeliveryMode.THREAD
    assert delivery_for(guild, OTHER).mode is DeliveryMode.DM


def test_the_gallery_needs_its_channel_and_is_not_used_from_inside_itself() -> None:
    guild = GuildSettings(delivery="gallery", gallery_channel_id=GALLERY)
    assert delivery_for(guild, CHANNEL) == DeliveryTarget(DeliveryMode.GALLERY, GALLERY)
    assert delivery_for(guild, GALLERY) == DeliveryTarget(), "a video made in the gallery"
    assert delivery_for(GuildSettings(delivery="gallery"), CHANNEL) == DeliveryTarget()


@pytest.mark.parametrize(
    "target",
    [
        DeliveryTarget(),
        DeliveryTarget(DeliveryMode.THREAD),
        DeliveryTarget(DeliveryMode.DM),
        DeliveryTarget(DeliveryMode.GALLERY, GALLERY),
    ],
)
def test_the_job_row_keeps_the_target(target: DeliveryTarget) -> None:
    assert DeliveryTarget.from_params(target.to_params()) == target


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "thread",
        {},
        {"mode": "carrier pigeon"},
        {"mode": "gallery"},
        {"mode": "gallery", "channel_id": "x"},
    ],
)
def test_an_old_or_unreadable_job_row_delivers_in_the_channel(stored: object) -> None:
    assert DeliveryTarget.from_params(stored) == DeliveryTarget()


def test_settings_that_cannot_work_are_named() -> None:
    assert delivery_problem(None, None, ()) is None
    assert delivery_problem("gallery", None, ()) == "settings.gallery_missing"
    assert delivery_problem(None, None, ((OTHER, "gallery"),)) == "settings.gallery_missing"
    assert delivery_problem("gallery", GALLERY, ()) is None
    assert delivery_problem("telepathy", None, ()) == "settings.unknown_delivery"
    too_many = tuple((channel, "dm") for channel in range(1, 27))
    assert delivery_problem(None, None, too_many) == "settings.too_many_overrides"


def test_delivery_settings_survive_the_stored_json() -> None:
    guild = GuildSettings(
        delivery="gallery", gallery_channel_id=GALLERY, channel_delivery=((OTHER, "thread"),)
    )
    again = from_json(to_json(guild), None, None)
    assert again == guild
    assert delivery_for(again, OTHER).mode is DeliveryMode.THREAD


def test_thread_names_come_from_the_prompt_on_one_line() -> None:
    assert thread_name("  a fox\n\tin   snow ") == "a fox in snow"
    long = thread_name("word " * 50)
    assert len(long) == 100
    assert long.endswith("…")
    assert thread_name("   ") == "video"


def test_every_key_built_at_run_time_has_words_in_both_languages() -> None:
    keys = [f"delivery.mode.{mode.value}" for mode in DeliveryMode]
    keys += [f"offer.{reason}" for reason in ("gone", "not_yours")]
    keys += [
        f"forecast.{who}.{case}"
        for who in ("member", "server")
        for case in ("runs_out", "lasts", "used_up")
    ]
    for locale in (ENGLISH, TRADITIONAL_CHINESE):
        missing = [key for key in keys if key not in MESSAGES[locale]]
        assert not missing, f"{locale} lacks {missing}"
