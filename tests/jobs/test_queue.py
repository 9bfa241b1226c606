"""The in-flight limit: fair order, positions, and a waiter that gives up."""

from __future__ import annotations

import asyncio

import pytest

from bot.jobs.queue import JobQueue


async def test_jobs_run_in_arrival_order_within_capacity() -> None:
    queue = JobQueue(2)
    started: list[str] = []
    positions: dict[str, list[int]] = {}
    gates = {f"j{i}": asyncio.Event() for i in range(5)}

    async def job(name: str) -> None:
        async def on_position(position: int) -> None:
            positions.setdefault(name, []).append(position)

        async with queue.slot(name, on_position):
            started.append(name)
            await gates[name].wait()

    tasks = [asyncio.create_task(job(f"j{i}")) for i in range(5)]
    await asyncio.sleep(0.01)
    assert started == ["j0", "j1"]
    assert (queue.running, queue.waiting) == (2, 3)
    assert [queue.position(f"j{i}") for i in range(5)] == [None, None, 1, 2, 3]
    gates["j0"].set()
    await asyncio.sleep(0.01)
    assert started == ["j0", "j1", "j2"]
    assert positions["j4"] == [3, 2], "told when it moved up"
    for gate in gates.values():
        gate.set()
    await asyncio.gather(*tasks)
    assert started == ["j0", "j1", "j2", "j3", "j4"]
    assert (queue.running, queue.waiting) == (0, 0)


async def test_a_cancelled_waiter_leaves_the_line_and_others_move_up() -> None:
    queue = JobQueue(1)
    gate = asyncio.Event()
    heard: list[int] = []

    async def hold() -> None:
        async with queue.slot("first", _quiet):
            await gate.wait()

    async def wait(name: str) -> None:
        async def on_position(position: int) -> None:
            if name == "third":
                heard.append(position)

        async with queue.slot(name, on_position):
            pass

    first = asyncio.create_task(hold())
    await asyncio.sleep(0)
    second = asyncio.create_task(wait("second"))
    third = asyncio.create_task(wait("third"))
    await asyncio.sleep(0.01)
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    assert queue.position("third") == 1
    assert heard == [2, 1]
    gate.set()
    await asyncio.gather(first, third)
    assert (queue.running, queue.waiting) == (0, 0)


async def _quiet(position: int) -> None:
    return None


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        JobQueue(0)
