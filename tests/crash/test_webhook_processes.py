"""One webhook URL for every process (#21), on PostgreSQL: a call that lands on a process that
does not follow the job is kept with the job and signalled (LISTEN/NOTIFY); the process that
follows it delivers at once, and one that takes the job over after a crash finds the call kept
and delivers without waiting for a poll.

The bot that owns the job is a real child process (`python -m bot run`); the other process
behind the same URL is the bot's own services (`bot.builder.build`: its webhook endpoint and
database, the code a second process runs) in the test's process, without a Discord connection
of its own (the fake Discord serves one gateway session).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.builder import Services, build
from bot.db import Store
from bot.db.postgres import PostgresDatabase
from bot.settings import Settings, load
from tests.conftest import make_env
from tests.crash.world import CrashWorld, crash_world, message_status
from tests.e2e.test_webhook_stories import free_port
from tests.engines import pg_url, shared_admin_url

LEASE_SECONDS = 1
SAFETY_SECONDS = 30  # no poll comes before this: a delivery sooner came from the call


def _configure(world: CrashWorld, url: str, receiver_port: int, owner_port: int) -> None:
    config = world.tmp_path / "bot.toml"
    text = config.read_text()
    text = text.replace(
        "\nmax_in_flight = ", f"\nlease_seconds = {LEASE_SECONDS}\nmax_in_flight = ", 1
    )
    text = text.replace(
        "webhook_safety_interval_seconds = 30",
        f"webhook_safety_interval_seconds = {SAFETY_SECONDS}",
    )
    config.write_text(text)
    # Behind "one URL": every call reaches the receiver, never the owner's own port.
    world.env.update(
        DATABASE_URL=url,
        PUBLIC_WEBHOOK_URL=f"http://127.0.0.1:{receiver_port}/atlas/webhook",
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(owner_port),
    )


@asynccontextmanager
async def _receiver(world: CrashWorld, url: str, port: int) -> AsyncIterator[Services]:
    """Another process's services on the same database, its endpoint on `port`."""
    env = make_env(
        atlascloud_api_key=world.env["ATLASCLOUD_API_KEY"],
        discord_token=world.env["DISCORD_TOKEN"],
        atlas_base_url=world.sim.base_url,
        database_url=url,
        database_path=world.tmp_path / "unused.sqlite3",
        public_webhook_url=f"http://127.0.0.1:{port}/atlas/webhook",
        webhook_host="127.0.0.1",
        webhook_port=port,
        bot_config=world.tmp_path / "bot.toml",
    )
    settings: Settings = load(env)
    services = await build(settings)
    try:
        yield services
    finally:
        await services.jobs.close()
        await services.close()


@asynccontextmanager
async def _owner_and_receiver(
    tmp_path: Path, generation_seconds: float
) -> AsyncIterator[tuple[CrashWorld, Services]]:
    """The bot that will own the job (connected), and another process's services on the same
    PostgreSQL behind the one webhook URL; "[heron]" jobs take `generation_seconds`."""
    url = pg_url(shared_admin_url())
    async with crash_world(tmp_path) as world:
        receiver_port, owner_port = free_port(), free_port()
        _configure(world, url, receiver_port, owner_port)
        world.sim.script_prompt("[heron]", generation_seconds=generation_seconds)
        async with _receiver(world, url, receiver_port) as other:
            world.start_bot()
            await world.wait_connected()
            yield world, other


async def _job(db: Store) -> dict[str, object]:
    row = await db.read(
        lambda c: c.fetchone("SELECT id, state, prediction_id FROM jobs ORDER BY seq LIMIT 1")
    )
    return {} if row is None else dict(zip(("id", "state", "prediction_id"), row, strict=True))


