"""Per-server settings: what a server's admins chose with /settings, over the config file.

A `GuildSettings` value of None (or an empty tuple) means "as the config file says": default
model, duration, resolution and aspect ratio; models and resolutions members may not use; the
channels where videos may be made (none listed: everywhere); the price above which a job waits
for an admin's approval. `GuildSettingsStore` keeps one JSON object per server in the
`guild_settings` table and checks every change against the catalogue before it is stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any

from bot.catalogue import Catalogue, ModelKind, UnknownModel
from bot.db.store import Conn, Store
from bot.db.times import from_micros, to_micros, utc_now
from bot.guilds.delivery import MAX_CHANNEL_OVERRIDES, delivery_problem
from bot.money import Micros
from bot.safety.prompt_rules import PromptRule, RuleProblem, check_rules

DEFAULT_APPROVAL_TIMEOUT_SECONDS = 600.0
"""How long a job waits for an admin's approval when the server did not say."""

MAX_CHANNELS = 25
MAX_COUNT = 4
"""The most videos one /video or /animate makes at once (a server may allow fewer)."""


class SettingsRefused(Exception):
    """A change that cannot be stored; `key` names the message (bot/i18n), `params` fill it."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class GuildSettings:
    """One server's choices; None or () = the config file's value (or no restriction)."""

    video_model: str | None = None
    animate_model: str | None = None
    duration: int | None = None
    resolution: str | None = None
    aspect_ratio: str | None = None
    blocked_models: tuple[str, ...] = ()
    blocked_resolutions: tuple[str, ...] = ()
    channel_ids: tuple[int, ...] = ()
    approval_threshold: Micros | None = None
    approval_timeout_seconds: float | None = None
    # Where finished videos go (bot/guilds/delivery.py): the server's mode, its gallery channel,
    # and the channels with a mode of their own, as (channel id, mode) pairs.
    delivery: str | None = None
    gallery_channel_id: int | None = None
    channel_delivery: tuple[tuple[int, str], ...] = ()
    # Safety (bot/jobs/moderation.py): prompt rules; videos only in age-restricted channels;
    # the channel moderation events are written in; rejections in a day that pause a member
    # (None: 3); what happens to a video Atlas flags, "spoiler" (None) or "review".
    prompt_rules: tuple[PromptRule, ...] = ()
    nsfw_only: bool | None = None
    log_channel_id: int | None = None
    rejection_limit: int | None = None
    flagged_outputs: str | None = None
    # The most videos one /video or /animate may make at once (None: the bot's most, 4).
    max_count: int | None = None
    # Budget alerts (bot/operator/alerts.py): members told privately at each threshold of
    # their limit, and the log channel at each threshold of the server's cap. None: on.
    member_alerts: bool | None = None
    cap_alerts: bool | None = None
    # The prompt helper (Improve prompt, paid by tokens from the member's budget). None: on.
    prompt_helper: bool | None = None
    # Who last changed them, and when (not part of the stored JSON object).
    updated_at: datetime | None = None
    updated_by: int | None = None

    def allows_channel(self, channel_id: int) -> bool:
        """Videos may be made here (no channel listed: anywhere)."""
        return not self.channel_ids or channel_id in self.channel_ids

    def allows_model(self, model_id: str) -> bool:
        """Members may use this model."""
        return model_id not in self.blocked_models

    def allows_resolution(self, resolution: str) -> bool:
        """Members may ask for this resolution."""
        return resolution not in self.blocked_resolutions

    @property
    def allows_prompt_helper(self) -> bool:
        """Members may have their prompts improved here (on unless an admin turned it off)."""
        return self.prompt_helper is not False

    def needs_approval(self, quote: Micros) -> bool:
        """A job quoted at `quote` waits for an admin's yes before it runs."""
        return self.approval_threshold is not None and quote > self.approval_threshold

    @property
    def approval_timeout(self) -> float:
        """Seconds a job waits for an approval before it is released."""
        if self.approval_timeout_seconds is None:
            return DEFAULT_APPROVAL_TIMEOUT_SECONDS
        return self.approval_timeout_seconds

    def default_model(self, kind: ModelKind) -> str | None:
        """The server's default model for this kind of job, if it chose one (servers choose
        them for /video and /animate)."""
        if kind is ModelKind.TEXT_TO_VIDEO:
            return self.video_model
        return self.animate_model if kind is ModelKind.IMAGE_TO_VIDEO else None


