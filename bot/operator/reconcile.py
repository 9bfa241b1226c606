"""Spend reconciled with Atlas: what the ledger captured beside what Atlas billed.

Per UTC day and model: the ledger's captures (by capture time, joined to the job's model)
beside Atlas's `/public/v1/model-costs` for the catalogue's models, and the difference. A day
Atlas marks `partial` (today, or one it is still counting) is shown as partial, never as a
difference. The uncertain jobs of those days (cut off mid-submit: Atlas may have billed them)
are listed with what became of them, since they are what usually explains a difference.

`atlas-video-bot reconcile` prints it and exits 1 when a complete day differs by more than
`[operator] reconcile_tolerance_usd`; `/budget-admin report` shows yesterday's line.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_start
from typing import TextIO

from bot.atlas import AtlasClient, AtlasError, PermissionDenied
from bot.atlas.account import CostDay, model_costs
from bot.catalogue import Catalogue
from bot.db import open_store
from bot.db.store import Conn, Store
from bot.db.times import from_micros, to_micros
from bot.ledger import SERVER_CODE
from bot.money import Micros, format_usd
from bot.settings import ConfigError, Settings

YESTERDAY_FRESH_SECONDS = 600.0
"""How long `/budget-admin report` reuses yesterday's reconciliation before asking Atlas again."""

Key = tuple[date, str]


@dataclass(frozen=True)
class DayLine:
    """One UTC day and model: the ledger's captures beside Atlas's costs."""

    day: date
    model: str
    ledger: Micros
    atlas: Micros
    partial: bool

    @property
    def difference(self) -> Micros:
        """Ledger minus Atlas (positive: members were charged more than Atlas billed)."""
        return self.ledger - self.atlas


@dataclass(frozen=True)
class UncertainJob:
    """A job whose submit may or may not have been billed by Atlas, and what became of it."""

    job_id: str
    day: date
    model: str
    quote: Micros
    fate: str
    """ "uncertain" (hold kept), "charged by an admin", "released by an admin", "released
    after the window"."""


@dataclass
class Reconciliation:
    """The ledger beside Atlas over [since, until), per UTC day and model."""

    since: date
    until: date
    tolerance: Micros
    lines: list[DayLine] = field(default_factory=list)
    uncertain: list[UncertainJob] = field(default_factory=list)

    def day_totals(self) -> list[DayLine]:
        """One line per day, every model together (model "*")."""
        days: dict[date, DayLine] = {}
        for line in self.lines:
            seen = days.get(line.day)
            if seen is None:
                days[line.day] = DayLine(line.day, "*", line.ledger, line.atlas, line.partial)
            else:
                days[line.day] = DayLine(
                    line.day,
                    "*",
                    seen.ledger + line.ledger,
                    seen.atlas + line.atlas,
                    seen.partial or line.partial,
                )
        return [days[day] for day in sorted(days)]

    def days_over_tolerance(self) -> list[DayLine]:
        """The complete days whose totals differ by more than the tolerance."""
        return [
            day
            for day in self.day_totals()
            if not day.partial and abs(day.difference) > self.tolerance
        ]


def _utc_start_us(day: date) -> int:
    return to_micros(datetime.combine(day, day_start(0), tzinfo=UTC))


async def ledger_captures(store: Store, since: date, until: date) -> dict[Key, Micros]:
    """What the ledger captured per UTC day (of the capture) and model in [since, until)."""
    start, end = _utc_start_us(since), _utc_start_us(until)

    async def read(conn: Conn) -> list[tuple[int, str, int]]:
        rows = await conn.fetchall(
            "SELECT e.at, j.model, e.amount FROM entries e JOIN jobs j ON j.id = e.job_id"
            " WHERE e.kind = 'capture' AND e.at >= ? AND e.at < ?",
            (start, end),
        )
        return [(int(at), str(model), int(amount)) for at, model, amount in rows]

    totals: dict[Key, Micros] = defaultdict(int)
    for at, model, amount in await store.read(read):
        totals[(from_micros(at).date(), model)] += amount
    return dict(totals)


def _fate(state: str, error: str | None) -> str:
    if state == "uncertain":
        return "uncertain"
    if error and error.startswith("settled by admin") and error.endswith("charged"):
        return "charged by an admin"
    if error and error.startswith("settled by admin"):
        return "released by an admin"
    return "released after the window"


async def uncertain_jobs(store: Store, since: date, until: date) -> list[UncertainJob]:
    """Jobs of [since, until) whose submit was uncertain: still, or settled since."""
    start, end = _utc_start_us(since), _utc_start_us(until)

    async def read(conn: Conn) -> list[tuple[object, ...]]:
        return await conn.fetchall(
            "SELECT id, created_at, model, quote, state, error FROM jobs"
            " WHERE created_at >= ? AND created_at < ? AND (state = 'uncertain'"
            " OR error LIKE 'settled by admin%' OR error = 'uncertain: window passed')"
            " ORDER BY created_at",
            (start, end),
        )

    return [
        UncertainJob(
            str(job_id),
            from_micros(int(str(created))).date(),
            str(model),
            int(str(quote)),
            _fate(str(state), None if error is None else str(error)),
        )
        for job_id, created, model, quote, state, error in await store.read(read)
    ]


