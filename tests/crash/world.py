"""A world for crash tests: fake Discord and Atlas simulator in the test's loop, the bot in a
child process on a SQLite file the test can read while it runs and check after it exits.

    async with crash_world(tmp_path) as world:
        bot = world.start_bot()                      # python -m bot run
        it = await world.video(prompt="...")
        await world.until(lambda: world.job_state() == "generating", "generating")
        bot.kill()                                   # kill -9
        world.start_bot()                            # same database
        await world.until_final(it)
        await world.stop_bots()
        facts = await check_ledger(world.db_path, world.settings)
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.settings import Settings, load
from bot.sim import AtlasSimulator
from tests.conftest import CONFIG, make_env
from tests.crash.bot_process import ROOT, BotProcess
from tests.crash.gates import Gates
from tests.crash.waiting import until
from tests.e2e.conftest import is_final, status_of
from tests.fake_discord import FakeDiscord, FakeInteraction, FakeMessage

GUILD = 1000
CHANNEL = 2000
MEMBER = 11
OTHER_MEMBER = 12
ATLAS_KEY = "sim-key-crash"

_ENV_NAMES = (
    "DISCORD_TOKEN",
    "ATLASCLOUD_API_KEY",
    "ATLAS_BASE_URL",
    "DISCORD_API_BASE_URL",
    "DISCORD_GATEWAY_URL",
    "DATABASE_PATH",
    "BOT_CONFIG",
    "HEALTH_FILE",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "DEV_GUILD_ID",
)


def _replace(text: str, pattern: str, new: str, *, count: int | None = None) -> str:
    changed, made = re.subn(pattern, new, text, flags=re.MULTILINE)
    if made == 0 or (count is not None and made != count):
        raise AssertionError(f"config/bot.toml changed shape: {pattern!r} matched {made} times")
    return changed


def write_test_config(dest: Path) -> Path:
    """config/bot.toml with crash-test timings and the fakes' host allowed for attachments."""
    text = CONFIG.read_text()
    text = _replace(text, r"^interval_seconds = .*$", "interval_seconds = 0.05", count=1)
    text = _replace(text, r"^total_timeout_seconds = .*$", "total_timeout_seconds = 20", count=1)
    text = _replace(
        text, r"^not_registered_grace_seconds = .*$", "not_registered_grace_seconds = 5", count=1
    )
    text = _replace(text, r"^expected_seconds = .*$", "expected_seconds = 0.1")
    text = _replace(
        text,
        r"^allowed_hosts = \[(.*)\]$",
        r'allowed_hosts = [\1, "127.0.0.1"]',
        count=1,
    )
    dest.write_text(text)
    return dest