_STORED = tuple(f.name for f in fields(GuildSettings) if f.name not in ("updated_at", "updated_by"))
_TUPLES = frozenset(
    {"blocked_models", "blocked_resolutions", "channel_ids", "channel_delivery", "prompt_rules"}
)
MAX_REJECTION_LIMIT = 20
FLAGGED_OUTPUTS = ("spoiler", "review")


def to_json(settings: GuildSettings) -> str:
    """The stored form: only the values that differ from "as the config says"."""
    values = asdict(settings)
    kept = {name: values[name] for name in _STORED if values[name] not in (None, ())}
    return json.dumps(
        {k: list(v) if isinstance(v, tuple) else v for k, v in kept.items()}, sort_keys=True
    )


def from_json(text: str, updated_at: datetime | None, updated_by: int | None) -> GuildSettings:
    """Read a stored object; keys this version does not know are ignored."""
    raw = json.loads(text)
    values: dict[str, Any] = {}
    for name in _STORED:
        if name in raw and raw[name] is not None:
            values[name] = tuple(raw[name]) if name in _TUPLES else raw[name]
    if "channel_delivery" in values:  # JSON keeps the pairs as lists
        values["channel_delivery"] = tuple((int(c), str(m)) for c, m in values["channel_delivery"])
    if "prompt_rules" in values:
        values["prompt_rules"] = tuple(PromptRule.from_json(r) for r in values["prompt_rules"])
    return GuildSettings(**values, updated_at=updated_at, updated_by=updated_by)


def check(settings: GuildSettings, catalogue: Catalogue) -> None:
    """Refuse settings that name what the catalogue lacks or contradict themselves."""
    for kind, model_id in (
        (ModelKind.TEXT_TO_VIDEO, settings.video_model),
        (ModelKind.IMAGE_TO_VIDEO, settings.animate_model),
    ):
        if model_id is None:
            continue
        try:
            model = catalogue.get(model_id)
        except UnknownModel:
            raise SettingsRefused("settings.unknown_model", model=model_id) from None
        if model.kind is not kind:
            raise SettingsRefused("settings.wrong_model_kind", model=model.label, kind=str(kind))
        if not settings.allows_model(model_id):
            raise SettingsRefused("settings.default_blocked", model=model.label)
    for model_id in settings.blocked_models:
        if model_id not in catalogue:
            raise SettingsRefused("settings.unknown_model", model=model_id)
    for kind in ModelKind:
        offered = catalogue.of_kind(kind)
        if offered and not any(settings.allows_model(m.id) for m in offered):
            raise SettingsRefused("settings.all_blocked")
    # Any model's resolution may be blocked (an upscaler's 2k too); the defaults are about
    # the videos /video and /animate make.
    makers = catalogue.makers()
    resolutions = {r for m in makers for r in m.resolutions}
    anywhere = {r for m in catalogue for r in m.resolutions}
    for resolution in settings.blocked_resolutions:
        if resolution not in anywhere:
            raise SettingsRefused("settings.unknown_value", value=resolution)
    if settings.resolution is not None and settings.resolution not in resolutions:
        raise SettingsRefused("settings.unknown_value", value=settings.resolution)
    if settings.resolution is not None and not settings.allows_resolution(settings.resolution):
        raise SettingsRefused("settings.default_resolution_blocked", resolution=settings.resolution)
    if resolutions and resolutions <= set(settings.blocked_resolutions):
        raise SettingsRefused("settings.all_resolutions_blocked")
    ratios = {r for m in makers for r in m.aspect_ratios}
    if settings.aspect_ratio is not None and settings.aspect_ratio not in ratios:
        raise SettingsRefused("settings.unknown_value", value=settings.aspect_ratio)
    durations = {d for m in makers for d in m.durations}
    if settings.duration is not None and settings.duration not in durations:
        raise SettingsRefused("settings.unknown_value", value=f"{settings.duration} s")
    if len(settings.channel_ids) > MAX_CHANNELS:
        raise SettingsRefused("settings.too_many_channels", max=MAX_CHANNELS)
    if settings.approval_threshold is not None and settings.approval_threshold < 0:
        raise SettingsRefused("settings.bad_threshold")
    if settings.approval_timeout_seconds is not None and settings.approval_timeout_seconds <= 0:
        raise SettingsRefused("settings.bad_timeout")
    if settings.max_count is not None and not 1 <= settings.max_count <= MAX_COUNT:
        raise SettingsRefused("settings.bad_count", max=MAX_COUNT)
    problem = delivery_problem(
        settings.delivery, settings.gallery_channel_id, settings.channel_delivery
    )
    if problem is not None:
        raise SettingsRefused(problem, max=MAX_CHANNEL_OVERRIDES)
    _check_safety(settings)