async def reconcile(
    store: Store,
    atlas: AtlasClient,
    catalogue: Catalogue,
    *,
    since: date,
    until: date,
    tolerance: Micros,
) -> Reconciliation:
    """The ledger beside Atlas's costs over [since, until); `AtlasError` when Atlas cannot
    be read (403: the key may not read billing data)."""
    models = [model.id for model in catalogue.entries()]  # the prompt helper's too
    costs: list[CostDay] = await model_costs(atlas, since, until, models=models)
    ledger = await ledger_captures(store, since, until)
    atlas_by: dict[Key, Micros] = {}
    partial: set[date] = set()
    for bucket in costs:
        if bucket.partial:
            partial.add(bucket.day)
        for model, amount in bucket.by_model.items():
            atlas_by[(bucket.day, model)] = atlas_by.get((bucket.day, model), 0) + amount
    result = Reconciliation(since, until, tolerance)
    for day, model in sorted(set(ledger) | set(atlas_by)):
        result.lines.append(
            DayLine(
                day,
                model,
                ledger.get((day, model), 0),
                atlas_by.get((day, model), 0),
                day in partial,
            )
        )
    result.uncertain = await uncertain_jobs(store, since, until)
    return result


def render(result: Reconciliation) -> str:
    """The report `atlas-video-bot reconcile` prints: a line per day and model, the day's
    totals, the uncertain jobs and the verdict."""
    out = [f"ledger beside Atlas Cloud, UTC days {result.since} to {result.until} (excluded)"]
    header = f"{'day':<10}  {'model':<50}  {'ledger':>12}  {'Atlas':>12}  {'difference':>12}"
    out += [header, "-" * len(header)]
    totals = {line.day: line for line in result.day_totals()}
    for index, line in enumerate(result.lines):
        out.append(_row(line, line.model))
        last_of_day = index + 1 == len(result.lines) or result.lines[index + 1].day != line.day
        if last_of_day:
            out.append(_row(totals[line.day], "(all models)"))
    if not result.lines:
        out.append("no spend in the ledger and none billed by Atlas")
    if result.uncertain:
        out.append("")
        out.append("uncertain jobs of these days (Atlas may have billed them):")
        out += [
            f"  {job.day}  {job.job_id}  {job.model}  {format_usd(job.quote)}  {job.fate}"
            for job in result.uncertain
        ]
    out.append("")
    over = result.days_over_tolerance()
    if over:
        days = ", ".join(f"{d.day} by {format_usd(abs(d.difference))}" for d in over)
        out.append(f"DIFFERS beyond {format_usd(result.tolerance)}: {days}")
    else:
        out.append(f"every complete day agrees within {format_usd(result.tolerance)}")
    return "\n".join(out)


def _row(line: DayLine, label: str) -> str:
    difference = "partial" if line.partial else format_usd(line.difference)
    return (
        f"{line.day!s:<10}  {label:<50}  {format_usd(line.ledger):>12}  "
        f"{format_usd(line.atlas):>12}  {difference:>12}"
    )


async def reconcile_command(
    settings: Settings, *, since: date, until: date, out: TextIO, db: Store | None = None
) -> int:
    """`atlas-video-bot reconcile`: print the reconciliation; 0 when every complete day agrees
    within the tolerance, 1 when one does not, 2 when it cannot be made (Atlas unreadable)."""
    if until <= since:
        raise ConfigError(f"--until {until} must come after --since {since}")
    if settings.simulated:
        print(
            "ATLAS_MODE=simulate: the simulator's account lives only while the bot runs; "
            "nothing to reconcile",
            file=out,
        )
        return 0
    key = settings.require_atlas_key()
    store = db
    if store is None:
        url = settings.env.database_url
        store = await open_store(
            None if url is None else url.get_secret_value(),
            settings.env.database_path,
            server_code=SERVER_CODE,
        )
    try:
        async with AtlasClient(settings.env.atlas_base_url, key) as atlas:
            result = await reconcile(
                store,
                atlas,
                settings.catalogue,
                since=since,
                until=until,
                tolerance=settings.operator.reconcile_tolerance,
            )
    except AtlasError as exc:
        print(f"cannot read what Atlas billed: {exc}", file=out)
        if isinstance(exc, PermissionDenied):
            print(
                "the API key may not read billing data: give it an Account Admin or Finance "
                "role, or compare with the Atlas console by hand",
                file=out,
            )
        return 2
    finally:
        if db is None:
            await store.close()
    print(render(result), file=out)
    return 1 if result.days_over_tolerance() else 0


class Reconciler:
    """Yesterday's line for `/budget-admin report`, kept a few minutes between asks."""

    def __init__(
        self,
        store: Store,
        atlas: AtlasClient,
        catalogue: Catalogue,
        tolerance: Micros,
        *,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._atlas = atlas
        self._catalogue = catalogue
        self._tolerance = tolerance
        self._clock = clock
        self._monotonic = monotonic
        self._cached: tuple[date, float, DayLine] | None = None

    async def yesterday(self) -> DayLine:
        """Yesterday (UTC), every model together; `AtlasError` when Atlas cannot be read."""
        day = self._clock().astimezone(UTC).date() - timedelta(days=1)
        cached = self._cached
        fresh = cached is not None and self._monotonic() - cached[1] < YESTERDAY_FRESH_SECONDS
        if cached is not None and cached[0] == day and fresh:
            return cached[2]
        result = await reconcile(
            self._store,
            self._atlas,
            self._catalogue,
            since=day,
            until=day + timedelta(days=1),
            tolerance=self._tolerance,
        )
        totals: Sequence[DayLine] = result.day_totals()
        line = totals[0] if totals else DayLine(day, "*", 0, 0, partial=False)
        self._cached = (day, self._monotonic(), line)
        return line


__all__ = [
    "DayLine",
    "Reconciler",
    "Reconciliation",
    "UncertainJob",
    "ledger_captures",
    "reconcile",
    "reconcile_command",
    "render",
    "uncertain_jobs",
]
