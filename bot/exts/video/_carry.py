"""Carrying a finished video further: Extend, Edit video and Upscale on its message, and
/edit-video with a member's own clip. Thin, as `VideoCog`: each turns a click or a form into a
`VideoOrder` whose input is a video, and lets the job service prepare and run it like any job.

A finished video is read from Discord as it is now (`bot.ui.sources.current_video`): its
message's attachment, with a fresh link, however old the video and whatever restarts since.

Longer than most modules: four actions (Extend, Edit video, Upscale, /edit-video), each a
thin form and an order, side by side because they share the source video's reading.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import Catalogue, ModelKind, ModelSpec
from bot.exts.video._cog import VideoCog
from bot.i18n import t
from bot.jobs.orders import OPTION_MAX_CHARS, JobRefused, VideoOrder, default_model
from bot.jobs.record import JobRecord, JobState
from bot.money import format_usd
from bot.pricing import quote
from bot.ui.cogs import loaded
from bot.ui.orders import for_member
from bot.ui.render import refusal_text
from bot.ui.sources import current_video, video_input

if TYPE_CHECKING:
    from bot.app import VideoBot

log = logging.getLogger(__name__)

MODAL_TIMEOUT_SECONDS = 15 * 60
FORM_PROMPT_CHARS = 4000
"""Discord's limit on a form's text field."""


def source_seconds(job: JobRecord, catalogue: Catalogue) -> float:
    """About how long a finished video is, from its job (for a price shown before the video
    is read): what it was asked to be, an extension's input and the seconds added, an edit's
    or upscale's input."""
    meta = job.meta
    kind = catalogue.get(job.model).kind if job.model in catalogue else ModelKind.TEXT_TO_VIDEO
    if meta.input_seconds is None:
        return float(meta.duration)
    if kind is ModelKind.VIDEO_EXTEND:
        return meta.input_seconds + meta.duration
    return meta.input_seconds


