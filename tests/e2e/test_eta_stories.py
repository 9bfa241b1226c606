"""Stories of the bot learning how long a model takes: after a few videos of one kind it polls
Atlas once or twice, near the expected finish, instead of all along; and it remembers across
a restart."""

from __future__ import annotations

import sqlite3

import pytest

from tests.e2e.conftest import World, status_of

GEMINI = "google/gemini-omni-flash/text-to-video-developer"
TAKES = 0.4  # seconds per video at the simulated Atlas; the config expects 0.05


async def _make(world: World, prompt: str, **options: object) -> int:
    """A member makes one video; the number of polls Atlas saw for it."""
    interaction = await world.video(prompt=prompt, **options)
    message = await world.final(interaction)
    assert status_of(message).startswith("Done"), status_of(message)
    (job,) = [j for j in world.sim.jobs.values() if j.prompt == prompt]
    return len(world.sim.requests_to(f"/model/prediction/{job.id}", "GET"))


def _learned(world: World) -> list[tuple[str, str, int, int, float]]:
    with sqlite3.connect(world.settings.env.database_path) as conn:
        return conn.execute(
            "SELECT model, resolution, duration, count, mean FROM eta_stats ORDER BY resolution"
        ).fetchall()


async def test_the_bot_learns_when_a_video_will_be_ready_and_polls_less(world: World) -> None:
    world.sim.script_prompt("[slow]", generation_seconds=TAKES)
    first = await _make(world, "[slow] fox 1")
    assert first >= 6, "never seen: polled from the config's 0.05 s estimate on"
    for n in (2, 3):
        await _make(world, f"[slow] fox {n}")

    assert _learned(world) == [(GEMINI, "1080p", 8, 3, pytest.approx(TAKES))]
    assert await _make(world, "[slow] fox 4") <= 3, "the first poll waits for the learned time"
    other = await _make(world, "[slow] fox in 720p", resolution="720p")
    assert other >= 6, "another resolution is another combination: not learned yet"


async def test_what_was_learned_survives_a_restart(world: World) -> None:
    world.sim.script_prompt("[slow]", generation_seconds=TAKES)
    for n in range(3):
        await _make(world, f"[slow] owl {n}")
    await world.restart()

    assert await _make(world, "[slow] owl after the restart") <= 3
    assert _learned(world)[0][3] == 4