def _check_safety(settings: GuildSettings) -> None:
    try:
        check_rules(settings.prompt_rules)
    except RuleProblem as problem:
        raise SettingsRefused(problem.key, **problem.params) from None
    limit = settings.rejection_limit
    if limit is not None and not 1 <= limit <= MAX_REJECTION_LIMIT:
        raise SettingsRefused("settings.bad_rejection_limit", max=MAX_REJECTION_LIMIT)
    if settings.flagged_outputs not in (None, *FLAGGED_OUTPUTS):
        raise SettingsRefused("settings.bad_flagged_outputs", value=settings.flagged_outputs)


class GuildSettingsStore:
    """Reads and changes servers' settings; reads are cached (this process is the only writer)."""

    def __init__(
        self, db: Store, catalogue: Catalogue, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._db = db
        self._catalogue = catalogue
        self._clock = clock
        self._cache: dict[int, GuildSettings] = {}

    async def get(self, guild_id: int) -> GuildSettings:
        """The server's settings (all None when it never changed any)."""
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached

        settings = await self._db.read(lambda conn: _read(conn, guild_id))
        self._cache[guild_id] = settings
        return settings

    async def update(
        self, guild_id: int, *, by: int, change: Callable[[GuildSettings], GuildSettings]
    ) -> GuildSettings:
        """Apply `change` to the stored settings atomically; `SettingsRefused` if it is invalid.

        `change` gets the current settings and returns the new ones (e.g. via `with_changes`).
        """
        now_us = to_micros(self._clock())
        catalogue = self._catalogue

        async def write(conn: Conn) -> GuildSettings:
            new = change(await _read(conn, guild_id))
            check(new, catalogue)
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, settings, updated_at, updated_by)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET"
                " settings = excluded.settings, updated_at = excluded.updated_at,"
                " updated_by = excluded.updated_by",
                (guild_id, to_json(new), now_us, by),
            )
            return replace(new, updated_at=from_micros(now_us), updated_by=by)

        try:
            settings = await self._db.run(write)
        except SettingsRefused:
            raise
        except BaseException:
            self._cache.pop(guild_id, None)  # unsure what was stored: read it again next time
            raise
        self._cache[guild_id] = settings
        return settings

    async def set(self, guild_id: int, *, by: int, **values: Any) -> GuildSettings:
        """Set some fields (None or () restores the config's value); see `update`."""
        unknown = set(values) - set(_STORED)
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        return await self.update(guild_id, by=by, change=lambda current: replace(current, **values))


async def _read(conn: Conn, guild_id: int) -> GuildSettings:
    row = await conn.fetchone(
        "SELECT settings, updated_at, updated_by FROM guild_settings WHERE guild_id = ?",
        (guild_id,),
    )
    if row is None:
        return GuildSettings()
    return from_json(row[0], from_micros(row[1]), row[2])
