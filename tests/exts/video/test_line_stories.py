"""A busy server: jobs over the server's or the member's limit wait in line, their price held
at once, and are served in turns; the line survives a restart, and cancel works in it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.jobs.record import JobState
from tests.e2e.conftest import GUILD, MEMBER, World, running_world, status_of
from tests.fake_discord import FakeInteraction, FakeMessage

BUSY = {"max_concurrent_jobs_per_guild": "10", "default_guild_cap_usd": "500.00"}


def _members(world: World, count: int, first: int = 100) -> list[int]:
    ids = list(range(first, first + count))
    for user_id in ids:
        world.discord.add_member(GUILD, user_id, name=f"m{user_id}")
    return ids


async def _sample_in_flight(world: World, peaks: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        running, _ = world.bot.jobs.in_flight(GUILD)
        peaks.append(running)
        await asyncio.sleep(0.002)


def _said(message: FakeMessage, prefix: str) -> list[str]:
    return [s for s in (_status(edit) for edit in message.edits) if s.startswith(prefix)]


def _first_shown(message: FakeMessage) -> dict[str, object]:
    """The first body the member saw with the job in it (after any "thinking...")."""
    return next(body for body in message.edits if body.get("embeds"))


def _status(body: dict[str, object]) -> str:
    for embed in body.get("embeds", []) or []:  # type: ignore[union-attr]
        for field in embed.get("fields", []):
            if field["name"] == "Status":
                return str(field["value"])
    return ""


async def test_fifty_members_at_once_all_get_their_video_in_turn(tmp_path: Path) -> None:
    async with running_world(tmp_path, **BUSY) as world:
        members = _members(world, 50)
        peaks: list[int] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample_in_flight(world, peaks, stop))
        asked: list[FakeInteraction] = await asyncio.gather(
            *(world.video(user_id=m, prompt=f"a lantern festival, view {m}") for m in members)
        )
        finals = [await world.final(i, timeout=60) for i in asked]
        stop.set()
        await sampler

        assert all(status_of(m).startswith("Done") for m in finals), "none refused or failed"
        assert len(world.sim.requests_to("/model/generateVideo", "POST")) == 50
        assert max(peaks) <= 10, "never more than the server's limit at once"
        waited = [m for m in finals if _said(m, "Queued: number")]
        assert len(waited) >= 30, "places were shown to those who waited"
        first_shown = [m for m in waited if _status(_first_shown(m)).startswith("Queued: number")]
        assert len(first_shown) >= 30, "the place is in the answer itself, not one edit later"
        assert all(len(m.edits) <= 6 for m in finals), [len(m.edits) for m in finals]
        assert await world.bot.ledger.audit() == []
        summary = await world.bot.ledger.summary(members[0], GUILD, [])
        assert (summary.spent, summary.held) == (1_000_000, 0)


async def test_one_members_burst_does_not_block_the_others(tmp_path: Path) -> None:
    limits = {**BUSY, "max_concurrent_jobs_per_guild": "1", "max_waiting_jobs_per_user": "5"}
    async with running_world(tmp_path, **limits) as world:
        world.sim.script_prompt("slow", generation_seconds=0.5)
        first = await world.video(prompt="slow start")
        await first.wait_message(lambda m: status_of(m).startswith(("Submitted", "Generating")))
        burst = [await world.video(prompt=f"mine {n}") for n in range(4)]
        other_member = _members(world, 1, first=500)[0]
        other = await world.video(user_id=other_member, prompt="someone else's")
        for interaction in (first, *burst, other):
            await world.final(interaction, timeout=30)
        submits = [r.json["prompt"] for r in world.sim.requests_to("/model/generateVideo")]
        assert submits.index("someone else's") <= 2, submits


async def test_a_restart_keeps_every_waiting_job_in_its_place(tmp_path: Path) -> None:
    limits = {**BUSY, "max_concurrent_jobs_per_guild": "1"}
    # After a restart every edit goes through the channel API, whose bucket Discord shares
    # among the channel's messages (5 per 5 s): on the test's compressed clock, 5 per 0.25 s.
    shrunk = {"window_scale": 0.05}
    async with running_world(tmp_path, discord_options=shrunk, **limits) as world:
        world.sim.script_prompt("blocker", generation_seconds=30)
        blocker = await world.video(prompt="the blocker")
        await blocker.wait_message(lambda m: status_of(m).startswith("Generating"))
        members = _members(world, 30)
        waiting = [await world.video(user_id=m, prompt=f"waiting {m}") for m in members]
        for interaction in waiting:
            await interaction.wait_message(lambda m: status_of(m).startswith("Queued"))
        await world.restart()
        world.sim.complete_now(
            world.sim.requests_to("/model/generateVideo")[0].json and next(iter(world.sim.jobs))
        )
        finals = [await world.final(i, timeout=60) for i in waiting]

        assert all(status_of(m).startswith("Done") for m in finals), [
            status_of(m) for m in finals if not status_of(m).startswith("Done")
        ]
        prompts = [r.json["prompt"] for r in world.sim.requests_to("/model/generateVideo")]
        assert prompts[1:] == [f"waiting {m}" for m in members], "in their order, once each"
        assert await world.bot.ledger.audit() == []


async def test_cancel_while_waiting_releases_and_nothing_reaches_atlas(tmp_path: Path) -> None:
    limits = {**BUSY, "max_concurrent_jobs_per_guild": "1"}
    async with running_world(tmp_path, **limits) as world:
        world.sim.script_prompt("blocker", generation_seconds=0.5)
        blocker = await world.video(prompt="the blocker")
        await blocker.wait_message(lambda m: status_of(m).startswith(("Submitted", "Generating")))
        waiting = await world.video(prompt="never mind")
        message = await waiting.wait_message(lambda m: status_of(m).startswith("Queued: number"))
        cancel_id = next(c["custom_id"] for c in _buttons(message) if "cancel" in c["custom_id"])
        await world.discord.click(
            message.id, cancel_id, user_id=MEMBER, guild_id=GUILD, channel_id=message.channel_id
        )
        await waiting.wait_message(lambda m: status_of(m).startswith("Cancelled"))
        await world.final(blocker)

        assert world.sim.submits_by_prompt["never mind"] == 0
        job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
        assert job.state is JobState.CANCELLED
        settlement = await world.bot.ledger.settlement(job.id)
        assert settlement is not None
        assert settlement.outcome == "released"


async def test_a_full_line_is_refused_saying_how_full(tmp_path: Path) -> None:
    limits = {**BUSY, "max_concurrent_jobs_per_guild": "1", "max_waiting_jobs_per_guild": "1"}
    async with running_world(tmp_path, **limits) as world:
        world.sim.script_prompt("blocker", generation_seconds=1.0)
        members = _members(world, 3)
        blocker = await world.video(user_id=members[0], prompt="the blocker")
        await blocker.wait_message(lambda m: status_of(m).startswith(("Submitted", "Generating")))
        second = await world.video(user_id=members[1], prompt="second")
        await second.wait_message(lambda m: status_of(m).startswith("Queued"))
        third = await world.video(user_id=members[2], prompt="third")
        await third.wait_response()
        refusal = (third.response_data or {}).get("content", "")
        assert "line is full: 1 videos are waiting and 1 are being made" in refusal
        assert world.sim.submits_by_prompt["third"] == 0


def _buttons(message: FakeMessage) -> list[dict[str, str]]:
    return [c for row in message.components for c in row.get("components", [])]
