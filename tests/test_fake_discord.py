"""The fake Discord, driven by a real discord.py client: a tiny bot defined here, not the product.

Each test starts the fake and the tiny bot over 127.0.0.1, acts as a member would and asserts on
what the fake saw (requests, messages, interactions) and what discord.py made of the fake's
payloads.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fake_discord import ActionUnavailable, FakeDiscord, FakeMessage, ManualClock
from tests.fake_discord.fixtures import (
    discord_py_pointed_at,
    fake_discord,  # noqa: F401 (the fixture, used by name)
    running_fake_discord,
)

GUILD, CHANNEL = 111_000_000_000_000_001, 111_000_000_000_000_002
MEMBER, MANAGER, ADMIN = 222_000_000_000_000_001, 222_000_000_000_000_002, 222_000_000_000_000_003
MANAGERS_ROLE, ADMINS_ROLE = 333_000_000_000_000_001, 333_000_000_000_000_002
MANAGE_GUILD = discord.Permissions(manage_guild=True).value
CLIP = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8


class AgainView(discord.ui.View):
    """A persistent view: its button works after a restart (custom_id, no timeout)."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Again", style=discord.ButtonStyle.primary, custom_id="tiny:again")
    async def again(
        self, interaction: discord.Interaction, _: discord.ui.Button[AgainView]
    ) -> None:
        note = discord.File(io.BytesIO(b"a note"), filename="note.txt")
        await interaction.response.send_message("again, just for you", ephemeral=True, file=note)

    @discord.ui.button(label="Hide", style=discord.ButtonStyle.secondary, custom_id="tiny:hide")
    async def hide(self, interaction: discord.Interaction, _: discord.ui.Button[AgainView]) -> None:
        await interaction.response.edit_message(content="hidden", view=None)


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    text: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
        label="Your words", custom_id="feedback:text"
    )

    def __init__(self) -> None:
        super().__init__(custom_id="feedback")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Thanks: {self.text.value}", ephemeral=True)


@dataclass
class Seen:
    """What the tiny bot observed, for the assertions."""

    image_bytes: bytes = b""
    filesize_limit: int = 0
    permissions: list[int] = field(default_factory=list)
    late_edit_error: int | None = None
    upload_error: int | None = None
    dm_error: int | None = None
    resumed: asyncio.Event = field(default_factory=asyncio.Event)
    carry_on: asyncio.Event = field(default_factory=asyncio.Event)


