"""Failover on PostgreSQL (#10): `kill -9` the bot process of shard 0 mid-job; the process of
shard 1, started once the dead one's lease expired, takes the job over and delivers it once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.db import Store
from bot.db.postgres import PostgresDatabase
from bot.ledger import SERVER_CODE
from tests.crash.ledger_check import check_db
from tests.crash.world import crash_world, message_status
from tests.engines import pg_url, shared_admin_url

LEASE_SECONDS = 1


async def _job(db: Store) -> dict[str, Any] | None:
    row = await db.read(
        lambda c: c.fetchone(
            "SELECT id, state, prediction_id, owner, lease_until FROM jobs ORDER BY seq LIMIT 1"
        )
    )
    if row is None:
        return None
    return dict(zip(("id", "state", "prediction_id", "owner", "lease_until"), row, strict=True))


async def _until(ready: Callable[[], Awaitable[bool]], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not await ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_a_job_of_a_killed_process_is_taken_over_by_another(tmp_path: Path) -> None:
    url = pg_url(shared_admin_url())
    db = await PostgresDatabase.open(url, server_code=SERVER_CODE)
    async with crash_world(tmp_path) as world:
        config = tmp_path / "bot.toml"
        text = config.read_text().replace(
            "\nmax_in_flight = ", f"\nlease_seconds = {LEASE_SECONDS}\nmax_in_flight = ", 1
        )
        config.write_text(text)
        world.env.update(DATABASE_URL=url, SHARD_COUNT="2", SHARD_IDS="0")  # GUILD: shard 0
        world.sim.script_prompt("[long]", generation_seconds=600)
        world.start_bot()
        await world.wait_connected()
        prompt = "a whale under the northern lights [long]"
        interaction = await world.video(prompt=prompt)

        async def generating() -> bool:
            job = await _job(db)
            return job is not None and job["state"] == "generating"

        await _until(generating, "the job to be generating")
        job = await _job(db)
        assert job is not None
        assert job["owner"] == "shards 0 of 2"

        world.bots[-1].kill()

        async def expired() -> bool:
            lease_until = (await _job(db) or {}).get("lease_until") or 0
            return bool(lease_until < time.time() * 1_000_000)

        await _until(expired, "the dead process's lease to expire")
        world.env["SHARD_IDS"] = "1"  # another process, of the other shard
        world.start_bot()
        await world.wait_connected()
        path = f"/model/prediction/{job['prediction_id']}"
        polled = len(world.sim.requests_to(path, "GET"))
        await world.until(
            lambda: len(world.sim.requests_to(path, "GET")) > polled,
            "the second process to poll the job",
        )
        world.sim.complete_now(job["prediction_id"])
        message = await world.until_final(interaction)

        async def delivered() -> bool:
            return (await _job(db) or {}).get("state") == "delivered"

        await _until(delivered, "the delivery to be stored")
        world.kill_bots()

        assert message_status(message).startswith("Done"), world.logs()
        assert len(message.attachments) == 1
        assert world.sim.submits_by_prompt[prompt] == 1
        assert (await _job(db) or {}).get("owner") == "shards 1 of 2"
        facts = await check_db(db, world.settings)
        assert facts.settlement() is not None
        assert facts.settlement().outcome == "captured"  # type: ignore[union-attr]
    await db.close()
