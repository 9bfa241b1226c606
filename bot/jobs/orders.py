"""What a member asks for, checked against the catalogue before any money moves.

`validate_order` turns a `VideoOrder` (the member's words) into a `ValidatedOrder` (a model
and options the model offers, with a price) or raises `JobRefused` with a message key that
the Discord layer renders in the member's language. An option left out is filled from the
member's own preferences (`/prefer`), else the server's defaults (`/settings defaults`), else
the config's, each only where the server allows it and the model offers it.

Everything is checked here even when Discord's client would not have let it through (a
request can be forged): the prompt's length and characters, and the attachments' metadata.
A job that starts from a video (extend, edit, upscale) is validated twice: from Discord's
description of the video, then with its length once `bot.jobs.inputs` has read it (an edit
is priced on that length, and a model takes videos only so long), all before any hold.

Longer than most modules: every check an order passes, for each kind of job, in one place.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.catalogue import MAKER_KINDS, Catalogue, ModelKind, ModelSpec, Option, UnknownModel
from bot.guilds.preferences import MODEL_PREFERENCES, Preferences, forbidden
from bot.guilds.settings import MAX_COUNT, GuildSettings
from bot.jobs.attachments import (
    LENGTH_SLACK_SECONDS,
    ImageInput,
    JobRefused,
    VideoInput,
    check_images,
    check_video,
)
from bot.jobs.record import DEFAULT_LOCALE, JobMeta, JobRecord
from bot.money import Micros
from bot.pricing import InvalidOptions, check_options, quote
from bot.settings import Settings

MAX_SEED = 2**31 - 1

OPTION_MAX_CHARS = 6000
"""Discord's own limit on a slash command's string option."""

FORM_MAX_CHARS = 4000
"""Discord's own limit on a text field of a form (the Edit prompt form)."""


def prompt_limit(catalogue: Catalogue) -> int:
    """The longest prompt the bot takes: what the slash commands register and what
    `validate_order` accepts at most, whatever the model (each model's own `max_prompt_chars`
    is checked as well). Discord caps an option at 6,000 characters; below that, the longest
    prompt any model of the catalogue takes, so no model is cut short by the command."""
    longest = max((model.max_prompt_chars for model in catalogue), default=OPTION_MAX_CHARS)
    return min(OPTION_MAX_CHARS, longest)


def form_prompt_limit(catalogue: Catalogue) -> int:
    """The longest prompt the Edit prompt form takes: `prompt_limit`, within Discord's limit
    on a form's text field."""
    return min(prompt_limit(catalogue), FORM_MAX_CHARS)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
"""C0 control characters except tab (09) and newline (0a), and DEL (7f)."""


def clean_prompt(prompt: str) -> str:
    """The prompt as it goes to Atlas: line breaks as newlines, other control characters
    (NUL, escape, backspace, ... DEL) removed, surrounding blanks trimmed.

    Stripped rather than refused: they are invisible in Discord, so a member who pasted one
    could neither see nor remove it, and they carry nothing a video model could use. The
    member sees the cleaned prompt on the job's message, and that is what is stored and sent.
    """
    unified = prompt.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", unified).strip()


@dataclass(frozen=True, kw_only=True)
class VideoOrder:
    """A member's request, as typed: options left out are None. Who asks and where is filled
    in from the interaction (`bot.ui.orders.for_member`)."""

    prompt: str
    kind: ModelKind
    user_id: int = 0
    guild_id: int = 0
    channel_id: int = 0
    role_ids: tuple[int, ...] = ()
    model_id: str | None = None
    duration: int | None = None
    aspect_ratio: str | None = None
    resolution: str | None = None
    seed: int | None = None
    images: tuple[ImageInput, ...] = ()
    # Atlas URLs of images uploaded by an earlier job (a re-roll reuses them).
    image_urls: tuple[str, ...] = ()
    # The member's Discord language, kept so a job resumed after a restart still speaks it.
    locale: str = DEFAULT_LOCALE
    # The channel is age-restricted (a server may allow videos only in such channels).
    channel_nsfw: bool = False
    # How many videos, each with its own seed (a batch is held all together or not at all).
    count: int = 1
    # The member's own defaults in this server (`/prefer`), for the options left out.
    preferences: Preferences = field(default_factory=Preferences)
    # The largest file the server accepts (the interaction says it): the video is made to fit.
    upload_limit: int | None = None
    # First and last frame: the image the video ends on, or the first one again (a loop).
    last_image: ImageInput | None = None
    last_image_url: str | None = None
    loop: bool = False
    # A job that starts from a video: Discord's description of it, or (a re-roll) Atlas's URL
    # of the copy an earlier job uploaded; its length once read; the job it came from.
    video: VideoInput | None = None
    video_url: str | None = None
    input_seconds: float | None = None
    source_job: str | None = None

    @property
    def wants_last_frame(self) -> bool:
        """The member gave an image to end on, or asked for a loop."""
        return self.loop or self.last_image is not None or self.last_image_url is not None

    @property
    def prefers_dm(self) -> bool:
        """The member wants finished videos by direct message (`/prefer dm`); where the video
        really goes is `bot.guilds.delivery.delivery_for(..., prefers_dm=...)`."""
        return self.preferences.prefers_dm


