"""Data at rest stays private: what the bot writes on disk is the bot's user's alone.

Run with a permissive umask (022, a host's usual), the bot's data folder, its SQLite file
(and the WAL beside it), the heartbeat file, the held videos' folder and each held video are
owner-only: 0700 folders, 0600 files.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import CHANNEL, GUILD, MEMBER, running_world
from tests.exts.review.test_moderation_stories import has_button, settings


@pytest.fixture
def host_umask() -> Iterator[None]:
    """A host's usual umask: group and others may read what is created."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("host_umask")
async def test_the_data_folder_database_heartbeat_and_held_videos_are_owner_only(
    tmp_path: Path,
) -> None:
    async with running_world(tmp_path) as world:
        await settings(world, "safety", flagged_videos="review")
        world.sim.script_prompt("[flagged]", nsfw=True)
        interaction = await world.discord.invoke(
            "video",
            user_id=MEMBER,
            guild_id=GUILD,
            channel_id=CHANNEL,
            options={"prompt": "a [flagged] fox"},
        )
        await interaction.wait_message(lambda m: has_button(m, "review:approve:"))
        database = world.settings.env.database_path
        heartbeat = tmp_path / "data" / "health.json"  # HEALTH_FILE's default, in the cwd
        await world.discord.wait_until(heartbeat.exists, 5, "the first heartbeat")
        held = database.parent / "held"
        [video] = list(held.iterdir())

        folders = {"data": database.parent, "held": held}
        files = {"database": database, "WAL": Path(f"{database}-wal"), "heartbeat": heartbeat}
        files["held video"] = video
        for name, folder in folders.items():
            assert mode(folder) == 0o700, f"{name}: {oct(mode(folder))}"
        for name, file in files.items():
            assert mode(file) == 0o600, f"{name}: {oct(mode(file))}"
