"""Stories of a bot reachable by Atlas (PUBLIC_WEBHOOK_URL set): Atlas calls it when a video is
ready, so the member gets the video without the bot polling, and a lost call, or one that
arrives while the bot restarts, only costs the slow safety poll."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sim.webhooks import RETRIES
from tests.e2e.conftest import GUILD, MEMBER, World, running_world, status_of

SAFETY_SECONDS = 0.4  # the test's safety net; 30 s in the shipped config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def hooked(tmp_path: Path) -> AsyncIterator[World]:
    port = free_port()
    env = {
        "public_webhook_url": f"http://127.0.0.1:{port}/atlas/webhook",
        "webhook_host": "127.0.0.1",
        "webhook_port": port,
    }
    polling = {"webhook_safety_interval_seconds": SAFETY_SECONDS}
    async with running_world(tmp_path, env=env, polling=polling) as world:
        yield world


def polls(world: World, prompt: str) -> int:
    (job,) = [j for j in world.sim.jobs.values() if j.prompt == prompt]
    return len(world.sim.requests_to(f"/model/prediction/{job.id}", "GET"))


async def test_atlas_calls_back_and_the_video_arrives_without_polling(hooked: World) -> None:
    # Done well before the first safety poll (the config expects 0.05 s).
    hooked.sim.script_prompt("heron", generation_seconds=0.01)
    interaction = await hooked.video(prompt="a heron at dawn")
    message = await hooked.final(interaction)

    assert status_of(message).startswith("Done"), status_of(message)
    assert message.attachments[0].data[4:8] == b"ftyp"
    (submit,) = hooked.sim.requests_to("/model/generateVideo")
    # A URL naming the job (and a token only the bot can make), under PUBLIC_WEBHOOK_URL.
    job = (await hooked.bot.job_store.recent(MEMBER, GUILD))[0]
    base = hooked.settings.env.public_webhook_url
    assert re.fullmatch(
        rf"{re.escape(str(base))}/{job.id}/[0-9a-f]{{32}}", submit.json["webhook_url"]
    )
    assert polls(hooked, "a heron at dawn") == 0
    assert [call.status for call in hooked.sim.webhooks.calls] == [200]
    summary = await hooked.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (1_000_000, 0)


async def test_a_lost_call_is_caught_by_the_safety_poll(hooked: World) -> None:
    hooked.sim.webhooks.fail_next("drop")
    interaction = await hooked.video(prompt="a heron at noon")
    message = await hooked.final(interaction)

    assert status_of(message).startswith("Done"), status_of(message)
    assert polls(hooked, "a heron at noon") >= 1
    summary = await hooked.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (1_000_000, 0)


async def test_a_forged_call_changes_nothing(hooked: World) -> None:
    hooked.sim.webhooks.fail_next("bad_signature")
    hooked.sim.script_prompt("[fails]", outcome="fail")
    interaction = await hooked.video(prompt="[fails] a heron at dusk")
    message = await hooked.final(interaction)

    assert [call.status for call in hooked.sim.webhooks.calls] == [401]
    assert status_of(message).startswith("Failed"), "the safety poll saw the real outcome"
    summary = await hooked.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (0, 0), "nothing charged for a failed job"


async def test_a_call_during_a_restart_is_covered_by_the_next_start(hooked: World) -> None:
    hooked.sim.script_prompt("[long]", generation_seconds=1.0)
    interaction = await hooked.video(prompt="[long] a heron in the rain")
    await hooked.discord.wait_until(lambda: hooked.sim.jobs, 5, "the submit")
    await hooked.stop_bot()  # Atlas calls while no one listens: refused, retried, given up
    await hooked.sim.webhooks.wait_for_calls(RETRIES)
    await hooked.start_bot()

    message = await hooked.final(interaction)
    assert status_of(message).startswith("Done"), status_of(message)
    assert [call.status for call in hooked.sim.webhooks.calls] == [None] * RETRIES
    summary = await hooked.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (1_000_000, 0), "charged once, across the restart"
