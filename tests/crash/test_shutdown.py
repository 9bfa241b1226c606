"""A graceful stop (SIGTERM, what `docker stop` sends) after a job: the bot exits at once with
code 0 and closes its database, instead of hanging until the container runtime kills it."""

from __future__ import annotations

import time
from pathlib import Path

from tests.crash.ledger_check import check_ledger
from tests.crash.world import crash_world, message_status


async def test_sigterm_after_a_job_exits_promptly(tmp_path: Path) -> None:
    async with crash_world(tmp_path) as world:
        bot = world.start_bot()
        await world.wait_connected()
        interaction = await world.video(prompt="a quiet pond at dawn")
        message = await world.until_final(interaction)
        assert message_status(message).startswith("Done")

        started = time.monotonic()
        code = await bot.stop(timeout=3)
        took = time.monotonic() - started
        assert code == 0, f"exit {code} after {took:.1f}s\n{world.logs()}"
        assert took < 3
        await check_ledger(world.db_path, world.settings)