@dataclass(frozen=True)
class ValidatedOrder:
    """A request that fits its model, with every option filled in and its price."""

    order: VideoOrder
    model: ModelSpec
    duration: int
    aspect_ratio: str
    resolution: str
    seed: int
    price: Micros
    meta: JobMeta
    """What the job row keeps of it (see `bot.jobs.record`)."""
    ignored: tuple[str, ...] = ()
    """The member's preferences this job would have used but the server forbids now (see
    `bot.guilds.preferences`): the member is told once."""

    @property
    def needs_input(self) -> bool:
        """The job starts from a video not yet read and uploaded (`bot.jobs.inputs`)."""
        return self.model.kind.takes_video and self.meta.video_url is None


def validate_order(
    order: VideoOrder, settings: Settings, guild: GuildSettings | None = None
) -> ValidatedOrder:
    """Check the prompt, model, options and attachments against the catalogue and the server's
    settings (`guild`); fill the options left out (the member's preferences, else the server's
    defaults, else the config's); quote the price."""
    guild = guild or GuildSettings()
    limit = prompt_limit(settings.catalogue)
    if len(order.prompt) > limit:  # longer than the command takes: a forged request
        raise JobRefused("refused.prompt_too_long", limit=limit, length=len(order.prompt))
    prompt = clean_prompt(order.prompt)
    maker = order.kind in MAKER_KINDS
    # The member's preferences that the server (or the catalogue) no longer allows are ignored.
    not_allowed = forbidden(order.preferences, settings.catalogue, guild, order.channel_id)
    prefs = order.preferences.without(not_allowed) if maker else Preferences()
    model = _pick_model(order, settings, guild, prefs)
    if Option.PROMPT in model.inputs:
        if not prompt:
            raise JobRefused("refused.prompt_empty")
        if len(prompt) > model.max_prompt_chars:
            raise JobRefused(
                "refused.prompt_too_long", limit=model.max_prompt_chars, length=len(prompt)
            )
    duration = _pick_duration(order, model, settings, guild, prefs)
    resolution = _pick_resolution(order, model, settings, guild, prefs)
    aspect_ratio = ""
    if model.aspect_ratios:
        aspect_ratio = order.aspect_ratio or _first_offered(
            (prefs.aspect_ratio, guild.aspect_ratio, settings.defaults.aspect_ratio),
            model.aspect_ratios,
        )
    try:
        check_options(model, resolution=resolution, duration=duration, aspect_ratio=aspect_ratio)
        seconds = order.input_seconds
        unread = model.priced_on == "input" and seconds is None
        price = 0 if unread else quote(model, resolution, duration, input_seconds=seconds)
    except InvalidOptions as exc:
        raise JobRefused("refused.invalid_option", detail=str(exc)) from None
    check_images(
        model,
        settings.attachments,
        order.images,
        count=max(len(order.images), len(order.image_urls)),
        last_image=order.last_image,
        loop_and_last=order.loop and (order.last_image or order.last_image_url) is not None,
    )
    check_video(
        model,
        settings.attachments,
        order.video,
        known=order.video_url is not None,
        seconds=order.input_seconds,
        added=duration,
    )
    if order.seed is not None and not 0 <= order.seed <= MAX_SEED:
        raise JobRefused("refused.bad_seed", max=MAX_SEED)
    most = guild.max_count or MAX_COUNT
    if not 1 <= order.count <= (most if maker else 1):
        raise JobRefused("refused.count", max=most if maker else 1)
    seed = order.seed if order.seed is not None else secrets.randbelow(MAX_SEED + 1)
    meta = JobMeta(
        prompt=prompt,
        duration=duration,
        aspect_ratio=aspect_ratio,
        resolution=resolution,
        seed=seed,
        role_ids=order.role_ids,
        image_count=max(len(order.images), len(order.image_urls)),
        image_urls=order.image_urls,
        locale=order.locale,
        upload_limit=order.upload_limit,
        video_url=order.video_url,
        input_seconds=order.input_seconds,
        source_job=order.source_job,
        last_image_url=order.last_image_url,
        loop=order.loop,
    )
    ignored = tuple(sorted(not_allowed & _preferences_used(order))) if maker else ()
    return ValidatedOrder(
        order, model, duration, aspect_ratio, resolution, seed, price, meta, ignored
    )


