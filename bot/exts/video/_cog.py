"""/video and /animate, and what Re-roll, Edit prompt, Cancel and offers do. Thin: it turns an
interaction into a `VideoOrder`, lets the job service prepare and run it, and renders what
comes back.

Longer than most modules: the two commands and every button of a job's message that starts
or stops a job, all thin calls to the job service.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalogue import ModelKind, ModelSpec
from bot.exts.video._offers import offer_text, offer_view
from bot.guilds.settings import MAX_COUNT
from bot.i18n import t
from bot.jobs.lifecycle import PreparedJob
from bot.jobs.offers import BudgetRefused
from bot.jobs.orders import (
    OPTION_MAX_CHARS,
    JobRefused,
    VideoOrder,
    accepts,
    default_model,
    order_of,
    prompt_limit,
)
from bot.jobs.progress import JobStatus, JobView
from bot.jobs.service import CancelRefused
from bot.ui.buttons import job_buttons
from bot.ui.command_access import AccessUnknown
from bot.ui.delivery import job_progress
from bot.ui.orders import for_member, image_input, register_prompt_limit, with_preferences
from bot.ui.preferences import tell_ignored_preferences
from bot.ui.render import job_embed, refusal_text

if TYPE_CHECKING:
    from bot.app import VideoBot

log = logging.getLogger(__name__)

PREPARE_BEFORE_DEFER_SECONDS = 2.0
"""Discord wants an answer within 3 s: if preparing takes longer, defer first."""
BUSY_PREPARES = 10
BUSY_DEFER_SECONDS = 0.1
"""With more than BUSY_PREPARES jobs being prepared at once (a server event), a member gets the
"thinking" answer after BUSY_DEFER_SECONDS: in a burst the holds queue up for the database,
and everyone should see at once that the bot heard them."""

LOOP_CHOICE = "Yes: end on the first image"
LOOP_VALUES = frozenset({"yes", "loop", "true", "1"})


def loop_flag(value: str | None) -> bool:
    """The /animate `loop` option: offered as "yes" by autocomplete (only for a model that
    takes a last image); anything else typed is refused."""
    if value is None or not value.strip():
        return False
    if value.strip().lower() in LOOP_VALUES:
        return True
    raise JobRefused("refused.bad_loop")


def wants_last_frame(interaction: discord.Interaction[Any]) -> bool:
    """The member has given /animate an image to end on, or asked for a loop."""
    namespace = interaction.namespace
    loop = getattr(namespace, "loop", None)
    return getattr(namespace, "last_image", None) is not None or bool(
        isinstance(loop, str) and loop.strip()
    )


class VideoCog(commands.Cog):
    """Members make videos here."""

    def __init__(self, bot: VideoBot) -> None:
        self.bot = bot
        self._preparing = 0
        register_prompt_limit(self, prompt_limit(bot.settings.catalogue))

    # -- autocomplete from the catalogue, filtered by the model already chosen -----------

    def _models(self, kind: ModelKind, *, last_frame: bool = False) -> list[ModelSpec]:
        """The models the command offers: of its kind (/animate: with a first-and-last-frame
        model too); with `last_frame`, only those that can end on a given image."""
        return [
            model
            for model in self.bot.settings.catalogue.makers()
            if accepts(kind, model)
            and (model.takes_last_image if last_frame else not model.needs_last_image)
        ]

    async def _chosen_model(
        self, interaction: discord.Interaction[Any], kind: ModelKind
    ) -> ModelSpec:
        """The model the job will use: the one typed so far, else the one `validate_order`
        picks (the member's preferred one, else the server's default), so the options offered
        are that model's."""
        chosen = getattr(interaction.namespace, "model", None)
        catalogue = self.bot.settings.catalogue
        if isinstance(chosen, str) and chosen in catalogue and accepts(kind, catalogue.get(chosen)):
            return catalogue.get(chosen)
        guild = await self.bot.server_settings.get(interaction.guild_id or 0)
        prefs = await self.bot.preferences.get(interaction.guild_id or 0, interaction.user.id)
        last_frame = kind is ModelKind.IMAGE_TO_VIDEO and wants_last_frame(interaction)
        model = default_model(kind, self.bot.settings, guild, prefs, last_frame=last_frame)
        if model is not None:
            return model
        return (self._models(kind, last_frame=last_frame) or self._models(kind))[0]

    @staticmethod
    def _kind_of(interaction: discord.Interaction[Any]) -> ModelKind:
        name = interaction.command.name if interaction.command else "video"
        return ModelKind.IMAGE_TO_VIDEO if name == "animate" else ModelKind.TEXT_TO_VIDEO

    async def model_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """Models of the command's kind, allowed on this server, matching what was typed."""
        typed = current.lower()
        guild = await self.bot.server_settings.get(interaction.guild_id or 0)
        kind = self._kind_of(interaction)
        last_frame = kind is ModelKind.IMAGE_TO_VIDEO and wants_last_frame(interaction)
        return [
            app_commands.Choice(name=f"{model.label} ({model.id})"[:100], value=model.id)
            for model in self._models(kind, last_frame=last_frame)
            if (typed in model.label.lower() or typed in model.id.lower())
            and guild.allows_model(model.id)
        ][:25]

    async def loop_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """A loop, offered only when the chosen (or default) model can end on an image."""
        model = await self._chosen_model(interaction, ModelKind.IMAGE_TO_VIDEO)
        if not model.takes_last_image:
            return []
        return [app_commands.Choice(name=app_commands.locale_str(LOOP_CHOICE), value="yes")]

    async def duration_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[int]]:
        """The durations the chosen (or default) model makes."""
        model = await self._chosen_model(interaction, self._kind_of(interaction))
        return [
            app_commands.Choice(name=app_commands.locale_str(f"{d} s"), value=d)
            for d in model.durations
        ][:25]

    async def resolution_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """The resolutions the chosen model offers and this server allows."""
        model = await self._chosen_model(interaction, self._kind_of(interaction))
        guild = await self.bot.server_settings.get(interaction.guild_id or 0)
        return [
            app_commands.Choice(name=r, value=r)
            for r in model.resolutions
            if guild.allows_resolution(r)
        ][:25]

    async def aspect_ratio_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        """The aspect ratios the chosen model offers."""
        model = await self._chosen_model(interaction, self._kind_of(interaction))
        return [app_commands.Choice(name=r, value=r) for r in model.aspect_ratios][:25]

    # -- commands ----------------------------------------------------------------------

    @app_commands.command(name="video", description="Make a short video from a text prompt.")
    @app_commands.guild_only()
    @app_commands.describe(
        prompt="What should happen in the video?",
        duration="Length in seconds",
        aspect_ratio="Shape of the video",
        resolution="Picture size",
        seed="Same seed + same prompt = a similar video (random if left out)",
        model="Which video model to use",
        count="How many videos, each with its own seed (1-4)",
    )
    async def video(
        self,
        interaction: discord.Interaction[Any],
        prompt: app_commands.Range[str, 1, OPTION_MAX_CHARS],
        duration: int | None = None,
        aspect_ratio: str | None = None,
        resolution: str | None = None,
        seed: app_commands.Range[int, 0, 2**31 - 1] | None = None,
        model: str | None = None,
        count: app_commands.Range[int, 1, MAX_COUNT] = 1,
    ) -> None:
        """/video: text to video."""
        order = VideoOrder(
            prompt=prompt,
            kind=ModelKind.TEXT_TO_VIDEO,
            model_id=model,
            duration=duration,
            aspect_ratio=aspect_ratio,
            resolution=resolution,
            seed=seed,
            count=count,
        )
        await self.start_job(interaction, for_member(interaction, order))

    @app_commands.command(name="animate", description="Turn 1-7 images and a prompt into a video.")
    @app_commands.guild_only()
    @app_commands.describe(
        image="The first image (PNG, JPEG or WebP, at least 128x128, up to 20 MB)",
        prompt="What should happen in the video?",
        image2="Another image",
        image3="Another image",
        image4="Another image",
        image5="Another image",
        image6="Another image",
        image7="Another image",
        duration="Length in seconds",
        aspect_ratio="Shape of the video",
        resolution="Picture size",
        seed="Same seed + same prompt = a similar video (random if left out)",
        model="Which video model to use",
        count="How many videos, each with its own seed (1-4)",
        last_image="The image the video ends on (models that take one)",
        loop="End on the first image: a loop (models that take a last image)",
    )
    async def animate(
        self,
        interaction: discord.Interaction[Any],
        image: discord.Attachment,
        prompt: app_commands.Range[str, 1, OPTION_MAX_CHARS],
        image2: discord.Attachment | None = None,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        image5: discord.Attachment | None = None,
        image6: discord.Attachment | None = None,
        image7: discord.Attachment | None = None,
        duration: int | None = None,
        aspect_ratio: str | None = None,
        resolution: str | None = None,
        seed: app_commands.Range[int, 0, 2**31 - 1] | None = None,
        model: str | None = None,
        count: app_commands.Range[int, 1, MAX_COUNT] = 1,
        last_image: discord.Attachment | None = None,
        loop: str | None = None,
    ) -> None:
        """/animate: images plus prompt to video (ending on a given image, or a loop)."""
        attachments = [a for a in (image, image2, image3, image4, image5, image6, image7) if a]
        order = VideoOrder(
            prompt=prompt,
            kind=ModelKind.IMAGE_TO_VIDEO,
            model_id=model,
            duration=duration,
            aspect_ratio=aspect_ratio,
            resolution=resolution,
            seed=seed,
            images=tuple(image_input(a) for a in attachments),
            count=count,
            last_image=None if last_image is None else image_input(last_image),
            loop=loop_flag(loop),
        )
        await self.start_job(interaction, for_member(interaction, order))

    for _command in (video, animate):
        _command.autocomplete("model")(model_choices)
        _command.autocomplete("duration")(duration_choices)
        _command.autocomplete("resolution")(resolution_choices)
        _command.autocomplete("aspect_ratio")(aspect_ratio_choices)
    del _command
    animate.autocomplete("loop")(loop_choices)

    # -- the shared path -----------------------------------------------------------------

    async def start_job(self, interaction: discord.Interaction[Any], order: VideoOrder) -> None:
        """Prepare the job (refusing with an ephemeral message), show it, and run it."""
        locale = str(interaction.locale)
        if self.bot.is_shutting_down:
            await interaction.response.send_message(
                t("refused.shutting_down", locale), ephemeral=True
            )
            return
        self._preparing += 1
        try:
            # The member's preferences are read inside the timed part: in a burst, reads
            # wait for the database like the holds do.
            preparing = asyncio.create_task(self._prepare(order))
            if not await self._prepared_in_time(preparing):
                await interaction.response.defer(thinking=True)
            await asyncio.wait({preparing})
        finally:
            self._preparing -= 1
        try:
            batch = await preparing
        except JobRefused as refusal:
            text = refusal_text(refusal, locale)
            extra: dict[str, Any] = {}
            if isinstance(refusal, BudgetRefused) and refusal.offer is not None:
                text = f"{text}\n{offer_text(refusal.offer, locale)}"
                extra["view"] = offer_view(refusal.offer, locale)
            if interaction.response.is_done():
                await interaction.delete_original_response()
                await interaction.followup.send(text, ephemeral=True, **extra)
            else:
                await interaction.response.send_message(text, ephemeral=True, **extra)
            return
        unrun = {prepared.job_id: prepared for prepared in batch}
        try:
            await self._send_and_run(interaction, batch, unrun, locale)
        finally:
            # A job whose message was never sent (an error, or this task cancelled) gives
            # its money and its place in line back at once.
            for job_id in unrun:
                await self.bot.jobs.discard(job_id, "message could not be sent")

    async def _prepared_in_time(self, preparing: asyncio.Task[list[PreparedJob]]) -> bool:
        """Whether preparing ends before the member should see "thinking...": within
        PREPARE_BEFORE_DEFER_SECONDS, or BUSY_DEFER_SECONDS once a burst has begun (asked
        again every BUSY_DEFER_SECONDS, so the first members of a burst are not the last
        to hear)."""
        loop = asyncio.get_running_loop()  # Discord's 3 s are real seconds, whatever the clock
        started = loop.time()
        while True:
            busy = self._preparing > BUSY_PREPARES
            limit = BUSY_DEFER_SECONDS if busy else PREPARE_BEFORE_DEFER_SECONDS
            left = started + limit - loop.time()
            if left <= 0:
                return False
            done, _ = await asyncio.wait({preparing}, timeout=min(left, BUSY_DEFER_SECONDS))
            if done:
                return True

    async def _prepare(self, order: VideoOrder) -> list[PreparedJob]:
        """The member's preferences filled in, then the batch held (see `prepare_batch`)."""
        order = await with_preferences(order, self.bot.preferences)
        return await self.bot.jobs.prepare_batch(order)

    async def _send_and_run(
        self,
        interaction: discord.Interaction[Any],
        batch: list[PreparedJob],
        unrun: dict[str, PreparedJob],
        locale: str,
    ) -> None:
        """Answer with the first job's message and run it; then a message each for the
        other videos of a batch, run as they come. Each job run leaves `unrun`."""
        first, *more = batch
        message_id = await self._first_message(interaction, first.view, locale)
        await self._run(interaction, first, message_id, locale)
        del unrun[first.job_id]
        await tell_ignored_preferences(
            interaction, first.order, self.bot.preferences, self.bot.settings.catalogue
        )
        for prepared in more:
            try:
                sent = await interaction.followup.send(
                    embed=job_embed(prepared.view, locale),
                    view=job_buttons(prepared.view, locale),
                    wait=True,
                )
            except Exception:
                log.exception("could not send a batch's message", extra={"job_id": prepared.job_id})
                continue
            await self._run(interaction, prepared, sent.id, locale, followup=True)
            del unrun[prepared.job_id]

    async def _first_message(
        self, interaction: discord.Interaction[Any], view: JobView, locale: str
    ) -> int:
        """Answer the interaction with the job's message; its id."""
        if interaction.response.is_done():
            message = await interaction.edit_original_response(
                embed=job_embed(view, locale), view=job_buttons(view, locale)
            )
            return message.id
        callback = await interaction.response.send_message(
            embed=job_embed(view, locale), view=job_buttons(view, locale)
        )
        if callback.message_id is not None:
            return callback.message_id
        return (await interaction.original_response()).id

    async def _run(
        self,
        interaction: discord.Interaction[Any],
        prepared: PreparedJob,
        message_id: int,
        locale: str,
        *,
        followup: bool = False,
    ) -> None:
        """Remember the job's message (for edits after a restart) and run the job, its
        progress shown there."""
        await self.bot.jobs.attach_message(prepared.job_id, message_id)
        progress = job_progress(
            self.bot,
            guild_id=prepared.order.order.guild_id,
            channel_id=prepared.order.order.channel_id,
            message_id=message_id,
            meta=prepared.order.meta,
            journal=self.bot.jobs,
            interaction=interaction,
            clock=self.bot.monotonic,
            followup=followup,
        )
        self.bot.jobs.run(prepared, progress)

    async def reroll(
        self, interaction: discord.Interaction[Any], job_id: str, *, prompt: str | None = None
    ) -> None:
        """Re-roll: the stored job's options with a new seed, for whoever clicked. With `prompt`
        (Edit prompt): the new prompt with the same seed, so only the words change."""
        if not await self.may_make_videos(interaction):
            return
        record = await self.bot.jobs.job(job_id, interaction.guild_id or 0)
        if record is None or record.meta.erased:
            key = "reroll.unknown" if record is None else "privacy.job_erased"
            await interaction.response.send_message(t(key, str(interaction.locale)), ephemeral=True)
            return
        stored = order_of(record, self.bot.settings.catalogue).order
        order = for_member(
            interaction,
            stored,
            prompt=stored.prompt if prompt is None else prompt,
            seed=None if prompt is None else stored.seed,
        )
        await self.start_job(interaction, order)

    async def may_make_videos(self, interaction: discord.Interaction[Any]) -> bool:
        """Whether the member may use /video here, as the server's Integrations settings say
        (Discord applies them to the command, never to buttons); if not, they are told."""
        try:
            if await self.bot.command_access.may_use(interaction, "video"):
                return True
            key = "reroll.not_allowed"
        except AccessUnknown as exc:
            log.warning("cannot check /video's permissions: %s", exc)
            key = "reroll.access_unknown"
        await interaction.response.send_message(t(key, str(interaction.locale)), ephemeral=True)
        return False

    async def cancel(self, interaction: discord.Interaction[Any], job_id: str) -> None:
        """Cancel: requester only, and only before the job reached Atlas."""
        locale = str(interaction.locale)
        try:
            view = await self.bot.jobs.cancel(
                job_id, interaction.user.id, guild_id=interaction.guild_id or 0
            )
        except CancelRefused as refused:
            await interaction.response.send_message(
                t(f"cancel.{refused.reason}", locale), ephemeral=True
            )
            return
        view = view.but(status=JobStatus.CANCELLED)
        await interaction.response.edit_message(
            embed=job_embed(view, locale), view=job_buttons(view, locale)
        )


__all__ = ["VideoCog"]
