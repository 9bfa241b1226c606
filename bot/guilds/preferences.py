"""A member's own defaults in one server (`/prefer`): the model for /video and for /animate,
the duration, resolution and aspect ratio, and delivery by direct message.

They fill the options a member leaves out, before the server's defaults and the config's
(`bot.jobs.orders` applies that order), and always within what the server allows: a preference
is checked when it is set, and one the server forbids later (a model or resolution it blocked,
a value the catalogue no longer offers, a channel whose videos go to the server's gallery) is
ignored. The member hears about that once per preference change: `told` remembers which
preferences they were told about since they last set them. One row per member per server in
`member_preferences`: a JSON object of the values set, and the JSON list `told`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from bot.catalogue import Catalogue, ModelKind
from bot.db.store import Conn, Store
from bot.db.times import from_micros, to_micros, utc_now
from bot.guilds.delivery import DeliveryMode, delivery_for
from bot.guilds.settings import GuildSettings, GuildSettingsStore

MODEL_PREFERENCES: dict[ModelKind, str] = {
    ModelKind.TEXT_TO_VIDEO: "video_model",
    ModelKind.IMAGE_TO_VIDEO: "animate_model",
}
"""The preference that names the model of each kind of job."""


class PreferenceRefused(Exception):
    """A preference that cannot be kept; `key` names the message (bot/i18n), `params` fill it."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Preferences:
    """One member's defaults in one server; None = not set (the server's default applies)."""

    video_model: str | None = None
    animate_model: str | None = None
    duration: int | None = None
    resolution: str | None = None
    aspect_ratio: str | None = None
    dm: bool | None = None
    """Finished videos come by direct message (where the server does not keep a gallery)."""
    told: frozenset[str] = frozenset()
    """Preferences the member was told the server ignores, since they last set each one."""
    updated_at: datetime | None = None

    def model(self, kind: ModelKind) -> str | None:
        """The preferred model for this kind of job, if any (members prefer models for /video
        and /animate only)."""
        name = MODEL_PREFERENCES.get(kind)
        value: str | None = None if name is None else getattr(self, name)
        return value

    @property
    def prefers_dm(self) -> bool:
        """Finished videos should come by direct message."""
        return bool(self.dm)

    def values(self) -> dict[str, Any]:
        """The preferences that are set, by name."""
        return {name: getattr(self, name) for name in NAMES if getattr(self, name) is not None}

    def without(self, names: Iterable[str]) -> Preferences:
        """These preferences unset (e.g. the ones the server forbids now)."""
        unset: dict[str, Any] = dict.fromkeys(names)
        return replace(self, **unset)


NAMES = tuple(f.name for f in fields(Preferences) if f.name not in ("told", "updated_at"))
"""Every preference, in the order /prefer shows them."""


def check(prefs: Preferences, catalogue: Catalogue, guild: GuildSettings) -> None:
    """Refuse a preference the catalogue does not offer or the server does not allow now."""
    for kind, name in MODEL_PREFERENCES.items():
        model_id = getattr(prefs, name)
        if model_id is None:
            continue
        if model_id not in catalogue:
            raise PreferenceRefused("settings.unknown_model", model=model_id)
        model = catalogue.get(model_id)
        if model.kind is not kind:
            raise PreferenceRefused("prefer.wrong_model_kind", model=model.label)
        if not guild.allows_model(model_id):
            raise PreferenceRefused("refused.model_not_allowed", model=model.label)
    if prefs.resolution is not None:
        if prefs.resolution not in _offered(catalogue, "resolutions"):
            raise PreferenceRefused("settings.unknown_value", value=prefs.resolution)
        if not guild.allows_resolution(prefs.resolution):
            raise PreferenceRefused("refused.resolution_not_allowed", resolution=prefs.resolution)
    if prefs.aspect_ratio is not None and prefs.aspect_ratio not in _offered(
        catalogue, "aspect_ratios"
    ):
        raise PreferenceRefused("settings.unknown_value", value=prefs.aspect_ratio)
    if prefs.duration is not None and prefs.duration not in _offered(catalogue, "durations"):
        raise PreferenceRefused("settings.unknown_value", value=f"{prefs.duration} s")


def forbidden(
    prefs: Preferences, catalogue: Catalogue, guild: GuildSettings, channel_id: int
) -> frozenset[str]:
    """The preferences set that cannot apply to a job made in `channel_id` now, because the
    server (or the catalogue) no longer allows them: the job ignores them."""
    out: set[str] = set()
    for kind, name in MODEL_PREFERENCES.items():
        model_id = getattr(prefs, name)
        if model_id is None:
            continue
        if (
            model_id not in catalogue
            or catalogue.get(model_id).kind is not kind
            or not guild.allows_model(model_id)
        ):
            out.add(name)
    if prefs.resolution is not None and (
        prefs.resolution not in _offered(catalogue, "resolutions")
        or not guild.allows_resolution(prefs.resolution)
    ):
        out.add("resolution")
    if prefs.aspect_ratio is not None and prefs.aspect_ratio not in _offered(
        catalogue, "aspect_ratios"
    ):
        out.add("aspect_ratio")
    if prefs.duration is not None and prefs.duration not in _offered(catalogue, "durations"):
        out.add("duration")
    if prefs.prefers_dm and delivery_for(guild, channel_id, prefers_dm=True).mode is not (
        DeliveryMode.DM
    ):
        out.add("dm")
    return frozenset(out)