class TinyBot(commands.Bot):
    """One global command, one guild command group, one persistent button."""

    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            guild_ready_timeout=0.05,
        )
        self.seen = Seen()
        self._add_commands()

    async def setup_hook(self) -> None:
        self.add_view(AgainView())
        await self.tree.sync()
        await self.tree.sync(guild=discord.Object(GUILD))

    async def on_resumed(self) -> None:
        self.seen.resumed.set()

    def _add_commands(self) -> None:
        seen = self.seen

        @self.tree.command(name="render", description="Render a clip")
        @app_commands.describe(prompt="What to film", image="A first frame")
        async def render(
            interaction: discord.Interaction,
            prompt: str,
            seconds: app_commands.Range[int, 1, 10] = 5,
            image: discord.Attachment | None = None,
        ) -> None:
            await interaction.response.defer(thinking=True)
            seen.filesize_limit = interaction.filesize_limit
            if image is not None:
                seen.image_bytes = await image.read()
            await interaction.edit_original_response(content=f"Rendering {prompt} ({seconds}s)")
            clip = discord.File(io.BytesIO(CLIP), filename="clip.mp4")
            try:
                await interaction.followup.send("Here it is", file=clip, view=AgainView())
            except discord.HTTPException as exc:
                seen.upload_error = exc.code
            await interaction.edit_original_response(content=f"Done: {prompt}")

        @self.tree.command(name="slow", description="Finishes after the token expired")
        async def slow(interaction: discord.Interaction) -> None:
            callback = await interaction.response.defer(thinking=True)
            assert callback is not None
            assert callback.message_id is not None
            await seen.carry_on.wait()
            try:
                await interaction.edit_original_response(content="finished (webhook)")
            except discord.HTTPException as exc:
                seen.late_edit_error = exc.code
                assert interaction.channel is not None
                partial = interaction.channel.get_partial_message(callback.message_id)  # type: ignore[union-attr]
                await partial.edit(content="finished (channel edit)")

        @self.tree.command(name="feedback", description="Tell us")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(FeedbackModal())

        @self.tree.command(name="dm", description="Say hello in private")
        async def dm(interaction: discord.Interaction) -> None:
            try:
                await interaction.user.send("hello")
            except discord.Forbidden as exc:
                seen.dm_error = exc.code
            await interaction.response.send_message("tried", ephemeral=True)

        admin = app_commands.Group(
            name="admin",
            description="Server settings",
            default_permissions=discord.Permissions(manage_guild=True),
            guild_only=True,
        )

        @admin.command(name="stats", description="Show stats")
        async def stats(interaction: discord.Interaction) -> None:
            seen.permissions.append(interaction.permissions.value)
            await interaction.response.send_message("stats", ephemeral=True)

        @admin.command(name="purge", description="Delete everything")
        @app_commands.checks.has_permissions(administrator=True)
        async def purge(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("purged", ephemeral=True)

        @purge.error
        async def purge_denied(
            interaction: discord.Interaction, error: app_commands.AppCommandError
        ) -> None:
            assert isinstance(error, app_commands.MissingPermissions)
            await interaction.response.send_message("denied", ephemeral=True)

        self.tree.add_command(admin, guild=discord.Object(GUILD))


@dataclass
class World:
    fake: FakeDiscord
    bot: TinyBot
    clock: ManualClock


@pytest.fixture
async def world() -> AsyncIterator[World]:
    """The fake with one guild, three members and the tiny bot connected to it."""
    clock = ManualClock()
    async with running_fake_discord(clock=clock, check_responses=True) as fake:
        fake.add_guild(GUILD, name="Film Club", owner_id=ADMIN + 1)
        fake.add_channel(GUILD, CHANNEL, name="renders")
        fake.add_role(GUILD, MANAGERS_ROLE, name="Managers", permissions=MANAGE_GUILD)
        fake.add_role(GUILD, ADMINS_ROLE, name="Admins", permissions=1 << 3)
        fake.add_member(GUILD, MEMBER, name="Mia")
        fake.add_member(GUILD, MANAGER, name="Max", role_ids=[MANAGERS_ROLE])
        fake.add_member(GUILD, ADMIN, name="Ada", role_ids=[ADMINS_ROLE])
        with discord_py_pointed_at(fake):
            bot = TinyBot()
            await bot.login(fake.bot_token)
            runner = asyncio.create_task(bot.connect(reconnect=True))
            await asyncio.wait_for(bot.wait_until_ready(), 10)
            try:
                yield World(fake, bot, clock)
            finally:
                await bot.close()
                await asyncio.wait_for(runner, 5)
        assert not fake.response_errors, "\n".join(fake.response_errors)


async def test_bot_connects_identifies_and_syncs_commands(world: World) -> None:
    fake, bot = world.fake, world.bot
    assert bot.user is not None
    assert bot.user.id == fake.bot_user_id
    assert bot.application_id == fake.application_id
    connection = fake.gateway.connections[0]
    assert connection["path"] == "/gateway"
    assert (connection["v"], connection["encoding"]) == ("10", "json")
    assert connection["compress"] in ("zstd-stream", "zlib-stream")
    assert fake.gateway.identifies == 1
    assert fake.gateway.heartbeats >= 1
    guild = bot.get_guild(GUILD)
    assert guild is not None
    assert guild.get_channel(CHANNEL) is not None
    # Without the privileged members intent Discord sends only the bot's own member.
    assert [m.id for m in guild.members] == [fake.bot_user_id]
    assert guild.member_count == 4
    assert guild.me.guild_permissions.attach_files
    assert not guild.me.guild_permissions.administrator
    assert fake.requests[0].method == "GET"
    assert fake.requests[0].path == "/users/@me"

    assert fake.sync_count == 2
    assert set(fake.global_commands) == {"render", "slow", "feedback", "dm"}
    admin = fake.guild_commands[GUILD]["admin"]
    assert admin["default_member_permissions"] == str(MANAGE_GUILD)
    assert [o["name"] for o in admin["options"]] == ["stats", "purge"]
    render = fake.commands["render"]
    assert [(o["name"], o["type"]) for o in render["options"]] == [
        ("prompt", 3),
        ("seconds", 4),
        ("image", 11),
    ]
    synced = await bot.tree.fetch_commands()
    assert {c.name for c in synced} == set(fake.global_commands)
    assert fake.schema_errors == []


async def test_slash_command_round_trip_with_upload_and_persistent_button(world: World) -> None:
    fake, seen = world.fake, world.bot.seen
    image = fake.add_attachment(
        "frame.png", b"\x89PNG-bytes", content_type="image/png", width=4, height=3
    )

    interaction = await fake.invoke(
        "render",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"prompt": "a red kite", "seconds": 4, "image": image},
        attachment_size_limit=25 * 1024 * 1024,
    )
    await interaction.wait_response()
    assert interaction.response_type == 5  # deferred, "thinking..."
    done = await interaction.wait_message(lambda m: (m.content or "").startswith("Done"))

    assert done.content == "Done: a red kite"
    assert not done.ephemeral
    assert not done.loading
    assert [e.get("content") for e in done.edits] == [
        None,
        "Rendering a red kite (4s)",
        "Done: a red kite",
    ]
    assert seen.image_bytes == b"\x89PNG-bytes"
    assert fake.requests_to("GET", rf"^/ephemeral-attachments/.*/{image['id']}/frame.png$")
    assert seen.filesize_limit == 25 * 1024 * 1024

    [followup] = interaction.followups
    assert followup.content == "Here it is"
    [clip] = followup.attachments
    assert (clip.filename, clip.data, clip.content_type) == ("clip.mp4", CLIP, "video/mp4")
    upload = fake.requests_to("POST", rf"^/webhooks/{fake.application_id}/{interaction.token}$")[0]
    assert upload.files == [("clip.mp4", CLIP, "application/octet-stream")]
    assert upload.json["attachments"] == [{"id": 0, "filename": "clip.mp4"}]
    async with aiohttp.ClientSession() as http:
        link = fake.signed_url(clip)
        async with http.get(link) as served:
            assert await served.read() == CLIP
        async with http.get(clip.url) as unsigned:
            assert unsigned.status == 404  # Discord's CDN serves signed links only
        fake.expire_attachment_urls()
        async with http.get(link) as expired:
            assert expired.status == 404
            assert await expired.text() == "This content is no longer available."
        async with http.get(fake.signed_url(clip)) as fresh:
            assert await fresh.read() == CLIP

    click = await fake.click(
        followup.id, "tiny:again", user_id=MANAGER, guild_id=GUILD, channel_id=CHANNEL
    )
    reply = await click.wait_message(lambda m: True)
    assert click.response_type == 4
    assert reply.content == "again, just for you"
    assert reply.ephemeral
    assert [(f.filename, f.data, f.content_type) for f in reply.attachments] == [
        ("note.txt", b"a note", "text/plain")
    ]
    [callback] = fake.requests_to("POST", rf"^/interactions/{click.id}/")
    assert callback.json["type"] == 4
    assert callback.files == [("note.txt", b"a note", "application/octet-stream")]


