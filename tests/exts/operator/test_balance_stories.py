"""The operator's view (#18), the balance: the Atlas account's balance is watched, a job it
cannot pay is refused before anything is held or sent, the operator hears once per crossing,
and a balance that cannot be read never stops a job. End to end: the real bot, the fake
Discord, the Atlas simulator's account (which jobs draw down)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.check import _atlas_check
from bot.money import usd
from tests.conftest import make_env
from tests.e2e.conftest import GUILD, MEMBER, World, running_world, status_of
from tests.fake_discord import FakeInteraction

OPS_CHANNEL = 2009


async def until(ready: Callable[[], bool], what: str, timeout: float = 5) -> None:
    """Wait for something the fake Discord is not told about (the bot's own state)."""
    for _ in range(int(timeout / 0.01)):
        if ready():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


async def operated(world: World, **operator: Any) -> World:
    """Restart the bot with these `[operator]` settings and wait for its first balance read."""
    world.settings.operator = world.settings.operator.model_copy(update=operator)
    await world.restart()
    await until(lambda: world.bot.services.balance.readings > 0, "a balance read")
    return world


def ops_lines(world: World) -> list[str]:
    """What the bot wrote in the operator's alert channel, oldest first."""
    posted = [m for m in world.discord.messages.values() if m.channel_id == OPS_CHANNEL]
    return [m.content or "" for m in sorted(posted, key=lambda m: m.id)]


async def answer(interaction: FakeInteraction) -> str:
    await interaction.wait_response()
    return str((interaction.response_data or {}).get("content") or "")


def submits(world: World) -> int:
    return len(world.sim.requests_to("/model/generateVideo", "POST"))


@pytest.fixture
async def ops_world(tmp_path: Path) -> AsyncIterator[World]:
    async with running_world(tmp_path) as world:
        world.discord.add_channel(GUILD, OPS_CHANNEL, name="bot-ops")
        yield world


async def test_a_job_the_atlas_balance_cannot_pay_is_refused_and_the_operator_told_once(
    ops_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world = ops_world
    caplog.set_level(logging.INFO, logger="bot.operator")
    world.sim.account.balance = usd("2.50")
    await operated(world, alert_channel_id=OPS_CHANNEL, low_balance=usd("10.00"))

    await world.discord.wait_until(lambda: len(ops_lines(world)) >= 1, 5, "the low alert")
    assert ops_lines(world) == [
        "⚠️ The Atlas Cloud balance is low: USD 2.50 left, below USD 10.00. Top up the Atlas "
        "account before members' videos are refused."
    ]
    for _ in range(2):  # a video of USD 1.00 each: the simulator's account pays them
        assert status_of(await world.final(await world.video(prompt="a fox"))).startswith("Done")
    assert world.sim.account.balance == usd("0.50"), "Atlas charged both"
    assert world.bot.services.balance.balance == usd("0.50"), "the bot counted them too"

    refused = await world.video(prompt="a third fox")
    assert await answer(refused) == (
        "The bot's Atlas Cloud account is out of credit for this video (USD 1.00), and the "
        "bot's operator has been told. Nothing was held or charged: try again later."
    )
    assert (refused.response_data or {}).get("flags", 0) & 64, "privately"
    again = await world.video(prompt="a fourth fox")
    assert "out of credit" in await answer(again)
    assert submits(world) == 2, "nothing was sent to Atlas"
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (usd("2.00"), 0), "nothing was held"
    await world.discord.wait_until(lambda: len(ops_lines(world)) >= 2, 5, "the refusal alert")
    assert ops_lines(world)[1:] == [
        "🛑 A video of USD 1.00 was refused: the Atlas Cloud balance is USD 0.50. Members hear "
        "that the bot is out of credit until the account is topped up."
    ], "one alert for both refusals"

    # Checks without a crossing say nothing more.
    await world.bot.services.balance.check()
    await world.bot.services.balance.check()
    world.sim.account.balance += usd("20.00")  # the operator tops up
    await world.bot.services.balance.check()
    await world.discord.wait_until(lambda: len(ops_lines(world)) >= 3, 5, "the recovery")
    assert ops_lines(world)[2:] == [
        "✅ The Atlas Cloud balance is back above USD 10.00: USD 20.50."
    ]
    assert status_of(await world.final(await world.video(prompt="a fox again"))).startswith("Done")

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "the Atlas balance is low: USD 2.50, below USD 10.00; top up the Atlas account",
        "a job of USD 1.00 was refused: the Atlas balance is USD 0.50; top up the Atlas account",
    ]
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert "the Atlas balance (USD 20.50) covers jobs again: jobs flow" in infos


async def test_an_unreadable_balance_never_blocks_a_job_and_is_said_once(
    ops_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world = ops_world
    world.sim.account.readable = False  # a key without the right to read billing data: 403
    world.sim.account.balance = usd("0.10")  # would refuse everything, if it could be read
    await operated(world, alert_channel_id=OPS_CHANNEL)
    await world.bot.services.balance.check()

    assert world.bot.services.balance.balance is None
    message = await world.final(await world.video(prompt="a fox"))
    assert "Atlas Cloud account is out of balance" in status_of(message), (
        "Atlas itself refused (402), as before the balance was watched"
    )
    assert submits(world) == 1, "the job went to Atlas: the bot did not know better"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "cannot read the Atlas balance (the API key may not read it (403)): jobs run without "
        "a balance check until it reads"
    ]
    assert ops_lines(world) == []


async def test_check_prints_the_balance_or_why_it_cannot(ops_world: World) -> None:
    sim = ops_world.sim
    env = make_env(atlascloud_api_key=sim.api_key, atlas_base_url=sim.base_url)
    assert env.atlascloud_api_key is not None

    sim.account.balance = usd("125.50")
    ok = await _atlas_check(env, env.atlascloud_api_key, 5)
    assert ok.ok
    assert (
        ok.detail == f"ATLASCLOUD_API_KEY accepted by {sim.base_url}; balance USD 125.50 available"
    )

    sim.account.readable = False
    unreadable = await _atlas_check(env, env.atlascloud_api_key, 5)
    assert unreadable.ok, "a 403 proves the key valid"
    assert unreadable.detail.endswith(
        "the balance cannot be read with this key (403): jobs run without a balance check"
    )
