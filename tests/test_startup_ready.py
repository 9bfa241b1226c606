"""Once connected, the bot says so in one INFO line: who it is, in how many servers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.crash.waiting import until
from tests.crash.world import crash_world
from tests.e2e.conftest import running_world


def _ready_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("ready:")]


async def test_the_bot_logs_one_ready_line_once_connected(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    async with running_world(tmp_path) as world:
        await until(lambda: bool(_ready_lines(caplog)), "the ready line", timeout=5)
        await world.discord.drop_gateway(resumable=True)
        await world.discord.wait_resumed()

        (line,) = _ready_lines(caplog)
        (record,) = [r for r in caplog.records if r.getMessage() == line]
        assert record.levelno == logging.INFO
        assert line == (
            f"ready: logged in as atlas_video_bot ({world.discord.bot_user_id}) in 1 server; "
            "/video is live"
        )
        messages = [r.getMessage() for r in caplog.records]
        recovery = next(i for i, m in enumerate(messages) if m.startswith("recovery:"))
        assert recovery < messages.index(line), "ready comes after start-up recovery"
        assert world.discord.bot_token not in caplog.text
        assert world.settings.env.atlascloud_api_key is not None
        assert world.settings.env.atlascloud_api_key.get_secret_value() not in caplog.text


async def test_the_ready_line_reaches_the_log_of_atlas_video_bot_run(tmp_path: Path) -> None:
    async with crash_world(tmp_path) as world:
        world.env["LOG_LEVEL"] = "INFO"  # the default an admin runs with
        bot = world.start_bot()
        await world.wait_connected()
        await world.until(lambda: " ready: " in bot.log(), "the ready line")
        await bot.stop()

        (line,) = [line for line in bot.log().splitlines() if " ready: " in line]
        assert " INFO " in line
        assert line.endswith(
            f"ready: logged in as atlas_video_bot ({world.discord.bot_user_id}) in 1 server; "
            "/video is live"
        )
        assert world.discord.bot_token not in bot.log()
