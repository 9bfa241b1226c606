"""The line: limits of jobs in flight (bot, server, member), turns, places, giving up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.jobs.line import Line

GUILD, OTHER_GUILD = 1, 2


class Runs:
    """Jobs that take a slot and hold it until released by the test."""

    def __init__(self, line: Line) -> None:
        self.line = line
        self.started: list[str] = []
        self.places: dict[str, list[int]] = {}
        self.gates: dict[str, asyncio.Event] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def add(self, name: str, guild: int = GUILD, user: int = 1) -> None:
        self.gates[name] = asyncio.Event()
        self.tasks[name] = asyncio.create_task(self._run(name, guild, user))

    async def _run(self, name: str, guild: int, user: int) -> None:
        async def on_place(place: int) -> None:
            self.places.setdefault(name, []).append(place)

        async with self.line.join(name, guild, user, on_place):
            self.started.append(name)
            await self.gates[name].wait()

    async def finish(self, *names: str) -> None:
        for name in names:
            self.gates[name].set()
            await self.tasks[name]
        await settle()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_member_at_their_limit_waits_while_others_take_turns() -> None:
    line = Line(10, per_guild=3, per_user=1)
    runs = Runs(line)
    for name in ("a1", "a2", "a3", "a4", "a5"):  # one member asks five times
        runs.add(name, user=1)
    runs.add("b1", user=2)
    runs.add("c1", user=3)
    await settle()
    assert runs.started == ["a1", "b1", "c1"]
    assert [line.place(n) for n in ("a2", "a3")] == [1, 2]
    await runs.finish("b1")
    assert runs.started == ["a1", "b1", "c1"], "the member at their limit still waits"
    await runs.finish("a1")
    assert runs.started[-1] == "a2"


async def test_members_take_turns_within_a_server() -> None:
    line = Line(10, per_guild=1, per_user=1)
    runs = Runs(line)
    runs.add("first", user=9)
    for name in ("a1", "a2", "a3"):
        runs.add(name, user=1)
    runs.add("b1", user=2)
    runs.add("c1", user=3)
    await settle()
    # Turns: a's first, then b's, then c's, then a's second...
    assert [line.place(n) for n in ("a1", "b1", "c1", "a2", "a3")] == [1, 2, 3, 4, 5]
    order = []
    for _ in range(5):
        running = next(n for n in runs.started if not runs.gates[n].is_set())
        await runs.finish(running)
        order.append(runs.started[-1])
    assert order == ["a1", "b1", "c1", "a2", "a3"]


async def test_servers_take_turns_for_the_bots_slots() -> None:
    line = Line(1, per_guild=10, per_user=10)
    runs = Runs(line)
    runs.add("busy-0", guild=GUILD, user=1)
    for n in range(1, 6):  # a burst in one server
        runs.add(f"busy-{n}", guild=GUILD, user=n)
    runs.add("quiet", guild=OTHER_GUILD, user=7)
    await settle()
    await runs.finish("busy-0")
    await runs.finish(runs.started[-1])
    assert "quiet" in runs.started[:3], "the other server was served in its turn"


async def test_a_waiting_job_hears_its_place_when_it_moves_and_never_after_it_started() -> None:
    line = Line(1, per_guild=1, per_user=5)
    runs = Runs(line)
    for name in ("j0", "j1", "j2", "j3"):
        runs.add(name)
    await settle()
    assert runs.places == {"j1": [1], "j2": [2], "j3": [3]}
    await runs.finish("j0")
    await runs.finish("j1")
    assert runs.places["j3"] == [3, 2, 1]
    assert runs.places["j1"] == [1], "no place told once started"


async def test_a_cancelled_waiter_leaves_the_line_and_others_move_up() -> None:
    line = Line(1, per_guild=1, per_user=5)
    runs = Runs(line)
    for name in ("first", "second", "third"):
        runs.add(name)
    await settle()
    runs.tasks["second"].cancel()
    with pytest.raises(asyncio.CancelledError):
        await runs.tasks["second"]
    await settle()
    assert line.place("third") == 1
    assert runs.places["third"] == [2, 1]
    await runs.finish("first", "third")
    assert (line.running, line.waiting) == (0, 0)


async def test_a_ticket_left_unused_gives_its_place_back() -> None:
    line = Line(1, per_guild=1, per_user=5)
    quiet: Callable[[int], Awaitable[None]] = _quiet
    held = line.join("held", GUILD, 1, quiet)
    waiting = line.join("waiting", GUILD, 1, quiet)
    assert (line.running, line.waiting, line.place("waiting")) == (1, 1, 1)
    waiting.leave()
    waiting.leave()  # once, whatever calls it
    held.leave()
    assert (line.running, line.waiting) == (0, 0)


async def _quiet(place: int) -> None:
    return None


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Line(0, per_guild=1, per_user=1)


async def test_a_closed_line_starts_no_more_jobs() -> None:
    line = Line(1, per_guild=1, per_user=5)
    runs = Runs(line)
    runs.add("running")
    runs.add("waiting")
    await settle()
    await line.close()  # shutdown: the running job is stopped next
    runs.tasks["running"].cancel()
    await settle()
    assert runs.started == ["running"], "the freed slot started nothing"
    runs.tasks["waiting"].cancel()
    await settle()


async def test_a_place_taken_before_anyone_listens_is_told_once_someone_does() -> None:
    """A job takes its place when prepared (its first message shows it); changes while its
    message is being sent are told when the runner listens, and only those."""
    line = Line(1, per_guild=1, per_user=1)
    running = line.join("a1", GUILD, 1)
    first_waiting = line.join("a2", GUILD, 1)
    second = line.join("a3", GUILD, 1)  # the same member's next job: place 2
    assert (running.place, first_waiting.place, second.place) == (None, 1, 2)
    other = line.join("b1", GUILD, 2)  # another member's first job goes ahead of it
    assert (line.place("a3"), line.place("b1")) == (3, 2)
    await settle()
    assert second.place == 2, "nobody listens yet: it keeps the place its message shows"

    heard: list[int] = []

    async def on_place(place: int) -> None:
        heard.append(place)

    second.listen(on_place)
    await settle()
    assert heard == [3]
    other.listen(on_place)
    await settle()
    assert heard == [3], "b1 is where it joined: nothing to tell"
    for ticket in (running, first_waiting, second, other):
        ticket.leave()
    await line.close()
