"""Random sequences of ledger moves against a simple in-memory model.

After every step: the ledger answered as the model did, and invariants (1) and (2) of
bot/ledger/ledger.py hold in the database itself (read straight from its tables), and the
cached totals equal the derived ones. On both engines.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.db import Conn, Store
from bot.ledger import (
    BudgetExceeded,
    Hold,
    HoldNotFound,
    Ledger,
    LedgerError,
    Settlement,
    SettlementConflict,
)
from tests.engines import ENGINES, Target, pg_url, shared_admin_url
from tests.ledger.helpers import ADMIN, GUILD, Clock, budget

ZONE = ZoneInfo("Europe/London")  # daily periods; the clocks go forward on 2026-03-29
START = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
TTL = 900
ROLE_A, ROLE_B = 501, 502
# user -> (roles, override): limits 10 (default), 15 (best role), 4 (role), 7 (override)
MEMBERS: dict[int, tuple[tuple[int, ...], int | None]] = {
    1001: ((), None),
    1002: ((ROLE_A, ROLE_B), None),
    1003: ((ROLE_B,), None),
    1004: ((ROLE_A,), 7),
}
ROLE_LIMITS = {ROLE_A: 15, ROLE_B: 4}
DEFAULT_LIMIT, GUILD_CAP, USER_JOBS, GUILD_JOBS = 10, 12, 3, 6
BUDGET = budget(
    default_user_limit_usd="0.000010",
    default_guild_cap_usd="0.000012",
    period="day",
    timezone=ZONE.key,
    max_concurrent_jobs_per_user=USER_JOBS,
    max_concurrent_jobs_per_guild=GUILD_JOBS,
    hold_ttl_seconds=TTL,
)


def limit_of(user: int) -> tuple[int, str]:
    roles, override = MEMBERS[user]
    if override is not None:
        return override, "user"
    limits = [ROLE_LIMITS[r] for r in roles if r in ROLE_LIMITS]
    return (max(limits), "role") if limits else (DEFAULT_LIMIT, "user")


def day_of(at: datetime) -> date:
    return at.astimezone(ZONE).date()


@dataclass
class ModelHold:
    user: int
    amount: int
    at: datetime
    state: str = "held"
    spent: int = 0
    pinned: bool = False


@dataclass
class Model:
    holds: dict[str, ModelHold] = field(default_factory=dict)
    grants: list[tuple[int, int, datetime]] = field(default_factory=list)

    def used(self, day: date, user: int | None) -> int:
        return sum(
            h.amount if h.state == "held" else h.spent
            for h in self.holds.values()
            if day_of(h.at) == day and (user is None or h.user == user)
        )

    def granted(self, day: date, user: int) -> int:
        return sum(a for u, a, at in self.grants if u == user and day_of(at) == day)

    def refusal(self, user: int, amount: int, now: datetime) -> str | None:
        limit, source = limit_of(user)
        room = limit + self.granted(day_of(now), user) - self.used(day_of(now), user)
        if amount > room:
            return source
        if amount > GUILD_CAP - self.used(day_of(now), None):
            return "guild"
        open_holds = [h for h in self.holds.values() if h.state == "held"]
        if sum(h.user == user for h in open_holds) >= USER_JOBS:
            return "user_concurrency"
        if len(open_holds) >= GUILD_JOBS:
            return "guild_concurrency"
        return None


reserve = st.tuples(st.just("reserve"), st.sampled_from(sorted(MEMBERS)), st.integers(0, 8))
capture = st.tuples(st.just("capture"), st.integers(0, 40), st.none() | st.integers(0, 8))
release = st.tuples(st.just("release"), st.integers(0, 40), st.none())
pin = st.tuples(st.just("pin"), st.integers(0, 40), st.none())
grant = st.tuples(st.just("grant"), st.sampled_from(sorted(MEMBERS)), st.integers(1, 5))
wait = st.tuples(st.just("wait"), st.sampled_from([1, 60, 600, TTL, 3 * 3600]), st.none())
rollover = st.tuples(st.just("rollover"), st.sampled_from([-1, 0]), st.none())
expire = st.tuples(st.just("expire"), st.none(), st.none())
steps = st.lists(
    st.one_of(reserve, reserve, capture, capture, release, pin, grant, wait, rollover, expire),
    min_size=1,
    max_size=30,
)


def _next_midnight(now: datetime) -> datetime:
    local = datetime.combine(day_of(now) + timedelta(days=1), datetime.min.time(), tzinfo=ZONE)
    return local.astimezone(UTC)


async def _file_facts(conn: Conn) -> tuple[list[Any], list[Any], list[Any]]:
    holds = await conn.fetchall(
        "SELECT h.job_id, h.user_id, h.amount, h.created_at, h.settled, e.kind, e.amount"
        " FROM holds h LEFT JOIN entries e ON e.job_id = h.job_id"
    )
    grants = await conn.fetchall("SELECT user_id, amount, at FROM grants")
    doubles = await conn.fetchall("SELECT job_id FROM entries GROUP BY job_id HAVING count(*) > 1")
    return holds, grants, doubles


def _when(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)


async def _check_invariants(db: Store, ledger: Ledger) -> None:
    holds, grants, doubles = await db.read(_file_facts)
    # (2) one settlement per job at most, and the hold agrees with it.
    assert doubles == []
    for _, _, _, _, settled, kind, _ in holds:
        assert (settled, kind) in ((None, None), ("captured", "capture"), ("released", "release"))
    # (1) per member, per guild and per day: captured + held <= limit + grants.
    used: dict[tuple[int | None, date], int] = defaultdict(int)
    for _, user, amount, created, settled, _, spent in holds:
        counted = amount if settled is None else spent
        used[(user, day_of(_when(created)))] += counted
        used[(None, day_of(_when(created)))] += counted
    credit: dict[tuple[int, date], int] = defaultdict(int)
    for user, amount, at in grants:
        credit[(user, day_of(_when(at)))] += amount
    for (user, day), total in used.items():
        ceiling = GUILD_CAP if user is None else limit_of(user)[0] + credit[(user, day)]
        assert total <= ceiling, (user, day, total, ceiling)
    assert await ledger.audit() == []


async def _play(script: list[tuple[Any, Any, Any]], target: Target) -> None:
    clock = Clock(START)
    db = await target.open()
    ledger = Ledger(db, BUDGET, clock=clock)
    for role, amount in ROLE_LIMITS.items():
        await ledger.set_role_limit(GUILD, role, amount, by=ADMIN)
    await ledger.set_user_limit(GUILD, 1004, 7, by=ADMIN)
    model = Model()
    jobs: list[str] = []
    try:
        for n, (kind, a, b) in enumerate(script):
            await _step(ledger, model, clock, jobs, n, kind, a, b)
            await _check_invariants(db, ledger)
            for user in MEMBERS:
                summary = await ledger.summary(user, GUILD, MEMBERS[user][0])
                today = day_of(clock.now)
                assert summary.spent + summary.held == model.used(today, user)
                assert summary.granted == model.granted(today, user)
    finally:
        await db.close()


async def _attempt(move: Awaitable[Any]) -> Any:
    """The move's result, or the ledger error it raised."""
    try:
        return await move
    except LedgerError as exc:
        return exc


