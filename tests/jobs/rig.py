"""The job service without Discord: the real `bot.builder.build` over the Atlas simulator (real
aiohttp on 127.0.0.1) and a real SQLite file in the test's folder, with a hand-moved wall clock.

A `RecordingProgress` stands in for the member's Discord message: it keeps every `JobView`
snapshot, the size of the video file given with it, and what the job row and its ledger hold
said at that moment (the runner awaits `show`, so that is what was stored when it was shown).
`Rig` can stop the whole service and build it again on the same database, as a restart does.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.builder import Services, build
from bot.catalogue import ModelKind
from bot.jobs.lifecycle import PreparedJob
from bot.jobs.orders import VideoOrder
from bot.jobs.progress import JobStatus, JobView
from bot.jobs.record import JobRecord, JobState
from bot.jobs.service import JobService
from bot.ledger import BudgetSummary, Settlement
from bot.settings import Settings, load
from bot.sim import AtlasSimulator
from bot.sim.jobs import sample_video
from bot.sim.simulator import error_response
from tests.conftest import make_env
from tests.e2e.conftest import fast_settings
from tests.engines import peek
from tests.ledger.helpers import Clock

ATLAS_KEY = "sim-key-jobs"
GUILD = 1000
OTHER_GUILD = 1001
CHANNEL = 2000
MEMBER = 11
OTHER_MEMBER = 12
ADMIN = 13
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

TEXT_MODEL = "google/gemini-omni-flash/text-to-video-developer"
QUOTE = 1_000_000
"""The default order's price: Gemini Omni Flash, 8 s at 1080p = USD 0.20 + 8 x 0.10."""
LIMIT = 5_000_000
"""A member's default limit in the shipped config (USD 5.00 a month)."""
SAMPLE_BYTES = len(sample_video())
"""The size of the video every completed simulator job points at."""
UPLOAD_LIMIT = 25_000_000


class Atlas(AtlasSimulator):
    """The simulator, which can also fail a submit *after* creating the job (Atlas took it and
    bills it, but its answer was an error: a gateway's 502, a crash on the way back), and
    call `on_submit` as each generateVideo arrives (to look at the bot's database then)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.late_submit_errors: list[int] = []
        self.on_submit: Callable[[], Awaitable[None]] | None = None

    async def _submit(self, request: web.Request) -> web.Response:
        if self.on_submit is not None:
            await self.on_submit()
        response = await super()._submit(request)
        if self.late_submit_errors and response.status == 200:
            return error_response(self.late_submit_errors.pop(0), None, uuid.uuid4().hex)
        return response


@dataclass(frozen=True)
class Shown:
    """One snapshot pushed to the sink, and what was stored when it arrived."""

    view: JobView
    video_size: int | None
    """Bytes of the video file given with the snapshot (None: no file)."""
    state: JobState | None
    """The job row's state at that moment."""
    money: str
    """The job's hold at that moment: "held", "captured" or "released"."""


class RecordingProgress:
    """A `Progress` sink that records every snapshot (implements the protocol)."""

    def __init__(self, rig: Rig | None = None, *, upload_limit: int = UPLOAD_LIMIT) -> None:
        self._rig = rig
        self._upload_limit = upload_limit
        self.shown: list[Shown] = []
        self._final = asyncio.Event()

    @property
    def upload_limit(self) -> int:
        return self._upload_limit

    async def show(self, view: JobView, video: Path | None = None) -> None:
        size = None
        if video is not None:
            size = (await asyncio.to_thread(video.stat)).st_size
        state, money = None, "?"
        if self._rig is not None:
            state, money = await self._rig.stored_now(view.job_id)
        self.shown.append(Shown(view, size, state, money))
        if view.status.is_final:
            self._final.set()

    @property
    def statuses(self) -> list[JobStatus]:
        return [s.view.status for s in self.shown]

    @property
    def last(self) -> JobView:
        assert self.shown, "nothing was shown"
        return self.shown[-1].view

    @property
    def videos(self) -> list[int]:
        """The sizes of the video files given, in order."""
        return [s.video_size for s in self.shown if s.video_size is not None]

    async def final(self, timeout: float = 5.0) -> JobView:
        """Wait until a final snapshot was shown; the last snapshot."""
        await asyncio.wait_for(self._final.wait(), timeout)
        return self.last


