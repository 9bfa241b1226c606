"""End-to-end fixtures: the real bot, the Atlas simulator and the fake Discord, all on 127.0.0.1.

`world` starts the three, waits until the bot is connected and its commands are synced, and
hands the test a `World` to act as members and to inspect what Discord, Atlas and the ledger
saw. Timings are shrunk (polls every few ms, jobs finish in a fraction of a second) so a whole
story runs in about a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import tomllib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.app import VideoBot
from bot.settings import EnvSettings, FileConfig, Settings, load
from bot.sim import AtlasSimulator
from tests.conftest import CONFIG, make_env
from tests.fake_discord import FakeDiscord, FakeInteraction, FakeMessage

GUILD = 1000
CHANNEL = 2000
ADMIN_ROLE = 3000
MEMBER = 11
OTHER_MEMBER = 12
ADMIN = 13
ATLAS_KEY = "sim-key-e2e"
MANAGE_GUILD = 1 << 5


def fast_settings(
    tmp_path: Path,
    env: EnvSettings,
    *,
    max_in_flight: int = 20,
    polling: dict[str, float] | None = None,
    delivery: dict[str, Any] | None = None,
    config: Callable[[dict[str, Any]], None] | None = None,
    **budget: str,
) -> Settings:
    """The shipped config with test timings and the fake's host allowed for attachments,
    `delivery`'s changes to `[delivery]`; `config` changes the parsed file further (a model's
    mapping, say)."""
    raw = tomllib.loads(CONFIG.read_text())
    raw["polling"].update(
        interval_seconds=0.02, total_timeout_seconds=5, not_registered_grace_seconds=2
    )
    raw["polling"].update(polling or {})
    raw["attachments"]["allowed_hosts"].append("127.0.0.1")
    for model in raw["models"]:
        model["expected_seconds"] = 0.05
    raw["budget"].update(budget)
    raw["jobs"]["max_in_flight"] = max_in_flight
    raw["delivery"].update(delivery or {})
    if config is not None:
        config(raw)
    return Settings(env, FileConfig.model_validate(raw))


@dataclass
class World:
    """Everything a story needs: act through `discord`, look at `sim` and `bot.ledger`."""

    discord: FakeDiscord
    sim: AtlasSimulator
    bot: VideoBot
    settings: Settings
    tmp_path: Path
    extra: dict[str, Any] = field(default_factory=dict)
    _runner: asyncio.Task[None] | None = None

    async def start_bot(self) -> None:
        """Start a bot process-alike on the shared database and wait until it is connected."""
        identified = self.discord.gateway.identifies
        self.bot = VideoBot(self.settings, **self.extra)
        self._runner = asyncio.create_task(self.bot.start(self.discord.bot_token))
        await self.discord.wait_until(
            lambda: self.discord.gateway.identifies > identified, 10, "the bot to IDENTIFY"
        )
        await asyncio.wait_for(self.bot.wait_until_ready(), timeout=10)

    async def stop_bot(self) -> None:
        """Shut the bot down as a deploy would (jobs stay where they are, for recovery)."""
        await self.bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(self._runner, timeout=5)

    async def restart(self) -> None:
        """Stop the bot and start a new one on the same database."""
        await self.stop_bot()
        await self.start_bot()

    async def command(
        self,
        name: str,
        subcommand: str | None = None,
        *,
        user_id: int = ADMIN,
        channel_id: int = CHANNEL,
        locale: str = "en-US",
        **options: Any,
    ) -> FakeInteraction:
        """Someone (an admin unless `user_id` says who) runs /name [subcommand] in the
        server, and the bot has answered."""
        interaction = await self.discord.invoke(
            name,
            subcommand=subcommand,
            user_id=user_id,
            guild_id=GUILD,
            channel_id=channel_id,
            options=options,
            locale=locale,
        )
        await interaction.wait_response()
        return interaction

    async def video(self, user_id: int = MEMBER, **options: Any) -> FakeInteraction:
        """A member runs /video with these options."""
        return await self.discord.invoke(
            "video", user_id=user_id, guild_id=GUILD, channel_id=CHANNEL, options=options
        )

    async def animate(
        self, images: list[dict[str, Any]], user_id: int = MEMBER, **options: Any
    ) -> FakeInteraction:
        """A member runs /animate with these attachments (image, image2, ...) and options."""
        for index, image in enumerate(images, start=1):
            options["image" if index == 1 else f"image{index}"] = image
        return await self.discord.invoke(
            "animate", user_id=user_id, guild_id=GUILD, channel_id=CHANNEL, options=options
        )

    async def final(self, interaction: FakeInteraction, timeout: float = 10) -> FakeMessage:
        """Wait until the job's message shows a final state (done, failed, cancelled)."""
        return await interaction.wait_message(is_final, timeout=timeout)


