"""Members' preferences: stored per member per server on both engines, checked when set,
ignored (and told once per change) when the server forbids them later, and applied by
`validate_order` and `default_model` before the server's defaults and the config's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.catalogue import ModelKind
from bot.db import Store
from bot.guilds.delivery import DeliveryMode, delivery_for
from bot.guilds.preferences import (
    PreferenceRefused,
    Preferences,
    PreferenceStore,
    forbidden,
)
from bot.guilds.settings import GuildSettings, GuildSettingsStore
from bot.jobs.orders import default_model, validate_order
from bot.settings import Settings
from tests.engines import Target, target
from tests.guilds.test_settings import GEMINI_I2V, GEMINI_T2V, SEEDANCE_T2V, VEO, order

GUILD, OTHER_GUILD = 1000, 1001
ALICE, BOB = 11, 12
ADMIN = 13
CHANNEL, GALLERY = 2000, 2002
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

__all__ = ["target"]  # each store test runs on SQLite and on PostgreSQL


@pytest.fixture
async def db(target: Target) -> AsyncIterator[Store]:
    database = await target.open()
    yield database
    await database.close()


@pytest.fixture
def servers(db: Store, settings: Settings) -> GuildSettingsStore:
    return GuildSettingsStore(db, settings.catalogue, clock=lambda: T0)


@pytest.fixture
def store(db: Store, settings: Settings, servers: GuildSettingsStore) -> PreferenceStore:
    return PreferenceStore(db, settings.catalogue, servers, clock=lambda: T0)


# -- the store --------------------------------------------------------------------------------


async def test_preferences_are_kept_per_member_per_server(
    store: PreferenceStore, db: Store, settings: Settings, servers: GuildSettingsStore
) -> None:
    assert await store.get(GUILD, ALICE) == Preferences()
    saved = await store.set(GUILD, ALICE, video_model=VEO, duration=6, dm=True)
    assert (saved.video_model, saved.duration, saved.dm, saved.updated_at) == (VEO, 6, True, T0)
    assert await store.get(GUILD, BOB) == Preferences()
    assert await store.get(OTHER_GUILD, ALICE) == Preferences()

    fresh = PreferenceStore(db, settings.catalogue, servers)  # another process, no cache
    assert await fresh.get(GUILD, ALICE) == saved


async def test_reset_one_or_all_and_no_row_is_left_behind(
    store: PreferenceStore, db: Store
) -> None:
    await store.set(GUILD, ALICE, duration=6, resolution="720p")
    one = await store.reset(GUILD, ALICE, ["duration"])
    assert (one.duration, one.resolution) == (None, "720p")
    assert await store.reset(GUILD, ALICE) == Preferences()
    rows = await db.read(lambda c: c.fetchall("SELECT * FROM member_preferences"))
    assert rows == []


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"video_model": "acme/nope"}, "settings.unknown_model"),
        ({"video_model": GEMINI_I2V}, "prefer.wrong_model_kind"),
        ({"animate_model": GEMINI_T2V}, "prefer.wrong_model_kind"),
        ({"video_model": SEEDANCE_T2V}, "refused.model_not_allowed"),
        ({"resolution": "8k"}, "settings.unknown_value"),
        ({"resolution": "4k"}, "refused.resolution_not_allowed"),
        ({"aspect_ratio": "2:1"}, "settings.unknown_value"),
        ({"duration": 7}, "settings.unknown_value"),
    ],
)
async def test_what_the_catalogue_lacks_or_the_server_forbids_cannot_be_set(
    store: PreferenceStore, servers: GuildSettingsStore, values: dict[str, object], key: str
) -> None:
    await servers.set(GUILD, by=ADMIN, blocked_models=(SEEDANCE_T2V,), blocked_resolutions=("4k",))
    with pytest.raises(PreferenceRefused) as refused:
        await store.set(GUILD, ALICE, **values)
    assert refused.value.key == key
    assert await store.get(GUILD, ALICE) == Preferences()


async def test_a_member_is_told_once_per_change(store: PreferenceStore) -> None:
    await store.set(GUILD, ALICE, video_model=VEO, resolution="720p")
    assert await store.note_told(GUILD, ALICE, ["video_model"]) == {"video_model"}
    assert await store.note_told(GUILD, ALICE, ["video_model"]) == frozenset()
    assert await store.note_told(GUILD, ALICE, ["video_model", "resolution"]) == {"resolution"}
    assert (await store.get(GUILD, ALICE)).updated_at == T0

    await store.set(GUILD, ALICE, duration=6)  # another preference: still told about these
    assert await store.note_told(GUILD, ALICE, ["video_model"]) == frozenset()
    await store.set(GUILD, ALICE, video_model=SEEDANCE_T2V)  # changed: told again
    assert await store.note_told(GUILD, ALICE, ["video_model"]) == {"video_model"}


# -- what the server forbids later -------------------------------------------------------------


def test_what_the_server_forbids_now_is_ignored(settings: Settings) -> None:
    prefs = Preferences(
        video_model=VEO, animate_model=GEMINI_I2V, resolution="4k", aspect_ratio="9:16", dm=True
    )
    catalogue = settings.catalogue
    assert forbidden(prefs, catalogue, GuildSettings(), CHANNEL) == frozenset()
    strict = GuildSettings(blocked_models=(VEO,), blocked_resolutions=("4k",))
    assert forbidden(prefs, catalogue, strict, CHANNEL) == {"video_model", "resolution"}
    gallery = GuildSettings(delivery="gallery", gallery_channel_id=GALLERY)
    assert forbidden(prefs, catalogue, gallery, CHANNEL) == {"dm"}
    assert forbidden(prefs, catalogue, gallery, GALLERY) == frozenset(), "made in the gallery"
    gone = Preferences(video_model="acme/retired", duration=7)
    assert forbidden(gone, catalogue, GuildSettings(), CHANNEL) == {"video_model", "duration"}


def test_a_dm_preference_beats_channel_and_thread_but_not_the_gallery() -> None:
    def mode(guild: GuildSettings, prefers_dm: bool) -> DeliveryMode:
        return delivery_for(guild, CHANNEL, prefers_dm=prefers_dm).mode

    assert mode(GuildSettings(), False) is DeliveryMode.CHANNEL
    assert mode(GuildSettings(), True) is DeliveryMode.DM
    assert mode(GuildSettings(delivery="thread"), True) is DeliveryMode.DM
    gallery = GuildSettings(delivery="gallery", gallery_channel_id=GALLERY)
    assert mode(gallery, True) is DeliveryMode.GALLERY
    assert delivery_for(gallery, CHANNEL, prefers_dm=True).gallery_channel_id == GALLERY


# -- precedence: member > server > config -------------------------------------------------------


def test_the_members_preferences_come_first(settings: Settings) -> None:
    server = GuildSettings(video_model=SEEDANCE_T2V, duration=5, aspect_ratio="1:1")
    mine = Preferences(video_model=VEO, resolution="720p")
    validated = validate_order(order(preferences=mine), settings, server)
    assert validated.model.id == VEO
    assert validated.resolution == "720p"
    assert validated.duration == 4, "the server's 5 s, to the nearest length Veo makes"
    assert validated.aspect_ratio == "16:9", "the server's 1:1 is not Veo's: Veo's first"
    assert validated.ignored == ()

    typed = validate_order(order(preferences=mine, model_id=GEMINI_T2V, duration=10), settings)
    assert (typed.model.id, typed.duration, typed.resolution) == (GEMINI_T2V, 10, "720p")


def test_a_preference_the_model_lacks_falls_back_silently(settings: Settings) -> None:
    mine = Preferences(resolution="4k", duration=5, aspect_ratio="21:9")
    validated = validate_order(order(preferences=mine, model_id=VEO), settings)
    assert validated.resolution == "1080p", "the config's, as Veo has no 4k"
    assert validated.duration == 4, "the nearest to the member's 5 s"
    assert validated.aspect_ratio == "16:9"
    assert validated.ignored == (), "the server forbids none of them"


def test_forbidden_preferences_are_ignored_and_named(settings: Settings) -> None:
    mine = Preferences(video_model=VEO, resolution="720p", dm=True)
    server = GuildSettings(
        blocked_models=(VEO,),
        blocked_resolutions=("720p",),
        delivery="gallery",
        gallery_channel_id=GALLERY,
    )
    validated = validate_order(order(preferences=mine), settings, server)
    assert (validated.model.id, validated.resolution) == (GEMINI_T2V, "1080p")
    assert validated.ignored == ("dm", "resolution", "video_model")
    named = validate_order(order(preferences=mine, model_id=SEEDANCE_T2V), settings, server)
    assert named.ignored == ("dm", "resolution"), "a named model needs no preference"


def test_default_model_follows_the_member_then_the_server(settings: Settings) -> None:
    kind = ModelKind.TEXT_TO_VIDEO
    server = GuildSettings(video_model=SEEDANCE_T2V)
    mine = Preferences(video_model=VEO)

    def chosen(guild: GuildSettings, prefs: Preferences | None = None) -> str | None:
        model = default_model(kind, settings, guild, prefs)
        return None if model is None else model.id

    assert chosen(GuildSettings()) == GEMINI_T2V
    assert chosen(server) == SEEDANCE_T2V
    assert chosen(server, mine) == VEO
    assert chosen(GuildSettings(video_model=SEEDANCE_T2V, blocked_models=(VEO,)), mine) == (
        SEEDANCE_T2V
    )
