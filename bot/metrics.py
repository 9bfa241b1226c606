"""Prometheus metrics: what a dashboard of the bot shows, counted where it happens.

`Metrics` owns one `CollectorRegistry` (one per bot, so tests and several bots in one process
never mix) and a method per event; every layer that counts gets the same object from
`bot.builder`. `MetricsServer` serves it at `/metrics` on METRICS_HOST:METRICS_PORT, in
Prometheus's text format as `prometheus_client` writes it.

Labels carry models, outcomes, Atlas endpoints and HTTP statuses: never a user id, a prompt or
a secret. Server ids only with `[operator] metrics_per_guild = true` (one series per server).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from aiohttp import (
    ClientSession,
    TraceConfig,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    web,
)
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

PREFIX = "atlas_bot"
JOB_SECONDS = (5, 15, 30, 60, 90, 120, 180, 300, 600, 1200)
"""Buckets of a job's whole life and of its generation at Atlas (videos take about a minute)."""
REQUEST_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
"""Buckets of one Atlas request (a poll is fast, an upload or download may take seconds)."""
ENCODE_SECONDS = (1, 2.5, 5, 10, 20, 30, 60, 120, 300)
"""Buckets of one video's encoding (a 1080p clip takes seconds, a 4k one about ten)."""


class Metrics:
    """Every metric the bot exposes, in a registry of its own."""

    def __init__(self, *, per_guild: bool = False) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.per_guild = per_guild
        registry = self.registry
        job = ("model", "guild") if per_guild else ("model",)
        self.jobs_started = Counter(
            f"{PREFIX}_jobs_started",
            "Jobs that got a hold (after every check).",
            job,
            registry=registry,
        )
        self.jobs_ended = Counter(
            f"{PREFIX}_jobs_ended",
            "Jobs that reached an ending, by outcome (delivered, failed, rejected, cancelled, "
            "expired, uncertain).",
            (*job, "outcome"),
            registry=registry,
        )
        self.job_seconds = Histogram(
            f"{PREFIX}_job_duration_seconds",
            "From the member's command to the job's ending.",
            ("model",),
            buckets=JOB_SECONDS,
            registry=registry,
        )
        self.generation_seconds = Histogram(
            f"{PREFIX}_generation_seconds",
            "From the submit to Atlas to the finished video.",
            ("model",),
            buckets=JOB_SECONDS,
            registry=registry,
        )
        self.held = Counter(
            f"{PREFIX}_held_micro_usd",
            "Money held for jobs when they started, in micro-USD.",
            job,
            registry=registry,
        )
        self.captured = Counter(
            f"{PREFIX}_captured_micro_usd",
            "Money charged for delivered jobs (Atlas's price when it gave one), in micro-USD.",
            job,
            registry=registry,
        )
        self.jobs_waiting = Gauge(
            f"{PREFIX}_jobs_waiting", "Jobs in line for a slot.", registry=registry
        )
        self.jobs_in_flight = Gauge(
            f"{PREFIX}_jobs_in_flight",
            "Jobs holding a slot (uploading, at Atlas, delivering).",
            registry=registry,
        )
        self.atlas_requests = Counter(
            f"{PREFIX}_atlas_requests",
            "Requests to Atlas by endpoint and HTTP status (network: no answer).",
            ("endpoint", "status"),
            registry=registry,
        )
        self.atlas_seconds = Histogram(
            f"{PREFIX}_atlas_request_seconds",
            "How long one Atlas request took, by endpoint.",
            ("endpoint",),
            buckets=REQUEST_SECONDS,
            registry=registry,
        )
        self.atlas_backoffs = Counter(
            f"{PREFIX}_atlas_backoffs",
            "Times Atlas answered 429 and every request of the bot waited.",
            ("endpoint",),
            registry=registry,
        )
        self.atlas_balance = Gauge(
            f"{PREFIX}_atlas_balance_usd",
            "The Atlas account's available balance at the last reading (NaN: unreadable).",
            registry=registry,
        )
        self.atlas_balance.set(float("nan"))
        self.transcodes = Counter(
            f"{PREFIX}_transcodes",
            "Videos over the upload limit, by outcome: compressed, or sent as a link because it "
            "cannot_fit, was unreadable, the encoder failed or timed out (encoder_failed), or "
            "this bot has no encoder (no_encoder).",
            ("outcome",),
            registry=registry,
        )
        self.transcode_seconds = Histogram(
            f"{PREFIX}_transcode_seconds",
            "Encoding one video to fit (and checking the result), without its wait in line.",
            buckets=ENCODE_SECONDS,
            registry=registry,
        )
        self.encoders_busy = Gauge(
            f"{PREFIX}_encoders_busy", "Videos being encoded now.", registry=registry
        )
        self.encodes_waiting = Gauge(
            f"{PREFIX}_encodes_waiting",
            "Videos waiting for a free encoder ([delivery] max_encoders).",
            registry=registry,
        )
        self.discord_errors = Counter(
            f"{PREFIX}_discord_rest_errors",
            "Discord REST answers of 400 and above, by status (network: no answer).",
            ("status",),
            registry=registry,
        )
        self.discord_rate_limited = Counter(
            f"{PREFIX}_discord_rate_limited",
            "Discord REST answers of 429 (discord.py waits and retries them).",
            registry=registry,
        )

    def _job(self, model: str, guild_id: int) -> dict[str, str]:
        labels = {"model": model}
        if self.per_guild:
            labels["guild"] = str(guild_id)
        return labels

    # -- jobs --------------------------------------------------------------------------

    def job_started(self, model: str, guild_id: int, held: int) -> None:
        """A job got its hold of `held` micro-USD."""
        labels = self._job(model, guild_id)
        self.jobs_started.labels(**labels).inc()
        self.held.labels(**labels).inc(held)

    def job_ended(self, model: str, guild_id: int, outcome: str, seconds: float) -> None:
        """A job reached an ending `seconds` after it started."""
        self.jobs_ended.labels(**self._job(model, guild_id), outcome=outcome).inc()
        self.job_seconds.labels(model=model).observe(max(0.0, seconds))

    def job_generated(self, model: str, seconds: float) -> None:
        """Atlas finished a video `seconds` after its submit."""
        self.generation_seconds.labels(model=model).observe(max(0.0, seconds))

    def job_captured(self, model: str, guild_id: int, amount: int) -> None:
        """`amount` micro-USD were charged for a job."""
        self.captured.labels(**self._job(model, guild_id)).inc(amount)

    def watch_queue(self, waiting: Callable[[], int], running: Callable[[], int]) -> None:
        """Read the line's length and the slots in use at each scrape."""
        self.jobs_waiting.set_function(waiting)
        self.jobs_in_flight.set_function(running)

    # -- Atlas -------------------------------------------------------------------------

    def atlas_request(self, endpoint: str, status: int | str, seconds: float) -> None:
        """One request to Atlas answered `status` (or "network") after `seconds`."""
        self.atlas_requests.labels(endpoint=endpoint, status=str(status)).inc()
        self.atlas_seconds.labels(endpoint=endpoint).observe(max(0.0, seconds))

    def atlas_backoff(self, endpoint: str) -> None:
        """Atlas answered 429: every request waits a while."""
        self.atlas_backoffs.labels(endpoint=endpoint).inc()

    def atlas_balance_read(self, micros: int | None) -> None:
        """The balance just read (None: it could not be read)."""
        self.atlas_balance.set(float("nan") if micros is None else micros / 1_000_000)

    # -- fitting videos to upload limits ------------------------------------------------

    def transcoded(self, outcome: str, seconds: float | None = None) -> None:
        """A video over the limit was `outcome` ("compressed", "cannot_fit", "unreadable",
        "encoder_failed", "no_encoder"), its encoding taking `seconds` when one ran."""
        self.transcodes.labels(outcome=outcome).inc()
        if seconds is not None:
            self.transcode_seconds.observe(max(0.0, seconds))

    def watch_encoders(self, busy: Callable[[], int], waiting: Callable[[], int]) -> None:
        """Read the encoders at work and the videos waiting for one at each scrape."""
        self.encoders_busy.set_function(busy)
        self.encodes_waiting.set_function(waiting)

    # -- Discord -----------------------------------------------------------------------

    def discord_response(self, status: int | str) -> None:
        """A Discord REST answer (only errors count)."""
        if status == 429:
            self.discord_rate_limited.inc()
        if isinstance(status, str) or status >= 400:
            self.discord_errors.labels(status=str(status)).inc()

    # -- exposition --------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The registry in Prometheus's text format."""
        return generate_latest(self.registry)