async def test_expired_token_is_refused_and_the_channel_edit_works(world: World) -> None:
    fake, seen = world.fake, world.bot.seen
    interaction = await fake.invoke("slow", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL)
    await interaction.wait_response()
    world.clock.advance(15 * 60 + 1)
    seen.carry_on.set()

    final = await interaction.wait_message(lambda m: m.content == "finished (channel edit)")
    assert seen.late_edit_error == 50027
    refused = fake.requests_to("PATCH", r"/messages/@original$")
    assert [r.status for r in refused] == [401]
    channel_edit = fake.requests_to("PATCH", rf"^/channels/{CHANNEL}/messages/{final.id}$")
    assert [r.status for r in channel_edit] == [200]


async def test_a_rate_limited_edit_is_retried(world: World) -> None:
    fake = world.fake
    fake.fail_next("PATCH", r"/messages/@original$", 429, retry_after=0.05)
    interaction = await fake.invoke(
        "render", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL, options={"prompt": "fog"}
    )
    await interaction.wait_message(lambda m: m.content == "Done: fog")
    statuses = [r.status for r in fake.requests_to("PATCH", r"/messages/@original$")]
    assert statuses == [429, 200, 200]


async def test_uploads_over_the_interaction_limit_are_refused(world: World) -> None:
    fake = world.fake
    interaction = await fake.invoke(
        "render",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"prompt": "tiny"},
        attachment_size_limit=len(CLIP) - 1,
    )
    await interaction.wait_message(lambda m: m.content == "Done: tiny")
    assert world.bot.seen.upload_error == 40005
    assert interaction.followups == []


