"""The persisted job table: where each job stands, so a restart can pick up where it was.

It lives in the ledger's database (either engine), so a job's state change and its money
move (`tx=`) commit together. States only move forward, in the order `JobState` lists them;
a terminal state never changes again, and an uncertain job only moves to a terminal state
(an admin's call).

Leases: each job row names the process that follows it (`owner`) and until when
(`lease_until`). A store stamps its owner on the jobs it creates, renews its leases while it
runs, and at start-up takes over, each in one conditional UPDATE, the unfinished jobs of its
own shards and any job whose lease expired: two processes never follow the same job. The
owner names a role (the shard set), not an incarnation, so a restarted process takes its own
jobs back at once, while a job whose process died is taken over once its lease expires.

Longer than most modules: every read and write of the job table and its leases, so a job's
state has one door.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.db.errors import ConstraintViolation
from bot.db.schema import TERMINAL_JOB_STATES, UNFINISHED_JOBS_WHERE
from bot.db.store import Conn, Store, Tx, sql_in
from bot.db.times import from_micros, to_micros, utc_now
from bot.jobs.record import JobMeta, JobRecord, JobState, can_move
from bot.safety.held import Review


class JobStoreError(Exception):
    """Base of the job table's errors."""


class IllegalTransition(JobStoreError):
    """A backward move, a move out of a terminal state, or a state other than expected."""


class JobNotFound(JobStoreError):
    """No job has this id."""


class JobExists(JobStoreError):
    """A job with this id is already stored."""


class JobsRunning(JobStoreError):
    """The member still has jobs that have not ended: they cannot be erased yet."""


_COLUMNS = (
    "id, user_id, guild_id, channel_id, message_id, model, params, state, prediction_id,"
    " quote, actual_price, error, created_at, updated_at, submitted_at"
)
_SELECT = f"SELECT {_COLUMNS} FROM jobs"  # noqa: S608 - constant column list

_FIELDS = frozenset(
    {"message_id", "prediction_id", "actual_price", "error", "submitted_at", "meta"}
)
"""What `advance` may change besides the state."""

_COLUMN = {"meta": "params"}
"""Fields stored under another column name (the metadata is the `params` JSON)."""

JobWatcher = Callable[[JobState | None, JobRecord], None]
"""Hears every stored move: the state before (None: just created) and the row after. Called
after the write (inside the caller's transaction, if any); quick, never raises, does no I/O."""


