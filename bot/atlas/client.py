"""The async Atlas Cloud client: submit a video job, poll it, upload images, fetch outputs.

One `AtlasClient` owns one `aiohttp.ClientSession`. It knows nothing about Discord or budgets:
it turns Atlas's HTTP answers into typed models and `AtlasError`s, and decides retries in one
place (`bot.atlas.retry`).

Longer than most modules on purpose: it is the whole HTTP surface of one session (each
endpoint's request, answer and error mapping side by side), so reading one call never means
chasing another file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol, Self
from urllib.parse import quote

import aiohttp
from pydantic import SecretStr, ValidationError
from yarl import URL

from bot import USER_AGENT
from bot.atlas.errors import (
    AtlasConnectionError,
    AtlasError,
    AtlasTimeout,
    BadRequest,
    JobTimedOut,
    NotFound,
    OutputTooLarge,
    RateLimited,
    ServerError,
    UnexpectedResponse,
    error_from_response,
    job_failure,
)
from bot.atlas.models import (
    ChatAnswer,
    ChatMessage,
    GenerateRequest,
    Prediction,
    PredictionState,
    VideoRequest,
)
from bot.atlas.retry import RetryMode, RetryPolicy, is_retryable, parse_retry_after
from bot.atlas.schedule import PollSchedule
from bot.atlas.webhooks import Notice, PredictionNotices
from bot.files import open_private
from bot.metrics import Metrics

__all__ = ["AtlasClient", "RetryPolicy"]

log = logging.getLogger(__name__)


SHARED_CALM_READ_EVERY = 1.0
"""Seconds between two reads of the shared back-off board."""


class SharedCalm(Protocol):
    """A back-off deadline shared by every process on one Atlas account (wall-clock seconds).

    The client only knows this interface; the bot backs it with a row of its database."""

    async def calm_until(self) -> float | None:
        """Until when requests should wait (epoch seconds), or None."""
        ...

    async def calm(self, until: float) -> None:
        """Ask every process to wait until `until` (a later deadline wins)."""
        ...


_CHUNK = 64 * 1024
_MAX_ERROR_BODY = 64 * 1024

BodyFactory = Callable[[AsyncExitStack], Awaitable[Any]]


class AtlasClient:
    """Talks to one Atlas base URL with one API key; use as `async with AtlasClient(...)`."""

    def __init__(
        self,
        base_url: str,
        api_key: SecretStr,
        *,
        request_timeout: float = 30.0,
        transfer_timeout: float = 300.0,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen dataclass, safe default
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        shared_calm: SharedCalm | None = None,
        wall_clock: Callable[[], float] = time.time,
        notices: PredictionNotices | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._base = URL(base_url.rstrip("/"))
        self._metrics = metrics
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        # Uploads and downloads move megabytes: bound each read and the whole transfer.
        self._transfer_timeout = aiohttp.ClientTimeout(
            total=transfer_timeout, sock_connect=request_timeout, sock_read=request_timeout
        )
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._session: aiohttp.ClientSession | None = None
        # After a 429 every request of this client waits (Atlas limits per account, not per
        # job, and sends no Retry-After): one shared back-off instead of one per job.
        self._calm_until = 0.0
        # ... and, given a board shared by every process on one Atlas account, theirs too.
        self._shared = shared_calm
        self._wall_clock = wall_clock
        self._shared_read_at = -SHARED_CALM_READ_EVERY
        # With webhooks on, a wait wakes as soon as Atlas calls back (see `wait`).
        self.notices = notices

    @property
    def base_url(self) -> str:
        """The API base this client talks to, e.g. `https://api.atlascloud.ai/api/v1`."""
        return str(self._base)

    async def __aenter__(self) -> Self:
        self._http()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session (safe to call twice)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        return self._session

    def _headers_for(self, url: URL) -> dict[str, str]:
        # The key goes to Atlas's own host only, never to a CDN serving an output file.
        if url.origin() != self._base.origin():
            return {}
        return {"Authorization": f"Bearer {self._api_key.get_secret_value()}"}

    # -- the API -------------------------------------------------------------------------

    async def submit(self, request: GenerateRequest | VideoRequest) -> str:
        """Start a billed video job and return its prediction id.

        Never resent once the request may have reached Atlas: a second send could start a
        second billed job, and Atlas has no way to look the first one up.
        """
        body, request_id = await self._call(
            "POST",
            self._base / "model/generateVideo",
            mode=RetryMode.SUBMIT,
            json_body=request.payload(),
        )
        prediction = self._prediction(body, request_id)
        log.info("Atlas accepted prediction %s (%s)", prediction.id, request.model)
        return prediction.id

    async def get(self, prediction_id: str) -> Prediction:
        """The current state of a prediction."""
        url = URL(f"{self._base}/model/prediction/{quote(prediction_id, safe='')}", encoded=True)
        body, request_id = await self._call("GET", url, mode=RetryMode.IDEMPOTENT)
        return self._prediction(body, request_id)

    async def upload_media(self, source: Path | bytes, *, filename: str, content_type: str) -> str:
        """Upload an image or a video (a job's input) and return the URL Atlas gives it.

        A file is streamed from disk, never read into memory whole.
        """

        async def form(stack: AsyncExitStack) -> aiohttp.FormData:
            value: bytes | IO[bytes]
            if isinstance(source, bytes):
                value = source
            else:
                handle = await asyncio.to_thread(source.open, "rb")
                stack.push_async_callback(asyncio.to_thread, handle.close)
                value = handle
            data = aiohttp.FormData()
            data.add_field("file", value, filename=filename, content_type=content_type)
            return data

        body, request_id = await self._call(
            "POST",
            self._base / "model/uploadMedia",
            mode=RetryMode.IDEMPOTENT,
            body_factory=form,
            limits=self._transfer_timeout,
        )
        url = _upload_url(body)
        if url is None:
            raise UnexpectedResponse(
                "uploadMedia answered without a download_url", request_id=request_id
            )
        return url

    async def wait(
        self,
        prediction_id: str,
        *,
        schedule: PollSchedule,
        on_update: Callable[[Prediction], Awaitable[None]] | None = None,
        submitted_at: float | None = None,
    ) -> Prediction:
        """Poll until the job ends; return the succeeded prediction.

        Raises `ContentRejected` / `JobFailed` for a failed job and `JobTimedOut` past the
        schedule's total timeout. `submitted_at` (a `clock()` value) lets a restarted bot count
        from the original submit. Transient poll failures do not end the wait: the job lives on
        at Atlas whatever happens to one poll. With `notices` (webhooks on), a verified call
        from Atlas ends the wait at once, without a poll when it carries the outcome.
        """
        started = self._clock() if submitted_at is None else submitted_at
        polls = 0
        last: Prediction | None = None
        while True:
            notice = await self._until_due(prediction_id, schedule, started, polls)
            # A signed webhook's prediction needs no poll, unless it lacks what we act on.
            prediction = _usable(notice)
            if prediction is None:
                polls += 1
                try:
                    prediction = await self.get(prediction_id)
                except (BadRequest, NotFound) as exc:
                    if self._clock() - started > schedule.not_registered_grace_seconds:
                        raise
                    log.info(
                        "prediction %s not registered yet (%s); polling again", prediction_id, exc
                    )
                except (AtlasConnectionError, RateLimited, ServerError, UnexpectedResponse) as exc:
                    log.warning("poll of %s failed (%s); polling again", prediction_id, exc)
            if prediction is not None:
                changed = last is None or prediction.status != last.status
                if changed and on_update is not None:
                    await on_update(prediction)
                last = prediction
                if prediction.state is PredictionState.SUCCEEDED:
                    return prediction
                if prediction.state is PredictionState.FAILED:
                    raise job_failure(prediction)
            if self._clock() - started >= schedule.total_timeout_seconds:
                raise JobTimedOut(prediction_id, last=last)

    async def _until_due(
        self, prediction_id: str, schedule: PollSchedule, started: float, polls: int
    ) -> Notice | None:
        """Wait until the schedule says the next poll is due (planned again every
        `recheck_seconds` while waiting), or until a webhook says the prediction ended."""
        delay = schedule.next_delay(self._clock() - started, polls)
        recheck = schedule.recheck_seconds()
        # Bounded, so a clock that does not move with the sleeps still ends in a poll.
        for _ in range(1 if not recheck else 1 + math.ceil(delay / recheck)):
            step = delay if not recheck else min(delay, recheck)
            notice = await self._pause(prediction_id, step)
            if notice is not None or step >= delay:
                return notice
            delay = schedule.next_delay(self._clock() - started, polls)
            recheck = schedule.recheck_seconds()
            if delay <= 0:
                return None
        return None

    async def _pause(self, prediction_id: str, seconds: float) -> Notice | None:
        """Sleep until the next poll, or until a webhook says the prediction ended."""
        if self.notices is None:
            await self._sleep(seconds)
            return None
        return await self.notices.pause(prediction_id, seconds, self._sleep)

    async def download(self, url: str, dest: Path, *, max_bytes: int) -> int:
        """Stream an output file to `dest` in chunks; return its size.

        Raises `OutputTooLarge` (and removes `dest`) once the file passes `max_bytes`.
        """
        target = URL(url)
        for attempt in range(1, self._retry.attempts + 1):
            retry_after: float | None = None
            started = self._clock()
            try:
                async with self._http().get(
                    target, headers=self._headers_for(target), timeout=self._transfer_timeout
                ) as response:
                    self._count("download", response.status, started)
                    request_id = response.headers.get("X-Request-ID")
                    if response.status >= 400:
                        retry_after = parse_retry_after(response.headers.get("Retry-After"))
                        raise error_from_response(
                            response.status, await _read_body(response), request_id
                        )
                    size = response.content_length
                    if size is not None and size > max_bytes:
                        raise OutputTooLarge(url, limit=max_bytes, size=size)
                    return await _stream_to(response, dest, url=url, max_bytes=max_bytes)
            except OutputTooLarge:
                await asyncio.to_thread(dest.unlink, missing_ok=True)
                raise
            except (AtlasError, aiohttp.ClientError, TimeoutError) as exc:
                await asyncio.to_thread(dest.unlink, missing_ok=True)
                error = exc if isinstance(exc, AtlasError) else _network_error(exc)
                if not isinstance(exc, AtlasError):
                    self._count("download", "network", started)
                if attempt == self._retry.attempts or not is_retryable(error, RetryMode.IDEMPOTENT):
                    raise error from (None if exc is error else exc)
                await self._backoff(attempt, retry_after, error, "download", "download")
        raise AssertionError("unreachable")  # pragma: no cover

    async def models(self) -> Any:
        """Atlas's model list (`GET {base}/models`: public, bills nothing)."""
        body, _ = await self._call("GET", self._base / "models", mode=RetryMode.IDEMPOTENT)
        return body

    async def document(self, url: str) -> Any:
        """A JSON document Atlas links to (a model's input schema); the key goes with it only
        to Atlas's own host."""
        body, request_id = await self._call("GET", URL(url), mode=RetryMode.IDEMPOTENT)
        if not isinstance(body, dict):
            raise UnexpectedResponse(f"{url} is not a JSON object", request_id=request_id)
        return body

    async def chat(
        self, model: str, messages: Sequence[ChatMessage], *, max_tokens: int
    ) -> ChatAnswer:
        """One billed answer of a chat model (Atlas's OpenAI-compatible endpoint,
        `{origin}/v1/chat/completions`). Never resent once it may have reached Atlas: a second
        send would be billed again."""
        body, request_id = await self._call(
            "POST",
            self._base.origin() / "v1/chat/completions",
            mode=RetryMode.SUBMIT,
            json_body={
                "model": model,
                "messages": [m.model_dump() for m in messages],
                "max_tokens": max_tokens,
                "stream": False,
            },
        )
        try:
            return ChatAnswer.from_body(body)
        except (ValueError, ValidationError) as exc:
            raise UnexpectedResponse(
                f"Atlas's chat answer cannot be read: {exc}", request_id=request_id
            ) from None

    async def webhook_keys(self) -> Any:
        """Atlas's public webhook signing keys (a JWKS document)."""
        body, _ = await self._call(
            "GET", self._base / "webhooks/jwks.json", mode=RetryMode.IDEMPOTENT
        )
        return body

    async def account(self, path: str, params: Sequence[tuple[str, str]] = ()) -> Any:
        """GET one of Atlas's account endpoints (`/public/v1/{path}`: balance, model-costs,
        model-usage); arrays go as repeated parameters, as Atlas requires. Bills nothing."""
        url = (self._base.origin() / "public/v1" / path).with_query(list(params))
        body, _ = await self._call("GET", url, mode=RetryMode.IDEMPOTENT)
        return body

    # -- plumbing ------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        url: URL,
        *,
        mode: RetryMode,
        json_body: dict[str, Any] | None = None,
        body_factory: BodyFactory | None = None,
        limits: aiohttp.ClientTimeout | None = None,
    ) -> tuple[Any, str | None]:
        """Send one request with the retry rules of `mode`; return (parsed body, request id)."""
        endpoint = endpoint_of(url)
        for attempt in range(1, self._retry.attempts + 1):
            retry_after: float | None = None
            await self._read_shared_calm()
            calm = self._calm_until - self._clock()
            if calm > 0:
                await self._sleep(calm)
            started = self._clock()
            try:
                async with AsyncExitStack() as stack:
                    data = await body_factory(stack) if body_factory is not None else None
                    async with self._http().request(
                        method,
                        url,
                        json=json_body,
                        data=data,
                        headers=self._headers_for(url),
                        timeout=limits or self._timeout,
                    ) as response:
                        request_id = response.headers.get("X-Request-ID")
                        body = await _read_body(response)
                        status = response.status
                        retry_after = parse_retry_after(response.headers.get("Retry-After"))
            except (aiohttp.ClientError, TimeoutError) as exc:
                self._count(endpoint, "network", started)
                error: AtlasError = _network_error(exc)
                cause: BaseException | None = exc
            else:
                self._count(endpoint, status, started)
                # Atlas may also report an error inside a 200 envelope's `code`.
                code = body.get("code") if isinstance(body, dict) else None
                if status < 400 and not (isinstance(code, int) and code >= 400):
                    return body, request_id
                error = error_from_response(
                    status if status >= 400 else int(code or status), body, request_id
                )
                cause = None
            if attempt == self._retry.attempts or not is_retryable(error, mode):
                raise error from cause
            await self._backoff(attempt, retry_after, error, f"{method} {url.path}", endpoint)
        raise AssertionError("unreachable")  # pragma: no cover

    def _count(self, endpoint: str, status: int | str, started: float) -> None:
        if self._metrics is not None:
            self._metrics.atlas_request(endpoint, status, self._clock() - started)

    async def _backoff(
        self, attempt: int, retry_after: float | None, error: AtlasError, what: str, endpoint: str
    ) -> None:
        delay = self._retry.delay(attempt, retry_after, self._rng)
        if isinstance(error, RateLimited):
            if self._metrics is not None:
                self._metrics.atlas_backoff(endpoint)
            self._calm_until = max(self._calm_until, self._clock() + delay)
            await self._write_shared_calm(delay)
        log.warning(
            "Atlas %s failed (%s); retry %d/%d in %.2fs",
            what,
            error,
            attempt,
            self._retry.attempts - 1,
            delay,
        )
        await self._sleep(delay)

    async def _read_shared_calm(self) -> None:
        """Adopt another process's back-off (read at most once a second; never fails)."""
        now = self._clock()
        if self._shared is None or now - self._shared_read_at < SHARED_CALM_READ_EVERY:
            return
        self._shared_read_at = now
        try:
            until = await self._shared.calm_until()
        except Exception as exc:  # the board is a courtesy between processes
            log.warning("could not read the shared Atlas back-off: %s", exc)
            return
        if until is not None:
            self._calm_until = max(self._calm_until, now + until - self._wall_clock())

    async def _write_shared_calm(self, delay: float) -> None:
        if self._shared is None:
            return
        try:
            await self._shared.calm(self._wall_clock() + delay)
        except Exception as exc:
            log.warning("could not share the Atlas back-off: %s", exc)

    @staticmethod
    def _prediction(body: Any, request_id: str | None) -> Prediction:
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise UnexpectedResponse("Atlas answered without a data object", request_id=request_id)
        try:
            prediction = Prediction.model_validate(data)
        except ValidationError as exc:
            raise UnexpectedResponse(
                f"Atlas answered with an unreadable prediction: {exc.errors()[0]['msg']}",
                request_id=request_id,
            ) from None
        return prediction.model_copy(update={"request_id": request_id})


