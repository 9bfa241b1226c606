"""A graceful stop (SIGTERM, what `docker stop` sends) after a job: the bot exits at once with
code 0 and closes its database, instead of hanging until the container runtime kills it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.crash.ledger_check import check_ledger
from tests.crash.world import crash_world, message_status


@pytest.mark.xfail(
    reason="bot/app.py _serve: discord.py's __aexit__ awaits only its own closing task, so "
    "asyncio.run cancels VideoBot.close() before the database is closed and the aiosqlite "
    "thread keeps the process alive (lead to fix)",
    strict=False,
)
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