def status_of(message: FakeMessage) -> str:
    """The Status field of the job embed."""
    for embed in message.embeds:
        for field_ in embed.get("fields", []):
            if field_["name"] == "Status":
                return str(field_["value"])
    return ""


def is_final(message: FakeMessage) -> bool:
    """The job message shows an ending."""
    status = status_of(message)
    return status.startswith(("Done", "Failed", "Cancelled", "We could not confirm"))


@contextlib.asynccontextmanager
async def running_world(
    tmp_path: Path,
    *,
    monotonic: Any = None,
    clock: Any = None,
    max_in_flight: int = 20,
    env: dict[str, Any] | None = None,
    polling: dict[str, float] | None = None,
    discord_options: dict[str, Any] | None = None,
    sim_options: dict[str, Any] | None = None,
    delivery: dict[str, Any] | None = None,
    config: Callable[[dict[str, Any]], None] | None = None,
    **budget: str,
) -> AsyncIterator[World]:
    """Start the simulator (with `sim_options`, e.g. realistic outputs), the fake Discord
    (with `discord_options`, e.g. a `window_scale` for its rate limits) and the bot (with
    `delivery`'s changes to `[delivery]`); stop all three at the end."""
    catalogue = load(make_env()).catalogue
    simulated: dict[str, Any] = {"api_key": ATLAS_KEY, "generation_seconds": 0.1}
    simulated.update(sim_options or {})
    async with (
        AtlasSimulator(catalogue, **simulated) as sim,
        FakeDiscord(**(discord_options or {})) as discord,
    ):
        discord.add_guild(GUILD, name="Video Club", owner_id=ADMIN)
        discord.add_channel(GUILD, CHANNEL, name="videos")
        discord.add_role(GUILD, ADMIN_ROLE, name="Admins", permissions=MANAGE_GUILD)
        discord.add_member(GUILD, MEMBER, name="alice")
        discord.add_member(GUILD, OTHER_MEMBER, name="bob")
        discord.add_member(GUILD, ADMIN, name="carol", role_ids=[ADMIN_ROLE])
        values: dict[str, Any] = {
            "discord_token": discord.bot_token,
            "atlascloud_api_key": ATLAS_KEY,
            "atlas_base_url": sim.base_url,
            "discord_api_base_url": discord.api_base,
            "discord_gateway_url": discord.gateway_url,
            "database_path": tmp_path / "data" / "bot.sqlite3",
        }
        bot_env = make_env(**(values | (env or {})))
        settings = fast_settings(
            tmp_path,
            bot_env,
            max_in_flight=max_in_flight,
            polling=polling,
            delivery=delivery,
            config=config,
            **budget,
        )
        extra: dict[str, Any] = {"refresh_seconds": 0.05, "guild_ready_timeout": 0.1}
        if monotonic is not None:
            extra["monotonic"] = monotonic
        if clock is not None:
            extra["clock"] = clock  # the bot's wall clock: job and ledger times
        world = World(discord, sim, None, settings, tmp_path, extra)  # type: ignore[arg-type]
        try:
            await world.start_bot()
            yield world
        finally:
            await world.stop_bot()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    """A running bot in a server with three members (alice, bob and carol the admin)."""
    async with running_world(tmp_path) as w:
        yield w