def endpoint_of(url: URL) -> str:
    """A request's endpoint as metrics name it (a bounded set: never an id)."""
    path = url.path
    for suffix, name in (
        ("/model/generateVideo", "generateVideo"),
        ("/model/uploadMedia", "uploadMedia"),
        ("/webhooks/jwks.json", "jwks"),
        ("/public/v1/balance", "balance"),
        ("/public/v1/model-costs", "model-costs"),
        ("/public/v1/model-usage", "model-usage"),
        ("/models", "models"),
        ("/chat/completions", "chat"),
        (".json", "schema"),
    ):
        if path.endswith(suffix):
            return name
    return "prediction" if "/model/prediction/" in path else "other"


def _usable(notice: Notice | None) -> Prediction | None:
    """The prediction a webhook carried, when it is an ending the job can act on at once
    (a success must name its output); else None, and the job polls."""
    prediction = notice.prediction if notice is not None else None
    if prediction is None or prediction.state is PredictionState.IN_PROGRESS:
        return None
    if prediction.state is PredictionState.SUCCEEDED and not prediction.outputs:
        return None
    return prediction


def _network_error(exc: BaseException) -> AtlasConnectionError:
    """Classify a transport failure: could Atlas have received the request?"""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        # Timed out while connecting: no byte of the request was sent.
        return AtlasTimeout(f"connecting to Atlas timed out: {exc}", sent_may_have_reached=False)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return AtlasConnectionError(
            f"could not connect to Atlas: {exc}", sent_may_have_reached=False
        )
    if isinstance(exc, TimeoutError):
        return AtlasTimeout("Atlas did not answer in time", sent_may_have_reached=True)
    return AtlasConnectionError(
        f"connection to Atlas failed: {type(exc).__name__}: {exc}", sent_may_have_reached=True
    )


async def _read_body(response: aiohttp.ClientResponse) -> Any:
    """The answer as JSON when it is JSON, else as (truncated) text."""
    if response.status < 400:
        raw = await response.read()
    else:  # an error page may be anything: keep its start only
        raw = b""
        while len(raw) < _MAX_ERROR_BODY:
            chunk = await response.content.read(_MAX_ERROR_BODY - len(raw))
            if not chunk:
                break
            raw += chunk
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


async def _stream_to(
    response: aiohttp.ClientResponse, dest: Path, *, url: str, max_bytes: int
) -> int:
    written = 0
    handle = await asyncio.to_thread(open_private, dest)
    try:
        async for chunk in response.content.iter_chunked(_CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise OutputTooLarge(url, limit=max_bytes, size=None)
            await asyncio.to_thread(handle.write, chunk)
    finally:
        await asyncio.to_thread(handle.close)
    return written


def _upload_url(body: Any) -> str | None:
    """`data.download_url`, else `data.url`, else a top-level `url`."""
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    candidates = []
    if isinstance(data, dict):
        candidates += [data.get("download_url"), data.get("url")]
    candidates.append(body.get("url"))
    return next((c for c in candidates if isinstance(c, str) and c), None)