def discord_trace(metrics: Metrics) -> TraceConfig:
    """An aiohttp trace for discord.py's HTTP session (`http_trace=`): counts Discord's error
    answers and 429s, by status only (a route names channels and users)."""
    trace = TraceConfig()

    async def on_end(
        session: ClientSession, context: SimpleNamespace, params: TraceRequestEndParams
    ) -> None:
        metrics.discord_response(params.response.status)

    async def on_error(
        session: ClientSession, context: SimpleNamespace, params: TraceRequestExceptionParams
    ) -> None:
        metrics.discord_response("network")

    trace.on_request_end.append(on_end)
    trace.on_request_exception.append(on_error)
    return trace


class MetricsServer:
    """Serves `/metrics` for Prometheus to scrape (an aiohttp app beside the bot)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._runner: web.AppRunner | None = None
        self.url = ""
        app = web.Application()
        app.router.add_get("/metrics", self._scrape)
        self._app = app

    async def _scrape(self, request: web.Request) -> web.Response:
        response = web.Response(body=self._metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def start(self, host: str, port: int) -> None:
        """Listen on host:port (0: any free port); `OSError` when it cannot."""
        runner = web.AppRunner(self._app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}/metrics"

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


__all__ = ["Metrics", "MetricsServer", "discord_trace"]