def _pick_duration(
    order: VideoOrder,
    model: ModelSpec,
    settings: Settings,
    guild: GuildSettings,
    prefs: Preferences,
) -> int:
    """The seconds asked for (an extension's: the seconds added); for a model whose output is
    as long as its input, the input's (rounded up), shown on the job's message."""
    if not model.durations:
        return math.ceil((order.input_seconds or 0) - LENGTH_SLACK_SECONDS)
    if order.duration is not None:
        return order.duration
    if order.kind not in MAKER_KINDS:
        return model.durations[len(model.durations) // 2]
    default = prefs.duration or guild.duration or settings.defaults.duration
    if default in model.durations:
        return default
    return min(model.durations, key=lambda d: abs(d - default))


def _preferences_used(order: VideoOrder) -> set[str]:
    """The preferences that fill this order: those of the options left out, and delivery."""
    used = {"dm"}
    if order.model_id is None:
        used.add(MODEL_PREFERENCES[order.kind])
    used.update(
        name for name in ("duration", "resolution", "aspect_ratio") if getattr(order, name) is None
    )
    return used


def _first_offered(candidates: tuple[str | None, ...], offered: Sequence[str]) -> str:
    """The first candidate the model offers, else the model's first."""
    return next((c for c in candidates if c is not None and c in offered), offered[0])


def batch_seeds(validated: ValidatedOrder) -> list[int]:
    """One seed per video of the order: the member's seed and the ones after it, else random
    ones (a batch asks for different videos)."""
    if validated.order.count == 1 or validated.order.seed is None:
        first = [validated.seed]
        return first + [secrets.randbelow(MAX_SEED + 1) for _ in range(validated.order.count - 1)]
    return [(validated.seed + n) % (MAX_SEED + 1) for n in range(validated.order.count)]


def order_of(job: JobRecord, catalogue: Catalogue) -> ValidatedOrder:
    """The validated order a stored job was made from (the inverse of `validate_order`): to
    resume it after a restart, or to make it again (re-roll, edit prompt) for another member.

    Raises `UnknownModel` when the job's model left the catalogue.
    """
    meta = job.meta
    model = catalogue.get(job.model)
    order = VideoOrder(
        user_id=job.user_id,
        guild_id=job.guild_id,
        channel_id=job.channel_id,
        prompt=meta.prompt,
        kind=ModelKind.IMAGE_TO_VIDEO if model.kind.takes_images else model.kind,
        role_ids=meta.role_ids,
        model_id=job.model,
        duration=meta.duration if model.durations else None,
        aspect_ratio=meta.aspect_ratio or None,
        resolution=meta.resolution,
        seed=meta.seed,
        image_urls=meta.image_urls,
        locale=meta.locale,
        upload_limit=meta.upload_limit,
        last_image_url=meta.last_image_url,
        loop=meta.loop,
        video_url=meta.video_url,
        input_seconds=meta.input_seconds,
        source_job=meta.source_job,
    )
    return ValidatedOrder(
        order,
        model,
        meta.duration,
        meta.aspect_ratio,
        meta.resolution,
        meta.seed,
        job.quote,
        meta,
    )


def accepts(command: ModelKind, model: ModelSpec) -> bool:
    """Whether a job asked as `command` may use `model`: /animate takes image-to-video and
    first-and-last-frame models, every other kind its own."""
    if command is ModelKind.IMAGE_TO_VIDEO:
        return model.kind.takes_images
    return model.kind is command


def default_model(
    kind: ModelKind,
    settings: Settings,
    guild: GuildSettings,
    preferences: Preferences | None = None,
    *,
    last_frame: bool = False,
) -> ModelSpec | None:
    """The model a job of `kind` uses when the member names none: the member's preferred one,
    else the server's default, else the config's, else the first model of that kind the
    server allows (None: none allowed). With `last_frame`, only a model that can end on a
    given image. Autocomplete offers that model's options."""
    config_default = {
        ModelKind.TEXT_TO_VIDEO: settings.defaults.text_to_video_model,
        ModelKind.IMAGE_TO_VIDEO: settings.defaults.image_to_video_model,
    }.get(kind)
    preferred = None if preferences is None else preferences.model(kind)
    candidates = [preferred, guild.default_model(kind), config_default]
    candidates += [m.id for m in settings.catalogue.of_kind(kind)]
    if kind is ModelKind.IMAGE_TO_VIDEO:
        candidates += [m.id for m in settings.catalogue.of_kind(ModelKind.START_END_FRAME)]
    for model_id in candidates:
        if model_id is not None and model_id in settings.catalogue and guild.allows_model(model_id):
            model = settings.catalogue.get(model_id)
            if not accepts(kind, model):
                continue
            if last_frame and not model.takes_last_image:
                continue
            if model.needs_last_image and not last_frame:
                continue
            return model
    return None


def last_frame_models(settings: Settings, guild: GuildSettings) -> list[ModelSpec]:
    """The models this server allows that can end a video on a given image."""
    return [
        m for m in settings.catalogue.makers() if m.takes_last_image and guild.allows_model(m.id)
    ]


def _pick_model(
    order: VideoOrder, settings: Settings, guild: GuildSettings, prefs: Preferences
) -> ModelSpec:
    if order.model_id is None:
        model = default_model(order.kind, settings, guild, prefs, last_frame=order.wants_last_frame)
        if model is None and order.wants_last_frame:
            raise JobRefused("refused.no_last_frame_model")
        if model is None:
            raise JobRefused("refused.no_model_allowed")
        return model
    try:
        model = settings.catalogue.get(order.model_id)
    except UnknownModel:
        raise JobRefused("refused.unknown_model", model=order.model_id) from None
    if not accepts(order.kind, model):
        raise JobRefused("refused.wrong_model_kind", model=model.label, kind=str(order.kind))
    if not guild.allows_model(model.id):
        raise JobRefused("refused.model_not_allowed", model=model.label)
    if order.wants_last_frame and not model.takes_last_image:
        others = ", ".join(m.label for m in last_frame_models(settings, guild)) or "-"
        raise JobRefused("refused.no_last_frame", model=model.label, models=others)
    if model.needs_last_image and not order.wants_last_frame:
        raise JobRefused("refused.needs_last_frame", model=model.label)
    return model


def _pick_resolution(
    order: VideoOrder,
    model: ModelSpec,
    settings: Settings,
    guild: GuildSettings,
    prefs: Preferences,
) -> str:
    if order.resolution is not None:
        if not guild.allows_resolution(order.resolution):
            raise JobRefused("refused.resolution_not_allowed", resolution=order.resolution)
        return order.resolution  # whether the model offers it is checked with the others
    allowed = [r for r in model.resolutions if guild.allows_resolution(r)]
    if not allowed:
        raise JobRefused("refused.no_resolution_allowed", model=model.label)
    if order.kind not in MAKER_KINDS:
        return allowed[0]
    candidates = (prefs.resolution, guild.resolution, settings.defaults.resolution)
    return _first_offered(candidates, allowed)


__all__ = [
    "FORM_MAX_CHARS",
    "MAX_SEED",
    "OPTION_MAX_CHARS",
    "ImageInput",
    "JobRefused",
    "ValidatedOrder",
    "VideoInput",
    "VideoOrder",
    "accepts",
    "batch_seeds",
    "clean_prompt",
    "default_model",
    "form_prompt_limit",
    "last_frame_models",
    "order_of",
    "prompt_limit",
    "validate_order",
]
