"""`atlas-video-bot sync` while the bot runs: it publishes the commands and touches nothing else.

The README suggests `sync` when commands look stale, which an admin does with the bot up. A
second process that ran start-up recovery would fail the running bot's queued job ("bot
restarted before submit") and tell the member so; `sync` must only log in, sync and exit.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

from bot.jobs.record import JobState
from tests.conftest import BOT_ENV_VARS, CONFIG
from tests.crash.bot_process import ROOT
from tests.crash.waiting import until
from tests.e2e.conftest import ATLAS_KEY, GUILD, OTHER_MEMBER, World, running_world, status_of

TABLES = ("jobs", "holds", "entries", "totals", "moderation_events", "admin_log")


def _rows(db_path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of the job and money tables, read-only while the bot keeps running."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=2)
    conn.row_factory = sqlite3.Row
    try:
        return {
            table: [dict(row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]  # noqa: S608
            for table in TABLES
        }
    finally:
        conn.close()


def sync_env(world: World, **extra: str) -> dict[str, str]:
    """The environment an admin would have: the running bot's, without the Atlas key."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in BOT_ENV_VARS}
    env.update(
        DISCORD_TOKEN=world.discord.bot_token,
        DISCORD_API_BASE_URL=world.discord.api_base,
        DISCORD_GATEWAY_URL=world.discord.gateway_url,
        DATABASE_PATH=str(world.settings.env.database_path),
        BOT_CONFIG=str(CONFIG),
        HEALTH_FILE=str(world.tmp_path / "sync-health.json"),
        LOG_FORMAT="text",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
        **extra,
    )
    return env


async def run_cli(env: dict[str, str], *args: str, cwd: Path) -> tuple[int, str]:
    """`python -m bot ARGS` as a child process, while this loop keeps serving the fakes."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace")


async def test_sync_while_the_bot_runs_leaves_its_queue_and_ledger_alone(tmp_path: Path) -> None:
    async with running_world(tmp_path, max_in_flight=1) as world:
        world.sim.script_prompt("[first]", generation_seconds=60)
        first = await world.video(prompt="the [first] video")
        await first.wait_message(lambda m: status_of(m).startswith(("Submitted", "Generating")))
        second = await world.video(user_id=OTHER_MEMBER, prompt="the second video")
        await second.wait_message(lambda m: "in line" in status_of(m))
        db_path = world.settings.env.database_path
        # Still: the first job polls Atlas (stored as generating), the second waits, held.
        await until(
            lambda: (
                sorted(j["state"] for j in _rows(db_path)["jobs"])
                == [JobState.GENERATING, JobState.HELD]
            ),
            "the first job to be stored as generating",
        )
        before = _rows(db_path)
        syncs, seen = world.discord.sync_count, len(world.discord.requests)

        # As from the bot's own .env, then with the Discord token alone (sync needs no more).
        for env in (sync_env(world, ATLASCLOUD_API_KEY=ATLAS_KEY), sync_env(world)):
            code, output = await run_cli(env, "sync", cwd=tmp_path)
            assert code == 0, output
            assert "Traceback" not in output
            assert re.search(r"synced \d+ slash commands to all servers", output), output
            assert "recovery" not in output

        assert world.discord.sync_count == syncs + 2, "sync always publishes"
        assert _rows(db_path) == before, "sync wrote to the job or money tables"
        during = world.discord.requests[seen:]
        put = ("PUT", f"/applications/{world.discord.application_id}/commands")
        assert [(r.method, r.path) for r in during if r.method != "GET"] == [put, put], (
            "sync edits no message and posts nothing"
        )
        assert world.discord.gateway.identifies == 1, "sync never connects to the gateway"
        assert not (tmp_path / "sync-health.json").exists()

        # The running bot still owns its queue: both videos arrive.
        (prediction,) = list(world.sim.jobs)
        world.sim.complete_now(prediction)
        assert status_of(await world.final(first)).startswith("Done")
        assert status_of(await world.final(second)).startswith("Done")


async def test_sync_clear_removes_the_test_servers_copy_and_keeps_the_global_commands(
    tmp_path: Path,
) -> None:
    async with running_world(tmp_path) as world:
        global_commands = dict(world.discord.global_commands)
        assert "video" in global_commands
        tester = sync_env(world, DEV_GUILD_ID=str(GUILD))

        code, output = await run_cli(tester, "sync", cwd=tmp_path)
        assert code == 0, output
        assert "video" in world.discord.guild_commands[GUILD], "the test server's own copy"

        code, output = await run_cli(tester, "sync", "--clear", cwd=tmp_path)
        assert code == 0, output
        assert "Traceback" not in output
        assert f"removed the slash commands of server {GUILD}; the global ones stay" in output
        assert world.discord.guild_commands[GUILD] == {}
        assert world.discord.global_commands == global_commands
        assert not (world.settings.env.database_path.parent / "commands.sha256").exists(), (
            "the next start syncs afresh"
        )

        code, output = await run_cli(sync_env(world), "sync", "--clear", cwd=tmp_path)
        assert code == 2
        assert output.strip().splitlines()[-1] == (
            "atlas-video-bot: DEV_GUILD_ID is not set: sync --clear removes the commands of "
            "that one test server, so set DEV_GUILD_ID=<its id> for this command"
        )
        assert world.discord.global_commands == global_commands