class CarryCog(commands.Cog):
    """Extend, Edit video, Upscale and /edit-video."""

    def __init__(self, bot: VideoBot) -> None:
        self.bot = bot

    @property
    def _videos(self) -> VideoCog:
        return loaded(self.bot, VideoCog)

    # -- the finished video ------------------------------------------------------------

    async def _source(self, interaction: discord.Interaction[Any], job_id: str) -> JobRecord | None:
        """The finished video's job, if a member may take it further from here; else they
        are told why (and None)."""
        if not await self._videos.may_make_videos(interaction):
            return None
        record = await self.bot.jobs.job(job_id, interaction.guild_id or 0)
        key = None
        if record is None:
            key = "reroll.unknown"
        elif record.meta.erased:
            key = "privacy.job_erased"
        elif record.state is not JobState.DELIVERED:
            key = "carry.not_delivered"
        if key is not None:
            await _tell(interaction, t(key, str(interaction.locale)))
            return None
        return record

    async def _model(
        self, interaction: discord.Interaction[Any], kind: ModelKind
    ) -> ModelSpec | None:
        """The server's model for this kind of job (the first the catalogue lists that the
        server allows), or None and the member told there is none."""
        guild = await self.bot.server_settings.get(interaction.guild_id or 0)
        model = default_model(kind, self.bot.settings, guild)
        if model is None:
            await _tell(interaction, t("carry.unavailable", str(interaction.locale)))
        return model

    async def _start(
        self,
        interaction: discord.Interaction[Any],
        record: JobRecord,
        kind: ModelKind,
        model: ModelSpec,
        *,
        prompt: str,
        duration: int | None = None,
        resolution: str | None = None,
    ) -> None:
        """Read the video's current attachment, then run the job as any other."""
        try:
            video = await current_video(self.bot, record)
        except JobRefused as refused:
            await _tell(interaction, refusal_text(refused, str(interaction.locale)))
            return
        if resolution is None and record.meta.resolution in model.resolutions:
            resolution = record.meta.resolution
        stored = VideoOrder(
            prompt=prompt,
            kind=kind,
            model_id=model.id,
            duration=duration,
            resolution=resolution,
            video=video,
            source_job=record.id,
        )
        await self._videos.start_job(interaction, for_member(interaction, stored))

    # -- Extend ------------------------------------------------------------------------

    async def extend(self, interaction: discord.Interaction[Any], job_id: str) -> None:
        """Open the Extend form: what happens next, and how many seconds to add (the price is
        in the form, before anything is held)."""
        record = await self._source(interaction, job_id)
        model = None if record is None else await self._model(interaction, ModelKind.VIDEO_EXTEND)
        if record is None or model is None:
            return
        locale = str(interaction.locale)
        await interaction.response.send_modal(ExtendModal(record, model, locale))

    async def extend_submitted(
        self, interaction: discord.Interaction[Any], job_id: str, prompt: str, seconds: str
    ) -> None:
        """Run the extension the form asked for."""
        record = await self._source(interaction, job_id)
        model = None if record is None else await self._model(interaction, ModelKind.VIDEO_EXTEND)
        if record is None or model is None:
            return
        added = seconds.strip().removesuffix("s").strip()
        if not added.isdigit() or int(added) not in model.durations:
            choices = ", ".join(str(d) for d in model.durations)
            await _tell(
                interaction, t("carry.bad_seconds", str(interaction.locale), choices=choices)
            )
            return
        await self._start(
            interaction, record, ModelKind.VIDEO_EXTEND, model, prompt=prompt, duration=int(added)
        )

    # -- Edit video ----------------------------------------------------------------------

    async def edit(self, interaction: discord.Interaction[Any], job_id: str) -> None:
        """Open the Edit video form: what should change (its price per second is in it)."""
        record = await self._source(interaction, job_id)
        model = None if record is None else await self._model(interaction, ModelKind.VIDEO_EDIT)
        if record is None or model is None:
            return
        locale = str(interaction.locale)
        seconds = source_seconds(record, self.bot.settings.catalogue)
        await interaction.response.send_modal(
            EditVideoModal(record, model, locale, seconds=seconds)
        )

    async def edit_submitted(
        self, interaction: discord.Interaction[Any], job_id: str, prompt: str
    ) -> None:
        """Run the edit the form asked for."""
        record = await self._source(interaction, job_id)
        model = None if record is None else await self._model(interaction, ModelKind.VIDEO_EDIT)
        if record is None or model is None:
            return
        await self._start(interaction, record, ModelKind.VIDEO_EDIT, model, prompt=prompt)

    # -- Upscale -------------------------------------------------------------------------

    async def upscale(self, interaction: discord.Interaction[Any], job_id: str) -> None:
        """Offer the resolutions the upscaler has (and the server allows), each with its price."""
        record = await self._source(interaction, job_id)
        model = None if record is None else await self._model(interaction, ModelKind.UPSCALE)
        if record is None or model is None:
            return
        locale = str(interaction.locale)
        guild = await self.bot.server_settings.get(interaction.guild_id or 0)
        seconds = source_seconds(record, self.bot.settings.catalogue)
        options = [
            discord.SelectOption(
                label=resolution,
                value=resolution,
                description=price_text(model, resolution, seconds, locale)[:100],
            )
            for resolution in model.resolutions
            if guild.allows_resolution(resolution)
        ]
        if not options:
            await _tell(interaction, t("carry.unavailable", locale))
            return
        view = discord.ui.View(timeout=None)
        view.add_item(UpscaleSelect(record.id, options, t("upscale.placeholder", locale)))
        await interaction.response.send_message(
            t("upscale.choose", locale, model=model.label), view=view, ephemeral=True
        )

    async def upscale_chosen(
        self, interaction: discord.Interaction[Any], job_id: str, resolution: str
    ) -> None:
        """Run the upscale to the resolution picked."""
        record = await self._source(interaction, job_id)
        model = None if record is None else await self._model(interaction, ModelKind.UPSCALE)
        if record is None or model is None:
            return
        await self._start(
            interaction,
            record,
            ModelKind.UPSCALE,
            model,
            prompt=record.meta.prompt,
            resolution=resolution,
        )

    # -- /edit-video ---------------------------------------------------------------------

    @app_commands.command(
        name="edit-video", description="Change a video of yours as a prompt says."
    )
    @app_commands.guild_only()
    @app_commands.describe(
        video="Your video (MP4, MOV or WebM)",
        prompt="What should change, e.g. make it night",
        model="Which edit model to use",
        resolution="Picture size",
        seed="Same seed + same prompt = a similar video (random if left out)",
    )
    async def edit_video(
        self,
        interaction: discord.Interaction[Any],
        video: discord.Attachment,
        prompt: app_commands.Range[str, 1, OPTION_MAX_CHARS],
        model: str | None = None,
        resolution: str | None = None,
        seed: app_commands.Range[int, 0, 2**31 - 1] | None = None,
    ) -> None:
        """/edit-video: a member's own clip, changed as the prompt says."""
        order = VideoOrder(
            prompt=prompt,
            kind=ModelKind.VIDEO_EDIT,
            model_id=model,
            resolution=resolution,
            seed=seed,
            video=video_input(video),
        )
        await self._videos.start_job(interaction, for_member(interaction, order))

    @edit_video.autocomplete("model")
    async def _edit_models(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.lower()
        guild = await self.bot.server_settings.get(interaction.guild_id or 0)
        return [
            app_commands.Choice(name=f"{m.label} ({m.id})"[:100], value=m.id)
            for m in self.bot.settings.catalogue.of_kind(ModelKind.VIDEO_EDIT)
            if guild.allows_model(m.id) and (typed in m.label.lower() or typed in m.id.lower())
        ][:25]

    @edit_video.autocomplete("resolution")
    async def _edit_resolutions(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        catalogue = self.bot.settings.catalogue
        chosen = getattr(interaction.namespace, "model", None)
        guild = await self.bot.server_settings.get(interaction.guild_id or 0)
        model = (
            catalogue.get(chosen)
            if isinstance(chosen, str) and chosen in catalogue
            else default_model(ModelKind.VIDEO_EDIT, self.bot.settings, guild)
        )
        if model is None:
            return []
        return [
            app_commands.Choice(name=r, value=r)
            for r in model.resolutions
            if guild.allows_resolution(r)
        ][:25]


def price_text(model: ModelSpec, resolution: str, seconds: float, locale: str) -> str:
    """ "USD 0.025 per 5 s (about USD 0.05 for this video)": the rule, and the sum for a video
    this long (the job's quote reads its real length)."""
    rule = model.price_rule(resolution)
    unit = rule.per_second * rule.block_seconds
    per = t("price.per_block", locale, seconds=rule.block_seconds, amount=format_usd(unit))
    if rule.block_seconds == 1:
        per = t("price.per_second", locale, amount=format_usd(unit))
    if not seconds or model.priced_on != "input":
        return per
    total = quote(model, resolution, 0, input_seconds=seconds)
    return t("price.about", locale, rule=per, total=format_usd(total))


class ExtendModal(discord.ui.Modal):
    """What happens next, and how many seconds to add; the price per second in the form."""

    def __init__(self, record: JobRecord, model: ModelSpec, locale: str) -> None:
        super().__init__(
            title=t("extend.title", locale),
            timeout=MODAL_TIMEOUT_SECONDS,
            custom_id=f"carry:extend:{record.id}:{secrets.token_hex(4)}",
        )
        self.job_id = record.id
        durations = model.durations
        default = durations[len(durations) // 2]
        resolution = (
            record.meta.resolution
            if record.meta.resolution in model.resolutions
            else model.resolutions[0]
        )
        rule = model.price_rule(resolution)
        self.prompt: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t("extend.prompt_label", locale),
            style=discord.TextStyle.paragraph,
            min_length=1,
            max_length=min(FORM_PROMPT_CHARS, model.max_prompt_chars),
            custom_id="prompt",
        )
        hint = t(
            "extend.seconds_hint",
            locale,
            price=format_usd(rule.per_second * rule.block_seconds),
            example=default,
            total=format_usd(quote(model, resolution, default)),
        )
        self.seconds: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t("extend.seconds_label", locale, min=durations[0], max=durations[-1])[:45],
            style=discord.TextStyle.short,
            default=str(default),
            placeholder=hint[:100],
            min_length=1,
            max_length=4,
            custom_id="seconds",
        )
        self.add_item(self.prompt)
        self.add_item(self.seconds)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Run the extension."""
        await loaded(interaction.client, CarryCog).extend_submitted(
            interaction, self.job_id, self.prompt.value, self.seconds.value
        )


class EditVideoModal(discord.ui.Modal):
    """What should change in the video; the price per second of video in the form."""

    def __init__(self, record: JobRecord, model: ModelSpec, locale: str, *, seconds: float) -> None:
        super().__init__(
            title=t("vedit.title", locale),
            timeout=MODAL_TIMEOUT_SECONDS,
            custom_id=f"carry:edit:{record.id}:{secrets.token_hex(4)}",
        )
        self.job_id = record.id
        resolution = model.resolutions[0]
        hint = price_text(model, resolution, seconds, locale)
        self.prompt: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=t("vedit.label", locale),
            style=discord.TextStyle.paragraph,
            placeholder=hint[:100],
            min_length=1,
            max_length=min(FORM_PROMPT_CHARS, model.max_prompt_chars),
            custom_id="prompt",
        )
        self.add_item(self.prompt)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        """Run the edit."""
        await loaded(interaction.client, CarryCog).edit_submitted(
            interaction, self.job_id, self.prompt.value
        )


class UpscaleSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"carry:upscale:(?P<subject>[0-9a-f]{32})",
):
    """The resolutions an upscale can go to; picking one runs it (also after a restart)."""

    def __init__(
        self,
        job_id: str,
        options: list[discord.SelectOption] | None = None,
        placeholder: str | None = None,
    ) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"carry:upscale:{job_id}",
                options=options or [discord.SelectOption(label="-")],
                placeholder=placeholder,
            )
        )
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
    ) -> UpscaleSelect:
        """Rebuild the menu from a pick."""
        return cls(match["subject"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Upscale to the picked resolution."""
        data: Any = interaction.data or {}
        values = data.get("values") or []
        if not values:
            return
        await loaded(interaction.client, CarryCog).upscale_chosen(
            interaction, self.job_id, str(values[0])
        )


async def _tell(interaction: discord.Interaction[Any], text: str) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


__all__ = ["CarryCog", "EditVideoModal", "ExtendModal", "UpscaleSelect"]