async def test_component_update_modal_and_closed_dms(world: World) -> None:
    fake, seen = world.fake, world.bot.seen
    render = await fake.invoke(
        "render", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL, options={"prompt": "rain"}
    )
    [clip_message] = await render.wait_followups(1)
    hide = await fake.click(
        clip_message.id, "tiny:hide", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL
    )
    updated = await hide.wait_message(lambda m: m.content == "hidden")
    assert hide.response_type == 7
    assert updated is clip_message
    assert updated.components == []

    opened = await fake.invoke("feedback", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL)
    await opened.wait_response()
    assert opened.response_type == 9
    assert opened.response_data is not None
    assert opened.response_data["title"] == "Feedback"
    submitted = await fake.submit_modal(
        "feedback", {"feedback:text": "lovely"}, user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL
    )
    thanks = await submitted.wait_message(lambda m: True)
    assert thanks.content == "Thanks: lovely"

    fake.set_dms_open(MEMBER, False)
    tried = await fake.invoke("dm", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL)
    await tried.wait_message(lambda m: m.content == "tried")
    assert seen.dm_error == 50007


async def test_a_failed_upload_is_retried(world: World) -> None:
    fake = world.fake
    fake.fail_next("POST", r"^/webhooks/\d+/[^/]+$", 500)
    interaction = await fake.invoke(
        "render", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL, options={"prompt": "hail"}
    )
    [followup] = await interaction.wait_followups(1)  # discord.py waits 1s, then retries
    assert [f.data for f in followup.attachments] == [CLIP]
    uploads = fake.requests_to("POST", r"^/webhooks/")
    assert [r.status for r in uploads] == [500, 200]
    assert all(r.files == uploads[0].files for r in uploads)


async def test_gateway_drop_resumes_and_replays_missed_events(world: World) -> None:
    fake, bot = world.fake, world.bot
    await fake.drop_gateway()
    # Dispatched while the bot is away: it arrives through the RESUME replay.
    interaction = await fake.invoke(
        "render", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL, options={"prompt": "dusk"}
    )
    await fake.wait_resumed()
    await asyncio.wait_for(bot.seen.resumed.wait(), 5)
    await interaction.wait_message(lambda m: m.content == "Done: dusk")
    assert fake.gateway.connections[-1]["path"] == "/gateway-resume"
    assert fake.gateway.identifies == 1
    assert fake.gateway.resumes == 1