def _offered(catalogue: Catalogue, attribute: str) -> set[Any]:
    return {value for model in catalogue.makers() for value in getattr(model, attribute)}


def to_json(prefs: Preferences) -> str:
    """The stored form: only the preferences that are set."""
    return json.dumps(prefs.values(), sort_keys=True)


def from_json(text: str, told: str, updated_at: datetime | None) -> Preferences:
    """Read a stored row; keys this version does not know are ignored."""
    raw = json.loads(text)
    values = {name: raw[name] for name in NAMES if raw.get(name) is not None}
    return Preferences(
        **values, told=frozenset(json.loads(told)) & set(NAMES), updated_at=updated_at
    )


class PreferenceStore:
    """Reads and changes members' preferences. Reads are cached: a server's interactions all
    reach the one process that runs its shard, the only writer of its members' rows."""

    def __init__(
        self,
        db: Store,
        catalogue: Catalogue,
        guild_settings: GuildSettingsStore,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = db
        self._catalogue = catalogue
        self._guild_settings = guild_settings
        self._clock = clock
        self._cache: dict[tuple[int, int], Preferences] = {}

    async def get(self, guild_id: int, user_id: int) -> Preferences:
        """The member's preferences in this server (none set: all None)."""
        key = (guild_id, user_id)
        cached = self._cache.get(key)
        if cached is None:
            cached = await self._db.read(lambda conn: _read(conn, guild_id, user_id))
            self._cache[key] = cached
        return cached

    async def set(self, guild_id: int, user_id: int, **values: Any) -> Preferences:
        """Set some preferences (None unsets one), each checked against the catalogue and what
        the server allows now (`PreferenceRefused`). The member will be told again if a
        changed preference is ignored later."""
        unknown = set(values) - set(NAMES)
        if unknown:
            raise TypeError(f"unknown preferences: {', '.join(sorted(unknown))}")
        guild = await self._guild_settings.get(guild_id)
        check(Preferences(**values), self._catalogue, guild)
        return await self._change(
            guild_id,
            user_id,
            lambda current: replace(current, **values, told=current.told - set(values)),
        )

    async def reset(
        self, guild_id: int, user_id: int, names: Iterable[str] | None = None
    ) -> Preferences:
        """Unset these preferences (None: all of them); the server's defaults apply again."""
        chosen = tuple(NAMES if names is None else names)
        return await self.set(guild_id, user_id, **dict.fromkeys(chosen))

    async def note_told(self, guild_id: int, user_id: int, names: Iterable[str]) -> frozenset[str]:
        """Remember that the member was told these preferences are ignored; returns the ones
        they had not been told about since they set them (tell only those)."""
        wanted = frozenset(names)
        fresh: set[str] = set()

        def mark(current: Preferences) -> Preferences:
            fresh.clear()
            fresh.update(wanted - current.told)
            return replace(current, told=current.told | fresh)

        if wanted <= (await self.get(guild_id, user_id)).told:
            return frozenset()
        await self._change(guild_id, user_id, mark, touch=False)
        return frozenset(fresh)

    async def _change(
        self,
        guild_id: int,
        user_id: int,
        change: Callable[[Preferences], Preferences],
        *,
        touch: bool = True,
    ) -> Preferences:
        now_us = to_micros(self._clock())

        async def write(conn: Conn) -> Preferences:
            current = await _read(conn, guild_id, user_id)
            new = change(current)
            if not new.values():
                await conn.execute(
                    "DELETE FROM member_preferences WHERE guild_id = ? AND user_id = ?",
                    (guild_id, user_id),
                )
                return Preferences()
            updated_us = now_us
            if not touch and current.updated_at is not None:
                updated_us = to_micros(current.updated_at)
            await conn.execute(
                "INSERT INTO member_preferences (guild_id, user_id, preferences, told, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET"
                " preferences = excluded.preferences, told = excluded.told,"
                " updated_at = excluded.updated_at",
                (guild_id, user_id, to_json(new), json.dumps(sorted(new.told)), updated_us),
            )
            return replace(new, updated_at=from_micros(updated_us))

        key = (guild_id, user_id)
        try:
            prefs = await self._db.run(write)
        except BaseException:
            self._cache.pop(key, None)  # unsure what was stored: read it again next time
            raise
        self._cache[key] = prefs
        return prefs


async def _read(conn: Conn, guild_id: int, user_id: int) -> Preferences:
    row = await conn.fetchone(
        "SELECT preferences, told, updated_at FROM member_preferences"
        " WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )
    if row is None:
        return Preferences()
    return from_json(row[0], row[1], from_micros(row[2]))


__all__ = [
    "MODEL_PREFERENCES",
    "NAMES",
    "PreferenceRefused",
    "PreferenceStore",
    "Preferences",
    "check",
    "forbidden",
]