async def _until(check: object, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not await check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def _at_atlas(db: Store) -> None:
    """Wait until the job reached Atlas (it has a prediction and is being generated)."""

    async def generating() -> bool:
        return (await _job(db)).get("state") in ("submitted", "generating")

    await _until(generating, "the job to reach Atlas")


def _polls(world: CrashWorld, prediction_id: object) -> int:
    return len(world.sim.requests_to(f"/model/prediction/{prediction_id}", "GET"))


async def test_a_call_landing_on_another_process_is_delivered_by_the_owner(
    tmp_path: Path,
) -> None:
    async with _owner_and_receiver(tmp_path, generation_seconds=2.0) as (world, other):
        interaction = await world.video(prompt="a heron over the harbour [heron]")

        async def called() -> bool:
            return bool(world.sim.webhooks.calls)

        await _until(called, "Atlas's call", 20)
        called_at = time.monotonic()
        job = await _job(other.db)
        polled_before = _polls(world, job["prediction_id"])  # the schedule's early look
        message = await world.until_final(interaction)
        delivered_in = time.monotonic() - called_at
        await world.stop_bots()

        assert message_status(message).startswith("Done"), world.logs()
        assert [call.status for call in world.sim.webhooks.calls] == [200], "taken by the other"
        assert delivered_in < 1.0, f"delivered {delivered_in:.2f} s after the call"
        assert _polls(world, job["prediction_id"]) == polled_before, "no poll: the owner heard it"


async def test_the_process_that_takes_a_job_over_finds_the_call_kept(tmp_path: Path) -> None:
    async with _owner_and_receiver(tmp_path, generation_seconds=1.5) as (world, other):
        interaction = await world.video(prompt="a heron at low tide [heron]")
        await _at_atlas(other.db)
        world.bots[-1].kill()  # the owner dies; Atlas's call reaches the other process

        async def called() -> bool:
            return [c.status for c in world.sim.webhooks.calls] == [200]

        await _until(called, "Atlas's call to be kept", 20)
        await asyncio.sleep(LEASE_SECONDS + 0.5)  # the dead owner's lease runs out
        polled_before = _polls(world, (await _job(other.db))["prediction_id"])
        world.start_bot()  # takes the job over (its own role back, or the expired lease)
        taken_at = time.monotonic()
        message = await world.until_final(interaction)
        delivered_in = time.monotonic() - taken_at
        job = await _job(other.db)
        await world.stop_bots()

        assert message_status(message).startswith("Done"), world.logs()
        assert delivered_in < SAFETY_SECONDS / 2, "no safety poll was waited for"
        assert _polls(world, job["prediction_id"]) == polled_before, "the kept call sufficed"
        assert world.sim.submits_by_prompt["a heron at low tide [heron]"] == 1


async def _cut_listening(db: Store, spare: int | None) -> int:
    """End every LISTEN connection but `spare`'s (PostgreSQL restarted, a network blip...)."""
    row = await db.read(
        lambda c: c.fetchone(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid() AND pid <> ?",
            (spare or 0,),
        )
    )
    return int(row[0]) if row else 0


async def test_an_owner_that_could_not_hear_the_call_catches_up_when_it_listens_again(
    tmp_path: Path,
) -> None:
    async with _owner_and_receiver(tmp_path, generation_seconds=1.5) as (world, other):
        assert isinstance(other.db, PostgresDatabase)
        spare = other.db.listener.pid
        interaction = await world.video(prompt="a heron in the reeds [heron]")
        await _at_atlas(other.db)
        cut = 0
        # The owner's LISTEN connection is cut, again each time it comes back, until
        # Atlas's call was kept (and its NOTIFY gone unheard by the owner).
        while [c.status for c in world.sim.webhooks.calls] != [200]:
            cut += await _cut_listening(other.db, spare)
            await asyncio.sleep(0.01)
        heard_nothing_until = time.monotonic() + 0.3
        while time.monotonic() < heard_nothing_until:
            cut += await _cut_listening(other.db, spare)
            await asyncio.sleep(0.01)
        job = await _job(other.db)
        polled_before = _polls(world, job["prediction_id"])
        message = await world.until_final(interaction, timeout=SAFETY_SECONDS / 2)
        await world.stop_bots()

        assert cut >= 1, "the owner was listening"
        assert message_status(message).startswith("Done"), world.logs()
        assert _polls(world, job["prediction_id"]) == polled_before, "the kept call sufficed"
        assert "looking for what was sent meanwhile" in world.bots[-1].log_tail(400)
