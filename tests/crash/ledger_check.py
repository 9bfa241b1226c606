"""The ledger's promises, checked on the SQLite file once the bot is gone (or from a live bot).

After any crash, restart or fault: the file is intact, the cached totals match the entries,
every job has at most one settlement and the one its state calls for, every member stays
within spent + held <= limit, and the only holds still open belong to *uncertain* jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.db import Conn, Database, Store
from bot.jobs.record import JobRecord, JobState
from bot.jobs.store import JobStore
from bot.ledger import BudgetSummary, Ledger, Settlement
from bot.settings import Settings
from bot.sim import AtlasSimulator

RELEASED_STATES = frozenset(
    {JobState.FAILED, JobState.REJECTED, JobState.CANCELLED, JobState.EXPIRED}
)


@dataclass(frozen=True)
class LedgerFacts:
    """What the file says, once it passed every check."""

    jobs: dict[str, JobRecord]
    settlements: dict[str, Settlement | None]
    summaries: dict[tuple[int, int], BudgetSummary]

    def job(self, index: int = 0) -> JobRecord:
        """The `index`-th job by creation time."""
        return sorted(self.jobs.values(), key=lambda j: j.created_at)[index]

    def settlement(self, index: int = 0) -> Settlement | None:
        """How the `index`-th job's hold ended (None: still held)."""
        return self.settlements[self.job(index).id]


async def _duplicate_entries(conn: Conn) -> list[tuple[str, int]]:
    query = "SELECT job_id, count(*) FROM entries GROUP BY job_id HAVING count(*) > 1"
    return [(str(job_id), int(n)) for job_id, n in await conn.fetchall(query)]


async def _open_holds(conn: Conn) -> list[str]:
    rows = await conn.fetchall("SELECT job_id FROM holds WHERE settled IS NULL")
    return [str(r[0]) for r in rows]


async def _integrity(conn: Conn) -> str:
    if conn.dialect != "sqlite":
        return "ok"
    row = await conn.fetchone("PRAGMA integrity_check")
    return str(row[0]) if row else "no answer"


async def _job_ids(conn: Conn) -> list[str]:
    order = "rowid" if conn.dialect == "sqlite" else "seq"
    query = f"SELECT id FROM jobs ORDER BY created_at, {order}"  # noqa: S608
    return [str(r[0]) for r in await conn.fetchall(query)]


async def _members(conn: Conn) -> list[tuple[int, int]]:
    rows = await conn.fetchall("SELECT DISTINCT user_id, guild_id FROM holds")
    return [(int(u), int(g)) for u, g in rows]


async def check_db(db: Store, settings: Settings) -> LedgerFacts:
    """Check every invariant through `db`; raise AssertionError naming each broken one."""
    ledger = Ledger(db, settings.budget)
    store = JobStore(db)
    problems: list[str] = []
    integrity = await db.read(_integrity)
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    problems += [f"audit: {p}" for p in await ledger.audit()]
    problems += [f"job {j} has {n} settlements" for j, n in await db.read(_duplicate_entries)]
    jobs: dict[str, JobRecord] = {}
    settlements: dict[str, Settlement | None] = {}
    for job_id in await db.read(_job_ids):
        job = await store.get(job_id)
        assert job is not None
        jobs[job_id] = job
        settled = await ledger.settlement(job_id)
        settlements[job_id] = settled
        outcome = settled.outcome if settled is not None else "held"
        if job.state is JobState.DELIVERED and outcome != "captured":
            problems.append(f"job {job_id} delivered but its hold is {outcome}")
        elif job.state in RELEASED_STATES and job.meta.charged_by_admin and outcome != "captured":
            problems.append(f"job {job_id} was charged by an admin but its hold is {outcome}")
        elif (
            job.state in RELEASED_STATES and not job.meta.charged_by_admin and outcome != "released"
        ):
            problems.append(f"job {job_id} is {job.state} but its hold is {outcome}")
        elif job.state is JobState.UNCERTAIN and outcome != "held":
            problems.append(f"job {job_id} is uncertain but its hold is {outcome}")
        elif not job.state.is_terminal and job.state is not JobState.UNCERTAIN:
            problems.append(f"job {job_id} was left {job.state} (hold {outcome})")
    for job_id in await db.read(_open_holds):
        job_state = jobs[job_id].state if job_id in jobs else None
        if job_state is not JobState.UNCERTAIN:
            problems.append(f"hold of job {job_id} ({job_state}) is still open")
    summaries: dict[tuple[int, int], BudgetSummary] = {}
    for user_id, guild_id in await db.read(_members):
        summary = await ledger.summary(user_id, guild_id, [])
        summaries[(user_id, guild_id)] = summary
        if summary.spent + summary.held > summary.limit + summary.granted:
            problems.append(
                f"member {user_id}: spent {summary.spent} + held {summary.held} > "
                f"limit {summary.limit} + granted {summary.granted}"
            )
    if problems:
        raise AssertionError("ledger broken:\n  " + "\n  ".join(problems))
    return LedgerFacts(jobs, settlements, summaries)


async def check_ledger(db_path: Path, settings: Settings) -> LedgerFacts:
    """Open the file the (stopped) bot left and check it; see `check_db`."""
    db = await Database.open(db_path)
    try:
        return await check_db(db, settings)
    finally:
        await db.close()


def check_against_atlas(facts: LedgerFacts, sim: AtlasSimulator, price: int) -> None:
    """What Atlas created (and so may bill), against the ledger.

    A job Atlas created and completed is never released: its hold is captured, or still held
    for an admin when the bot never learnt its id. And across all members, spent + held covers
    every job Atlas completed (each priced `price`): the operator's bill never exceeds what
    the ledger counts. Releasing a job after a 500 on its submit breaks both.
    """
    now = sim.clock()
    completed = [job for job in sim.jobs.values() if job.status(now) == "completed"]
    by_prediction = {job.prediction_id: job for job in facts.jobs.values() if job.prediction_id}
    released = [
        job.id
        for job in completed
        if job.id in by_prediction
        and (facts.settlements[by_prediction[job.id].id] or _HELD).outcome == "released"
    ]
    assert not released, f"jobs Atlas created and completed were released: {released}"
    counted = sum(s.spent + s.held for s in facts.summaries.values())
    billed = price * len(completed)
    assert counted >= billed, (
        f"the ledger counts {counted} spent + held; Atlas completed {len(completed)} jobs "
        f"({billed}): some were let go"
    )


@dataclass(frozen=True)
class _Held:
    outcome: str = "held"


_HELD = _Held()
