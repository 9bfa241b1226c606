"""Approval requests: an admin's answer reaches the waiting job once; late or foreign answers
are refused; nobody answering in time reads as None."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.jobs.approval import Approvals, Decision, DecisionRefused

GUILD = 1000
DEADLINE = datetime(2026, 3, 10, 12, 10, tzinfo=UTC)


async def test_an_admins_answer_reaches_the_waiting_job() -> None:
    approvals = Approvals()
    approvals.open("job-1", GUILD, DEADLINE)
    assert approvals.waiting("job-1")
    assert approvals.deadline("job-1") == DEADLINE
    waiting = asyncio.create_task(approvals.wait("job-1", timeout=5))
    await asyncio.sleep(0)
    approvals.decide("job-1", GUILD, approved=True, by=13)
    assert await waiting == Decision(True, 13)
    assert not approvals.waiting("job-1")
    with pytest.raises(DecisionRefused):
        approvals.decide("job-1", GUILD, approved=False, by=13)


async def test_an_answer_from_another_server_or_a_second_answer_is_refused() -> None:
    approvals = Approvals()
    approvals.open("job-1", GUILD, DEADLINE)
    with pytest.raises(DecisionRefused):
        approvals.decide("job-1", GUILD + 1, approved=True, by=99)
    approvals.decide("job-1", GUILD, approved=False, by=13)
    with pytest.raises(DecisionRefused):
        approvals.decide("job-1", GUILD, approved=True, by=14)
    assert await approvals.wait("job-1", timeout=5) == Decision(False, 13), "the first counts"


async def test_no_answer_in_time_is_none_and_closes_the_request() -> None:
    approvals = Approvals()
    approvals.open("job-1", GUILD, DEADLINE)
    assert await approvals.wait("job-1", timeout=0.01) is None
    with pytest.raises(DecisionRefused):
        approvals.decide("job-1", GUILD, approved=True, by=13)


async def test_a_cancelled_wait_closes_the_request() -> None:
    approvals = Approvals()
    approvals.open("job-1", GUILD, DEADLINE)
    waiting = asyncio.create_task(approvals.wait("job-1", timeout=5))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert not approvals.waiting("job-1")
    approvals.close("job-1")  # closing twice is harmless
    with pytest.raises(DecisionRefused):
        await approvals.wait("job-1", timeout=1)