@dataclass
class Rig:
    """One bot's job service (no Discord), the simulator it talks to and its clock."""

    settings: Settings
    sim: Atlas
    clock: Clock
    timings: dict[str, Any]
    services: Services = field(init=False)
    recovered: dict[str, RecordingProgress] = field(default_factory=dict)
    """The sinks `progress_for` handed to recovery, by job id."""

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self.services = await build(self.settings, clock=self.clock, **self.timings)

    async def stop(self) -> None:
        """Stop as a deploy does: job tasks cancelled, rows left for the next recovery."""
        await self.services.jobs.close()
        await self.services.close()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def jobs(self) -> JobService:
        return self.services.jobs

    def progress(self, **options: Any) -> RecordingProgress:
        return RecordingProgress(self, **options)

    def progress_for(self, job: JobRecord) -> RecordingProgress:
        """For `recover`: a fresh sink per job, kept in `recovered`."""
        sink = self.progress()
        self.recovered[job.id] = sink
        return sink

    # -- acting --------------------------------------------------------------------------

    def order(self, prompt: str, **changes: Any) -> VideoOrder:
        values: dict[str, Any] = {
            "prompt": prompt,
            "kind": ModelKind.TEXT_TO_VIDEO,
            "user_id": MEMBER,
            "guild_id": GUILD,
            "channel_id": CHANNEL,
        }
        values.update(changes)
        return VideoOrder(**values)

    async def prepare(self, prompt: str, **changes: Any) -> PreparedJob:
        return await self.jobs.prepare(self.order(prompt, **changes))

    async def run(
        self, job: PreparedJob, progress: RecordingProgress | None = None, timeout: float = 5.0
    ) -> RecordingProgress:
        """Run a prepared job to its end (the task never raises); its sink."""
        sink = progress or self.progress()
        await asyncio.wait_for(self.jobs.run(job, sink), timeout)
        return sink

    # -- looking -------------------------------------------------------------------------

    async def stored(self, job_id: str) -> JobRecord:
        job = await self.services.job_store.get(job_id)
        assert job is not None, f"no row for job {job_id}"
        return job

    async def settlement(self, job_id: str) -> Settlement | None:
        return await self.services.ledger.settlement(job_id)

    async def stored_now(self, job_id: str) -> tuple[JobState | None, str]:
        """The job row's state and its hold's outcome ("held" while open)."""
        job = await self.services.job_store.get(job_id)
        settled = await self.services.ledger.settlement(job_id)
        return (
            None if job is None else job.state,
            "held" if settled is None else settled.outcome,
        )

    async def pinned(self, job_id: str) -> bool:
        """The hold stopped expiring (the job may have reached Atlas)."""
        rows = await peek(self.services.db, "SELECT pinned_at FROM holds WHERE job_id = ?", job_id)
        assert rows, f"no hold for job {job_id}"
        return rows[0][0] is not None

    async def entries(self, job_id: str) -> list[tuple[Any, ...]]:
        """The ledger's settlement entries of the job (kind, amount): at most one, ever."""
        return await peek(
            self.services.db, "SELECT kind, amount FROM entries WHERE job_id = ?", job_id
        )

    async def job_rows(self) -> int:
        return len(await peek(self.services.db, "SELECT id FROM jobs"))

    async def holds(self) -> int:
        return len(await peek(self.services.db, "SELECT job_id FROM holds"))

    async def summary(self, user_id: int = MEMBER, guild_id: int = GUILD) -> BudgetSummary:
        return await self.services.ledger.summary(user_id, guild_id, [])

    def submit_bodies(self) -> list[Any]:
        """The JSON bodies of every generateVideo call the simulator received."""
        return [r.json for r in self.sim.requests_to("/model/generateVideo", "POST")]

    def created_at_atlas(self, prompt: str) -> list[str]:
        """The prediction ids of the jobs the simulator created for `prompt`."""
        return [job.id for job in self.sim.jobs.values() if job.prompt == prompt]

    async def snapshot(self) -> list[tuple[Any, ...]]:
        """Every job row, hold and settlement entry: what a second pass must not change."""
        db = self.services.db
        return [
            *await peek(db, "SELECT * FROM jobs ORDER BY id"),
            *await peek(db, "SELECT * FROM holds ORDER BY job_id"),
            *await peek(db, "SELECT * FROM entries ORDER BY job_id"),
        ]


@contextlib.asynccontextmanager
async def running_rig(
    tmp_path: Path,
    *,
    polling: dict[str, float] | None = None,
    max_in_flight: int = 20,
    lease_seconds: float | None = None,
    generation_seconds: float = 0.05,
    **budget: str,
) -> AsyncIterator[Rig]:
    """The simulator and a built job service on a database in `tmp_path`; both closed after."""
    catalogue = load(make_env()).catalogue
    async with Atlas(catalogue, api_key=ATLAS_KEY, generation_seconds=generation_seconds) as sim:
        sim.retry_after = "0"  # a scripted 429/503 is retried at once, not after a jitter
        env = make_env(
            discord_token="unused-no-discord",
            atlascloud_api_key=ATLAS_KEY,
            atlas_base_url=sim.base_url,
            database_path=tmp_path / "data" / "bot.sqlite3",
        )
        settings = fast_settings(
            tmp_path, env, max_in_flight=max_in_flight, polling=polling, **budget
        )
        if lease_seconds is not None:
            settings.jobs = settings.jobs.model_copy(update={"lease_seconds": lease_seconds})
        rig = Rig(settings, sim, Clock(T0), {"refresh_seconds": 0.0, "notice_after_seconds": 5.0})
        await rig.start()
        try:
            yield rig
        finally:
            await rig.stop()