async def _step(
    ledger: Ledger, model: Model, clock: Clock, jobs: list[str], n: int, kind: str, a: Any, b: Any
) -> None:
    job = jobs[a % len(jobs)] if jobs and isinstance(a, int) else "unknown"
    hold = model.holds.get(job)
    state = None if hold is None else hold.state
    if kind == "reserve":
        expected = model.refusal(a, b, clock.now)
        outcome = await _attempt(ledger.reserve(f"job-{n}", a, GUILD, MEMBERS[a][0], b))
        if expected is None:
            assert isinstance(outcome, Hold)
            model.holds[f"job-{n}"] = ModelHold(a, b, clock.now)
            jobs.append(f"job-{n}")
        else:
            assert isinstance(outcome, BudgetExceeded)
            assert outcome.limit == expected
    elif kind in ("capture", "release"):
        wanted = "captured" if kind == "capture" else "released"
        if kind == "capture":
            price = None if b is None or hold is None else min(b, hold.amount)
            outcome = await _attempt(ledger.capture(job, price))
        else:
            outcome = await _attempt(ledger.release(job, "failed"))
        if hold is None:
            assert isinstance(outcome, HoldNotFound)
        elif state in ("held", wanted):
            assert isinstance(outcome, Settlement)
            if hold.state == "held":
                hold.state, hold.spent = wanted, outcome.amount
            assert (outcome.outcome, outcome.amount) == (wanted, hold.spent)
        else:
            assert isinstance(outcome, SettlementConflict)
    elif kind == "pin":
        outcome = await _attempt(ledger.pin(job))
        expected_type = {None: HoldNotFound, "released": SettlementConflict}.get(state)
        if expected_type is None:
            assert outcome is None
        else:
            assert type(outcome) is expected_type
        if hold is not None and state != "released":
            hold.pinned = True
    elif kind == "grant":
        await ledger.grant(GUILD, a, b, "property test", by=ADMIN)
        model.grants.append((a, b, clock.now))
    elif kind == "wait":
        clock.advance(seconds=a)
    elif kind == "rollover":
        clock.now = _next_midnight(clock.now) + timedelta(seconds=a)
    else:
        stale = sorted(
            (h.at, job_id)
            for job_id, h in model.holds.items()
            if h.state == "held" and not h.pinned and h.at + timedelta(seconds=TTL) <= clock.now
        )
        assert await ledger.expire_stale_holds() == [job_id for _, job_id in stale]
        for _, job_id in stale:
            model.holds[job_id].state = "released"


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        pg_url(shared_admin_url())  # skips (or fails under CI) here if there is no server
    return str(request.param)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(script=steps)
def test_random_sequences_keep_the_invariants_and_match_the_model(
    engine: str, script: list[tuple[Any, Any, Any]]
) -> None:
    if engine == "postgres":
        asyncio.run(_play(script, Target("postgres", url=pg_url(shared_admin_url()))))
        return
    with tempfile.TemporaryDirectory(prefix="ledger-property-") as folder:
        asyncio.run(_play(script, Target("sqlite", path=Path(folder) / "ledger.sqlite3")))
