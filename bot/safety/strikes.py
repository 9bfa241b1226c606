"""Rejections by Atlas's content moderation, counted per member, and the pauses they lead to.

Every rejected job is one row of `moderation_events` (schema v4), and so is every pause and
every lifting of one. A member whose rejections within a day (since their last lifting) reach
the server's limit is paused: they may not start videos until an admin lifts it. The log is
append-only; whether a member is paused is the latest of their pause and unpause rows, cached
in memory for the members asked about most recently (`max_cached`) and for a while
(`cache_seconds`): every member of every server asking once must not grow the bot for ever,
and a pause another process wrote is seen within the cache's life.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.db.store import Conn, Store, Tx
from bot.db.times import to_micros, utc_now

DEFAULT_REJECTION_LIMIT = 3
"""Rejections within a day that pause a member, when the server did not choose."""
WINDOW = timedelta(days=1)
MAX_CACHED = 10_000
"""Members whose pause state is kept in memory (the most recently asked)."""
CACHE_SECONDS = 300.0
"""How long a cached pause state is trusted before it is read again."""


@dataclass(frozen=True)
class Strike:
    """Where a member stands after a rejection."""

    count: int
    """Rejections within the last day that count towards a pause (this one included)."""
    limit: int
    paused: bool
    """The member is paused now."""
    paused_now: bool
    """This rejection paused them."""


class StrikeStore:
    """Records rejections and pauses; answers whether a member is paused."""

    def __init__(
        self,
        db: Store,
        *,
        clock: Callable[[], datetime] = utc_now,
        max_cached: int = MAX_CACHED,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._db = db
        self._clock = clock
        self._max_cached = max_cached
        self._cache_for = timedelta(seconds=cache_seconds)
        # (guild, user) -> (paused, read at); least recently asked first.
        self._paused: OrderedDict[tuple[int, int], tuple[bool, datetime]] = OrderedDict()

    @property
    def cached(self) -> int:
        """How many members' pause states are in memory."""
        return len(self._paused)

    def _remember(self, key: tuple[int, int], paused: bool) -> None:
        self._paused[key] = (paused, self._clock())
        self._paused.move_to_end(key)
        while len(self._paused) > self._max_cached:
            self._paused.popitem(last=False)

    def forget(self, guild_id: int, user_id: int) -> None:
        """Drop a member's cached state (read again from the database when next asked)."""
        self._paused.pop((guild_id, user_id), None)

    async def is_paused(self, guild_id: int, user_id: int) -> bool:
        """The member may not start videos on this server until an admin lifts the pause."""
        key = (guild_id, user_id)
        cached = self._paused.get(key)
        if cached is not None and self._clock() - cached[1] < self._cache_for:
            self._paused.move_to_end(key)
            return cached[0]

        async def read(conn: Conn) -> bool:
            return await _paused(conn, guild_id, user_id)

        paused = await self._db.read(read)
        self._remember(key, paused)
        return paused

    async def record_rejection(
        self, guild_id: int, user_id: int, job_id: str, *, limit: int
    ) -> Strike:
        """Count a rejected job (once per job) and pause the member when it reaches `limit`."""
        now = to_micros(self._clock())
        since = now - int(WINDOW.total_seconds() * 1_000_000)

        async def write(conn: Conn) -> Strike:
            seen = await conn.fetchone(
                "SELECT 1 FROM moderation_events WHERE guild_id = ? AND user_id = ?"
                " AND kind = 'rejected' AND job_id = ?",
                (guild_id, user_id, job_id),
            )
            if seen is None:
                await _insert(conn, guild_id, user_id, "rejected", job_id, None, now)
            lifted = await conn.fetchone(
                "SELECT max(at) FROM moderation_events WHERE guild_id = ? AND user_id = ?"
                " AND kind = 'unpaused'",
                (guild_id, user_id),
            )
            start = max(since, lifted[0] if lifted and lifted[0] is not None else since)
            row = await conn.fetchone(
                "SELECT count(*) FROM moderation_events WHERE guild_id = ? AND user_id = ?"
                " AND kind = 'rejected' AND at > ?",
                (guild_id, user_id, start),
            )
            count = int(row[0]) if row else 0
            paused = await _paused(conn, guild_id, user_id)
            pause = seen is None and not paused and count >= limit
            if pause:
                await _insert(conn, guild_id, user_id, "paused", job_id, None, now)
            return Strike(count, limit, paused or pause, pause)

        strike = await self._db.run(write)
        self._remember((guild_id, user_id), strike.paused)
        return strike

    async def unpause(self, guild_id: int, user_id: int, *, by: int) -> bool:
        """Lift a member's pause; False when they were not paused (nothing is written)."""
        now = to_micros(self._clock())

        async def write(conn: Conn) -> bool:
            if not await _paused(conn, guild_id, user_id):
                return False
            await _insert(conn, guild_id, user_id, "unpaused", None, by, now)
            return True

        lifted = await self._db.run(write)
        self._remember((guild_id, user_id), False)
        return lifted

    async def anonymise(
        self, guild_id: int, user_id: int, pseudonym: int, *, tx: Tx | None = None
    ) -> int:
        """Erase a member from the guild's moderation log: their rows belong to `pseudonym`
        (a negative id); how many."""

        async def write(conn: Conn) -> int:
            return await conn.execute(
                "UPDATE moderation_events SET user_id = ? WHERE guild_id = ? AND user_id = ?",
                (pseudonym, guild_id, user_id),
            )

        moved = await self._db.run(write, tx=tx)
        self.forget(guild_id, user_id)
        return moved

    async def paused_members(self, guild_id: int) -> list[int]:
        """Members of this server who are paused now."""

        async def read(conn: Conn) -> list[int]:
            rows = await conn.fetchall(
                "SELECT user_id, kind FROM moderation_events WHERE guild_id = ?"
                " AND kind IN ('paused', 'unpaused') ORDER BY at, id",
                (guild_id,),
            )
            latest: dict[int, str] = {}
            for user_id, kind in rows:
                latest[int(user_id)] = str(kind)
            return [user for user, kind in latest.items() if kind == "paused"]

        return await self._db.read(read)


async def _paused(conn: Conn, guild_id: int, user_id: int) -> bool:
    row = await conn.fetchone(
        "SELECT kind FROM moderation_events WHERE guild_id = ? AND user_id = ?"
        " AND kind IN ('paused', 'unpaused') ORDER BY at DESC, id DESC LIMIT 1",
        (guild_id, user_id),
    )
    return row is not None and row[0] == "paused"


async def _insert(
    conn: Conn,
    guild_id: int,
    user_id: int,
    kind: str,
    job_id: str | None,
    actor_id: int | None,
    at: int,
) -> None:
    await conn.execute(
        "INSERT INTO moderation_events (guild_id, user_id, kind, job_id, actor_id, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, user_id, kind, job_id, actor_id, at),
    )