async def test_member_permissions_reach_discord_py_checks(world: World) -> None:
    fake, seen = world.fake, world.bot.seen
    with pytest.raises(ActionUnavailable, match="hides the command"):
        await fake.invoke(
            "admin", subcommand="stats", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL
        )

    stats = await fake.invoke(
        "admin", subcommand="stats", user_id=MANAGER, guild_id=GUILD, channel_id=CHANNEL
    )
    await stats.wait_message(lambda m: m.content == "stats")
    assert seen.permissions[-1] & MANAGE_GUILD
    assert not seen.permissions[-1] & (1 << 3)

    async def purge_as(user_id: int) -> FakeMessage:
        purge = await fake.invoke(
            "admin", subcommand="purge", user_id=user_id, guild_id=GUILD, channel_id=CHANNEL
        )
        return await purge.wait_message(lambda m: True)

    assert (await purge_as(MANAGER)).content == "denied"
    assert (await purge_as(ADMIN)).content == "purged"

    # A server admin lets Mia use /admin: Discord delivers it, the bot's own check decides.
    fake.allow_command(GUILD, "admin", user_or_role_id=MEMBER)
    assert (await purge_as(MEMBER)).content == "denied"


async def test_channel_messages_through_a_rest_only_client(
    fake_discord: FakeDiscord,  # noqa: F811 (the imported fixture)
) -> None:
    fake = fake_discord
    fake.add_guild(GUILD)
    fake.add_channel(GUILD, CHANNEL)
    client = discord.Client(intents=discord.Intents.none())
    await client.login(fake.bot_token)
    try:
        shards, url, _ = await client.http.get_bot_gateway()  # what a sharded bot asks first
        assert (shards, url) == (1, fake.gateway_url)
        channel = await client.fetch_channel(CHANNEL)
        assert isinstance(channel, discord.TextChannel)
        embed = discord.Embed(title="Queue", description="3 jobs")
        sent = await channel.send(
            "status", embed=embed, file=discord.File(io.BytesIO(CLIP), "a.mp4")
        )
        fetched = await channel.fetch_message(sent.id)
        assert fetched.embeds[0].title == "Queue"
        assert fetched.attachments[0].size == len(CLIP)
        assert await fetched.attachments[0].read() == CLIP
        await fetched.edit(content="status: done")
        await fetched.delete()
        with pytest.raises(discord.NotFound):
            await channel.fetch_message(sent.id)
    finally:
        await client.close()
    stored = fake.messages[sent.id]
    assert stored.deleted
    assert [e.get("content") for e in stored.edits] == ["status", "status: done"]
    assert [r.status for r in fake.requests_to("GET", rf"/messages/{sent.id}$")] == [200, 404]


async def test_schema_mismatches_are_caught(tmp_path: Path) -> None:
    fake = FakeDiscord()
    await fake.start()
    headers = {"Authorization": f"Bot {fake.bot_token}"}
    async with aiohttp.ClientSession() as http:
        bad_edit = {"content": 42, "embeds": "not a list"}
        url = f"{fake.api_base}/channels/{CHANNEL}/messages/1"
        async with http.patch(url, json=bad_edit, headers=headers) as response:
            assert response.status == 404
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("payload_json", '{"content": ["x"]}', content_type="application/json")
        form.add_field("files[0]", b"data", filename="a.txt")
        async with http.post(f"{fake.api_base}/webhooks/{fake.application_id}/tok", data=form):
            pass
    assert len(fake.schema_errors) == 2
    assert "PATCH /channels/" in fake.schema_errors[0]
    assert "42 is not of type" in fake.schema_errors[0]
    assert "POST /webhooks/" in fake.schema_errors[1]
    assert "['x']" in fake.schema_errors[1]
    with pytest.raises(AssertionError, match="schema"):
        await fake.close()


async def test_a_missing_spec_fails_with_one_clear_message(tmp_path: Path) -> None:
    fake = FakeDiscord(spec_path=tmp_path / "openapi.json")
    with pytest.raises(pytest.fail.Exception, match="Discord's OpenAPI spec is missing"):
        await fake.start()
