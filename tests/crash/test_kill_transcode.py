"""`kill -9` the bot while it compresses a video for Discord, start it again on the same
database: the job is delivered once, to its message, as a rendition under the server's limit,
and charged once (it was captured before the download; the capture is not repeated).

The bot runs as a child process; the simulator serves a realistic 1080p 8 s output (8 MB) into
a server that takes 4 MiB, so the encode runs long enough to be caught: the kill lands when the
encoder's part file appears in the bot's transcode folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path
from typing import Any

from bot.jobs.record import JobState
from tests.crash.test_kill_restart import _delivered_once, _restart
from tests.crash.world import GUILD, crash_world, message_status

LIMIT = 4 * 1024 * 1024


def encoders_writing_in(folder: Path) -> list[int]:
    """The ffmpeg processes whose command line names `folder` (a killed bot's orphans)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if any(str(folder).encode() in arg for arg in argv) and b"libx264" in argv:
                found.append(int(entry.name))
    return found


async def test_killed_while_compressing_delivers_once_and_charges_once(
    tmp_path: Path, realistic_outputs: dict[str, Any]
) -> None:
    async with crash_world(tmp_path, sim_options=realistic_outputs) as world:
        world.discord.guilds[GUILD].upload_limit = LIMIT
        world.start_bot()
        await world.wait_connected()
        folder = tmp_path / "data" / "transcode"
        prompt = "a steam train in the snow"
        interaction = await world.video(prompt=prompt)
        await world.until(
            lambda: (
                any(folder.glob("fit-*.part.mp4"))
                and message_status(interaction.message) == "Compressing for Discord"
            ),
            "the encoder to start writing, and the member to see it",
            60,
        )
        assert world.job_state() == JobState.DOWNLOADING

        await _restart(world)
        # The killed bot's encoder runs on in its own session until its clip is done: it is
        # not the bot's any more. Stop it here, so the test leaves nothing running.
        for pid in encoders_writing_in(folder):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

        await _delivered_once(world, interaction, prompt, timeout=60)
        message = interaction.message
        assert message.attachments[0].size <= LIMIT, "a rendition under the server's limit"
        assert "compressed to fit this server's 4 MB limit" in (message.content or "")
        assert len(world.sim.requests_to(".mp4", "GET")) == 2, "fetched again after the restart"