def _params_json(meta: JobMeta) -> str:
    return json.dumps(meta.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _record(row: tuple[Any, ...]) -> JobRecord:
    (job_id, user_id, guild_id, channel_id, message_id, model, params, state, prediction_id,
     quote, actual_price, error, created, updated, submitted) = row  # fmt: skip
    return JobRecord(
        id=job_id,
        user_id=user_id,
        guild_id=guild_id,
        channel_id=channel_id,
        message_id=message_id,
        model=model,
        meta=JobMeta.from_json(json.loads(params)),
        state=JobState(state),
        prediction_id=prediction_id,
        quote=quote,
        actual_price=actual_price,
        error=error,
        created_at=from_micros(created),
        updated_at=from_micros(updated),
        submitted_at=None if submitted is None else from_micros(submitted),
    )


def _column_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "submitted_at":
        return to_micros(value)
    if name == "meta":
        return _params_json(value)
    if name == "actual_price" and (isinstance(value, bool) or value < 0):
        raise ValueError(f"actual_price must be micro-dollars >= 0, not {value!r}")
    return value


def _order(conn: Conn) -> str:
    # Insertion order: SQLite's rowid, PostgreSQL's identity column `seq`.
    return sql_in(conn.dialect, "rowid", "seq")


async def _insert(conn: Conn, job: JobRecord, owner: str, lease_us: int) -> None:
    try:
        inserted = await conn.execute(
            f"INSERT INTO jobs ({_COLUMNS}, owner, lease_until)"  # noqa: S608
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (
                job.id,
                job.user_id,
                job.guild_id,
                job.channel_id,
                job.message_id,
                job.model,
                _params_json(job.meta),
                JobState(job.state).value,
                job.prediction_id,
                job.quote,
                job.actual_price,
                job.error,
                to_micros(job.created_at),
                to_micros(job.updated_at),
                None if job.submitted_at is None else to_micros(job.submitted_at),
                owner,
                lease_us,
            ),
        )
    except ConstraintViolation as exc:
        raise ValueError(f"job {job.id} is not storable: {exc}") from None
    if not inserted:
        raise JobExists(f"job {job.id} already exists")


async def _advance(
    conn: Conn,
    job_id: str,
    state: JobState,
    expect: Collection[JobState] | None,
    fields: dict[str, Any],
    now_us: int,
) -> tuple[JobState, JobRecord]:
    locking = sql_in(conn.dialect, "", " FOR UPDATE")  # one mover at a time on PostgreSQL
    row = await conn.fetchone(f"{_SELECT} WHERE id = ?{locking}", (job_id,))
    if row is None:
        raise JobNotFound(f"no job {job_id}")
    current = _record(row)
    if expect is not None and current.state not in expect:
        raise IllegalTransition(
            f"job {job_id} is {current.state}, not {' or '.join(sorted(expect))}"
        )
    if not can_move(current.state, state):
        raise IllegalTransition(f"job {job_id} cannot go from {current.state} to {state}")
    new_prediction = fields.get("prediction_id")
    if current.prediction_id not in (None, new_prediction) and "prediction_id" in fields:
        # The prediction id is the only handle on a billed job: never lose it.
        raise IllegalTransition(
            f"job {job_id} already has prediction {current.prediction_id}, not {new_prediction}"
        )
    columns = ["state = ?", "updated_at = ?"]
    values: list[Any] = [state.value, now_us]
    for name in sorted(fields):
        columns.append(f"{_COLUMN.get(name, name)} = ?")
        values.append(_column_value(name, fields[name]))
    await conn.execute(f"UPDATE jobs SET {', '.join(columns)} WHERE id = ?", (*values, job_id))  # noqa: S608
    stored = await conn.fetchone(f"{_SELECT} WHERE id = ?", (job_id,))
    assert stored is not None
    return current.state, _record(stored)


SOLO_OWNER = "solo"
"""The owner of every job when one process runs every shard."""

LEASE_SECONDS = 90.0
"""How long a lease lasts unless renewed; `renew_leases` runs every third of it."""


@dataclass(frozen=True)
class Lease:
    """Who follows a job, until when."""

    owner: str
    until: datetime


_TAKE_LEASE = (
    "UPDATE jobs SET owner = ?, lease_until = ?"
    " WHERE id = ? AND (owner = ? OR lease_until <= ? OR (owner IS NULL AND ?))"
)


class JobStore:
    """Stores jobs and moves them forward through their states; leases them to one owner.

    `owner` names this process's role (see the module's docstring); `mine(guild_id)` says
    whether a server's jobs belong to this process's shards (default: all of them).
    """

    def __init__(
        self,
        db: Store,
        *,
        clock: Callable[[], datetime] = utc_now,
        owner: str = SOLO_OWNER,
        lease_seconds: float = LEASE_SECONDS,
        mine: Callable[[int], bool] | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self.owner = owner
        self.lease_seconds = lease_seconds
        self._mine = mine or (lambda _guild_id: True)
        self._watchers: list[JobWatcher] = []

    def watch(self, watcher: JobWatcher) -> None:
        """Tell `watcher` of every job created and moved from now on (metrics, alerts)."""
        self._watchers.append(watcher)

    def _tell(self, before: JobState | None, job: JobRecord) -> None:
        for watcher in self._watchers:
            watcher(before, job)

    def _lease_end_us(self) -> int:
        return to_micros(self._clock()) + int(self.lease_seconds * 1_000_000)

    async def create(self, job: JobRecord, *, tx: Tx | None = None) -> None:
        """Store a new job, leased to this store's owner (`JobExists` if its id is taken)."""
        if not job.id:
            raise ValueError("a job needs an id")
        owner, until = self.owner, self._lease_end_us()
        await self._db.run(lambda conn: _insert(conn, job, owner, until), tx=tx)
        self._tell(None, job)

    async def lease(self, job_id: str) -> Lease | None:
        """Who follows the job, until when (None: nobody, or no such job)."""
        row = await self._db.read(
            lambda conn: conn.fetchone(
                "SELECT owner, lease_until FROM jobs WHERE id = ?", (job_id,)
            )
        )
        if row is None or row[0] is None:
            return None
        return Lease(row[0], from_micros(row[1]))

    async def take_lease(self, job_id: str, *, own_shard: bool = True) -> bool:
        """Lease the job to this owner if it is free to take: already ours, its lease expired,
        or never leased and of our shards. One conditional UPDATE; True if we have it."""
        now_us, until = to_micros(self._clock()), self._lease_end_us()
        args = (self.owner, until, job_id, self.owner, now_us, own_shard)
        return bool(await self._db.run(lambda conn: conn.execute(_TAKE_LEASE, args)))

    async def renew_leases(self) -> int:
        """Push back the expiry of every unfinished job this owner holds; how many."""
        query = (
            "UPDATE jobs SET lease_until = ?"  # noqa: S608 - constant WHERE clause
            f" WHERE owner = ? AND {UNFINISHED_JOBS_WHERE}"
        )
        args = (self._lease_end_us(), self.owner)
        return await self._db.run(lambda conn: conn.execute(query, args))

    async def claim_unfinished(self) -> list[JobRecord]:
        """The unfinished jobs this process should follow, each leased to it: those of its
        shards not followed by a live process, and any whose lease expired."""
        claimed = []
        for job in await self.unfinished():
            if await self.take_lease(job.id, own_shard=self._mine(job.guild_id)):
                claimed.append(job)
        return claimed

    async def advance(
        self,
        job_id: str,
        state: JobState,
        *,
        tx: Tx | None = None,
        expect: Collection[JobState] | None = None,
        **fields: Any,
    ) -> JobRecord:
        """Move the job to `state` (or stay, updating `fields`) and return the stored row.

        `fields`: message_id, prediction_id, actual_price, error, submitted_at, meta.
        Raises `IllegalTransition` for a backward move, leaving a terminal state, or (with
        `expect`) when the job is not in one of the expected states.
        """
        unknown = set(fields) - _FIELDS
        if unknown:
            raise TypeError(f"advance() cannot set {', '.join(sorted(unknown))}")
        state = JobState(state)
        now_us = to_micros(self._clock())
        before, job = await self._db.run(
            lambda conn: _advance(conn, job_id, state, expect, fields, now_us), tx=tx
        )
        self._tell(before, job)
        return job

    async def attach_message(self, job_id: str, message_id: int) -> bool:
        """Remember the Discord message that shows the job, unless one is stored already.

        One statement (no read first): it runs once per job, on the way to Atlas.
        """
        now_us = to_micros(self._clock())
        changed = await self._db.run(
            lambda conn: conn.execute(
                "UPDATE jobs SET message_id = ?, updated_at = ? "
                "WHERE id = ? AND message_id IS NULL",
                (message_id, now_us, job_id),
            ),
            one_statement=True,
        )
        return changed == 1

    async def get(self, job_id: str) -> JobRecord | None:
        """The job, or None."""

        async def read(conn: Conn) -> JobRecord | None:
            row = await conn.fetchone(f"{_SELECT} WHERE id = ?", (job_id,))
            return None if row is None else _record(row)

        return await self._db.read(read)

    async def unfinished(self) -> list[JobRecord]:
        """Jobs not in a terminal state (UNCERTAIN included), oldest first: to resume."""

        async def read(conn: Conn) -> list[JobRecord]:
            query = f"{_SELECT} WHERE {UNFINISHED_JOBS_WHERE} ORDER BY created_at, {_order(conn)}"
            return [_record(r) for r in await conn.fetchall(query)]

        return await self._db.read(read)

    async def erase_details(self, before: datetime, *, limit: int = 500) -> list[str]:
        """Blank the prompt, links and roles of up to `limit` jobs that ended before `before`
        (oldest first; a video still held for review keeps its link); their ids."""
        before_us, now_us = to_micros(before), to_micros(self._clock())
        return await self._db.run(lambda conn: _erase_old(conn, before_us, limit, now_us))

    async def anonymise(
        self, guild_id: int, user_id: int, pseudonym: int, *, tx: Tx | None = None
    ) -> list[JobRecord]:
        """Erase a member's jobs in the guild: their rows belong to `pseudonym`, without
        prompts, links or roles; the jobs as they were. `JobsRunning` if one has not ended."""
        now_us = to_micros(self._clock())
        return await self._db.run(
            lambda conn: _anonymise(conn, guild_id, user_id, pseudonym, now_us), tx=tx
        )

    async def confirmed_by_call(self, guild_id: int, since: datetime) -> int:
        """How many of the server's jobs since `since` had lost their submit's answer and were
        found again by Atlas's call (see `bot.jobs.callbacks`)."""
        query = (
            "SELECT count(*) FROM job_callbacks c JOIN jobs j ON j.id = c.job_id"
            " WHERE j.guild_id = ? AND j.created_at >= ? AND j.params LIKE ?"
        )
        args = (guild_id, to_micros(since), '%"confirmed_by_call":true%')
        row = await self._db.read(lambda conn: conn.fetchone(query, args))
        return int(row[0]) if row else 0

    async def recent(self, user_id: int, guild_id: int, limit: int = 10) -> list[JobRecord]:
        """The member's latest jobs in the guild, newest first."""
        args = (guild_id, user_id, max(0, limit))

        async def read(conn: Conn) -> list[JobRecord]:
            query = (
                f"{_SELECT} WHERE guild_id = ? AND user_id = ?"
                f" ORDER BY created_at DESC, {_order(conn)} DESC LIMIT ?"
            )
            return [_record(r) for r in await conn.fetchall(query, args)]

        return await self._db.read(read)


_ENDED = ", ".join(f"'{state}'" for state in TERMINAL_JOB_STATES)


async def _erase_old(conn: Conn, before_us: int, limit: int, now_us: int) -> list[str]:
    rows = await conn.fetchall(
        f"{_SELECT} INDEXED BY jobs_details_kept"
        f" WHERE erased_at IS NULL AND updated_at < ? AND state IN ({_ENDED})"
        " ORDER BY updated_at LIMIT ?",
        (before_us, limit),
    )
    erased = []
    for row in rows:
        job = _record(row)
        if job.meta.review is Review.PENDING:
            continue  # a held video waits for a moderator: its link must stay (see privacy.py)
        await conn.execute(
            "UPDATE jobs SET params = ?, erased_at = ? WHERE id = ?",
            (_params_json(job.meta.without_details()), now_us, job.id),
        )
        erased.append(job.id)
    return erased


async def _anonymise(
    conn: Conn, guild_id: int, user_id: int, pseudonym: int, now_us: int
) -> list[JobRecord]:
    rows = await conn.fetchall(f"{_SELECT} WHERE guild_id = ? AND user_id = ?", (guild_id, user_id))
    jobs = [_record(row) for row in rows]
    running = [job.id for job in jobs if not job.state.is_terminal]
    if running:
        raise JobsRunning(f"{len(running)} job(s) of the member have not ended")
    for job in jobs:
        meta = job.meta.without_details()
        if meta.review is Review.PENDING:
            meta = meta.but(review=Review.REMOVED)  # its held video goes with the member
        await conn.execute(
            "UPDATE jobs SET user_id = ?, params = ?, erased_at = ? WHERE id = ?",
            (pseudonym, _params_json(meta), now_us, job.id),
        )
    return jobs
