"""Deadlines shared by every process on the database (`shared_deadlines`), e.g. a back-off.

One row per key: the latest deadline anyone set, in microseconds since the epoch. Setting one
only ever moves it later, in one statement, so racing processes keep the latest.
"""

from __future__ import annotations

from bot.db.store import Store, sql_in

ATLAS_BACKOFF = "atlas-429"
"""Until when every process holds its requests to Atlas after a 429."""


class SharedDeadlines:
    """Reads and pushes back named deadlines; implements the Atlas client's `SharedCalm`
    for `key` (wall-clock seconds)."""

    def __init__(self, db: Store, key: str = ATLAS_BACKOFF) -> None:
        self._db = db
        self._key = key

    async def get(self, key: str) -> int | None:
        """The deadline (microseconds since the epoch), or None if none was ever set."""
        row = await self._db.read(
            lambda conn: conn.fetchone(
                "SELECT until_at FROM shared_deadlines WHERE key = ?", (key,)
            )
        )
        return None if row is None else int(row[0])

    async def push(self, key: str, until_us: int) -> None:
        """Make the deadline at least `until_us` (a later one already set stays)."""
        later = sql_in(self._db.dialect, "max", "greatest")
        query = (
            "INSERT INTO shared_deadlines (key, until_at) VALUES (?, ?)"  # noqa: S608 - fixed
            f" ON CONFLICT (key) DO UPDATE SET until_at = {later}("
            "shared_deadlines.until_at, excluded.until_at)"
        )
        await self._db.run(lambda conn: conn.execute(query, (key, until_us)))

    async def claim(self, key: str, until_us: int) -> bool:
        """Set a deadline only if none is set for `key`: True for the one caller (of every
        process) that set it. Keys that name their period make "once per period" marks."""
        query = (
            "INSERT INTO shared_deadlines (key, until_at) VALUES (?, ?)"
            " ON CONFLICT (key) DO NOTHING"
        )
        changed = await self._db.run(lambda conn: conn.execute(query, (key, until_us)))
        return changed == 1

    async def calm_until(self) -> float | None:
        """`SharedCalm`: this key's deadline in epoch seconds."""
        until = await self.get(self._key)
        return None if until is None else until / 1_000_000

    async def calm(self, until: float) -> None:
        """`SharedCalm`: push this key's deadline to `until` (epoch seconds)."""
        await self.push(self._key, int(until * 1_000_000))
