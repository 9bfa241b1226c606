"""Stories of a bot reachable by Atlas (PUBLIC_WEBHOOK_URL set): Atlas calls it when a video is
ready, so the member gets the video without the bot polling, and a lost call, or one that
arrives while the bot restarts, only costs the slow safety poll."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path

import aiohttp
import pytest

from bot.jobs.record import JobRecord, JobState
from bot.sim.webhooks import RETRIES
from tests.crash.waiting import until
from tests.e2e.conftest import ADMIN, CHANNEL, GUILD, MEMBER, World, running_world, status_of

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


# -- a submit whose answer was lost (#21) -----------------------------------------------------


async def _job(world: World, state: JobState | None = None) -> JobRecord:
    """The member's job (once stored in `state`: the message shows an ending a moment before
    the row records it)."""

    async def latest() -> JobRecord:
        return (await world.bot.job_store.recent(MEMBER, GUILD))[0]

    if state is not None:
        await until(lambda: _in(latest(), state), f"the job to be {state}")
    return await latest()


async def _in(job: Awaitable[JobRecord], state: JobState) -> bool:
    return (await job).state is state


@pytest.mark.parametrize("fault", ["created-500", "drop"])
async def test_atlas_call_recovers_a_submit_whose_answer_was_lost(
    hooked: World, fault: str
) -> None:
    hooked.sim.fail_next("submit", fault)  # type: ignore[arg-type]
    hooked.sim.script_prompt("heron", generation_seconds=0.3)
    interaction = await hooked.video(prompt="a heron on one leg")
    # It may show "uncertain" for a moment, until Atlas's call comes.
    message = await interaction.wait_message(lambda m: status_of(m).startswith("Done"), 10)

    status = status_of(message)
    assert status.startswith("Done"), status
    assert "Atlas confirmed this video after all" in status
    assert len(message.attachments) == 1
    job = await _job(hooked, JobState.DELIVERED)
    (created,) = hooked.sim.jobs.values()
    assert (job.state, job.prediction_id) == (JobState.DELIVERED, created.id)
    assert job.meta.confirmed_by_call
    assert hooked.sim.submits_by_prompt["a heron on one leg"] == 1, "never submitted twice"
    summary = await hooked.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (1_000_000, 0), "charged once"
    report = await hooked.discord.invoke(
        "budget-admin", subcommand="report", user_id=ADMIN, guild_id=GUILD, channel_id=CHANNEL
    )
    await report.wait_response()
    fields = {f["name"]: f["value"] for f in (report.response_data or {})["embeds"][0]["fields"]}
    assert fields["Found again by Atlas's call"].startswith("1 job(s) whose submit answer")


async def test_a_lost_answer_and_a_restart_before_the_call_still_deliver_once(
    hooked: World,
) -> None:
    hooked.sim.fail_next("submit", "drop")
    hooked.sim.script_prompt("[long]", generation_seconds=1.0)
    interaction = await hooked.video(prompt="[long] a heron in the fog")
    await interaction.wait_message(lambda m: status_of(m).startswith("We could not confirm"))
    await hooked.stop_bot()
    await hooked.start_bot()  # the job is uncertain when the call comes

    message = await interaction.wait_message(lambda m: status_of(m).startswith("Done"), 10)
    assert status_of(message).startswith("Done"), status_of(message)
    await _job(hooked, JobState.DELIVERED)
    summary = await hooked.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (1_000_000, 0)


async def test_a_call_for_another_jobs_url_is_refused_before_its_signature(
    hooked: World,
) -> None:
    hooked.sim.fail_next("submit", "drop")
    hooked.sim.script_prompt("[stuck]", outcome="stuck")  # Atlas never calls back this one
    interaction = await hooked.video(prompt="[stuck] a heron asleep")
    await interaction.wait_message(lambda m: status_of(m).startswith("We could not confirm"))
    job = await _job(hooked)
    base = str(hooked.settings.env.public_webhook_url)
    async with aiohttp.ClientSession() as http:
        forged = await http.post(f"{base}/{job.id}/{'0' * 32}", json={"data": {"id": "x"}})
        forged_status = forged.status
        guessed = await http.post(f"{base}/{'a' * 32}/{'1' * 32}", data=b"{}")
        guessed_status = guessed.status
    assert (forged_status, guessed_status) == (404, 404)
    assert (await _job(hooked)).state is JobState.UNCERTAIN, "nothing changed"