@dataclass
class CrashWorld:
    """The fakes, the bot's environment and what a test needs to drive and inspect a run."""

    discord: FakeDiscord
    sim: AtlasSimulator
    gates: Gates
    settings: Settings
    tmp_path: Path
    env: dict[str, str]
    db_path: Path
    bots: list[BotProcess] = field(default_factory=list)

    # -- the bot ----------------------------------------------------------------------------

    def start_bot(self, *, max_file_bytes: int | None = None) -> BotProcess:
        """Start one more bot process on the same database (and wait for nothing)."""
        number = len(self.bots) + 1
        bot = BotProcess(
            self.env,
            cwd=self.tmp_path,
            log_path=self.tmp_path / f"bot-{number}.log",
            max_file_bytes=max_file_bytes,
        ).start()
        self.bots.append(bot)
        return bot

    async def wait_connected(self, timeout: float = 30) -> None:
        """The latest bot identified on the gateway and its commands are synced."""
        wanted = len(self.bots)
        await self.until(
            lambda: self.discord.gateway.identifies >= wanted and "video" in self.discord.commands,
            f"bot #{wanted} to connect",
            timeout,
        )

    async def stop_bots(self) -> None:
        """Stop every bot still running, gracefully (SIGTERM)."""
        for bot in self.bots:
            await bot.stop()

    def kill_bots(self) -> None:
        """`kill -9` every bot still running: the ledger must survive that too."""
        for bot in self.bots:
            bot.kill()

    def logs(self, lines: int = 40) -> str:
        """The tail of every bot's log without the chatty DEBUG lines, for failure messages."""
        return "\n".join(
            f"--- bot #{n} (exit {bot.returncode}) ---\n{bot.log_tail(lines, quiet=True)}"
            for n, bot in enumerate(self.bots, start=1)
        )

    # -- members ----------------------------------------------------------------------------

    async def video(self, user_id: int = MEMBER, **options: Any) -> FakeInteraction:
        """A member runs /video."""
        return await self.discord.invoke(
            "video", user_id=user_id, guild_id=GUILD, channel_id=CHANNEL, options=options
        )

    async def animate(
        self, image: dict[str, Any], user_id: int = MEMBER, **options: Any
    ) -> FakeInteraction:
        """A member runs /animate with one attachment."""
        return await self.discord.invoke(
            "animate",
            user_id=user_id,
            guild_id=GUILD,
            channel_id=CHANNEL,
            options={"image": image, **options},
        )

    # -- waiting ----------------------------------------------------------------------------

    async def until(self, ready: Callable[[], bool], what: str, timeout: float = 10) -> None:
        """Wait until `ready()`; fail at once (with the bots' logs) if a bot died unasked."""

        def ready_or_crashed() -> bool:
            if any(not b.stopped and not b.alive for b in self.bots):
                raise AssertionError(f"a bot exited while waiting for {what}\n{self.logs()}")
            return ready()

        await until(
            ready_or_crashed,
            what,
            timeout,
            details=lambda: f"jobs: {self.jobs()}\n{self.logs()}",
        )

    async def until_final(self, interaction: FakeInteraction, timeout: float = 10) -> FakeMessage:
        """Wait until the job's message shows an ending."""
        await self.until(
            lambda: interaction.message is not None and is_final(interaction.message),
            "the job message to show an ending",
            timeout,
        )
        assert interaction.message is not None
        return interaction.message

    # -- the database, read while the bot runs ----------------------------------------------

    def jobs(self) -> list[dict[str, Any]]:
        """Every job row, oldest first (a read-only look; the bot keeps writing)."""
        if not self.db_path.exists():
            return []
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=2)
        try:
            conn.row_factory = sqlite3.Row
            try:
                rows = conn.execute("SELECT * FROM jobs ORDER BY created_at, rowid").fetchall()
            except sqlite3.OperationalError:  # not migrated yet
                return []
            return [dict(row) for row in rows]
        finally:
            conn.close()

    def job_state(self, index: int = 0) -> str | None:
        """The state of the `index`-th job, None before it exists."""
        jobs = self.jobs()
        return jobs[index]["state"] if len(jobs) > index else None


def message_status(message: FakeMessage | None) -> str:
    """The Status field the member sees ('' without a message)."""
    return "" if message is None else status_of(message)


def bot_env(
    discord: FakeDiscord, sim: AtlasSimulator, *, config: Path, db_path: Path, tmp_path: Path
) -> dict[str, str]:
    """The child's environment: the fakes' URLs, a temporary database, text DEBUG logs."""
    env = {k: v for k, v in os.environ.items() if k not in _ENV_NAMES}
    env.update(
        DISCORD_TOKEN=discord.bot_token,
        ATLASCLOUD_API_KEY=ATLAS_KEY,
        ATLAS_BASE_URL=sim.base_url,
        DISCORD_API_BASE_URL=discord.api_base,
        DISCORD_GATEWAY_URL=discord.gateway_url,
        DATABASE_PATH=str(db_path),
        BOT_CONFIG=str(config),
        HEALTH_FILE=str(tmp_path / "health.json"),
        LOG_FORMAT="text",
        LOG_LEVEL="DEBUG",
        PYTHONUNBUFFERED="1",  # every line reaches the log before a kill -9
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
    )
    return env


@contextlib.asynccontextmanager
async def crash_world(
    tmp_path: Path,
    *,
    members: tuple[int, ...] = (MEMBER, OTHER_MEMBER),
    sim_options: dict[str, Any] | None = None,
) -> AsyncIterator[CrashWorld]:
    """Start the fakes (gates on the simulator, made with `sim_options`, e.g. realistic
    outputs); on exit stop the bots, then the fakes."""
    config = write_test_config(tmp_path / "bot.toml")
    db_path = tmp_path / "data" / "bot.sqlite3"
    settings = load(make_env(bot_config=config, database_path=db_path))
    gates = Gates()
    simulated: dict[str, Any] = {"api_key": ATLAS_KEY, "generation_seconds": 0.1}
    simulated.update(sim_options or {})
    sim = AtlasSimulator(settings.catalogue, **simulated)
    gates.install(sim)
    await sim.start()
    try:
        async with FakeDiscord() as discord:
            discord.add_guild(GUILD, name="Video Club")
            discord.add_channel(GUILD, CHANNEL, name="videos")
            for user_id in members:
                discord.add_member(GUILD, user_id, name=f"member{user_id}")
            env = bot_env(discord, sim, config=config, db_path=db_path, tmp_path=tmp_path)
            world = CrashWorld(discord, sim, gates, settings, tmp_path, env, db_path)
            try:
                yield world
            finally:
                gates.open_all()
                await world.stop_bots()
    finally:
        gates.open_all()
        await sim.close()
