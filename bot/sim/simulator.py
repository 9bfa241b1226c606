"""`AtlasSimulator`: a faithful fake of the Atlas Cloud video API, as an aiohttp app.

Same paths, auth, envelopes and error shapes as Atlas (`/api/v1/model/...`), a configurable
clock for job progress, and scriptable faults and outcomes for tests. The newest requests are
recorded (`max_recorded`), and the newest uploads and jobs kept (`max_upload_bytes`,
`max_jobs`): a dry run's members can upload all day without the simulator growing for ever.

Longer than most modules: the whole fake API surface of one aiohttp app (routes, auth,
envelopes, scriptable faults); the per-model rules, jobs, outputs, account, chat and webhooks
live beside it.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from aiohttp import BodyPartReader, web
from yarl import URL

from bot.catalogue import Catalogue
from bot.money import Micros, usd
from bot.sim.account import Refused, SimAccount, account_error
from bot.sim.chat import ChatReply, answer_chat
from bot.sim.imaging import NotAnImage, sniff_image
from bot.sim.jobs import Outcome, Script, SimJob, damaged_chunks, video_chunks
from bot.sim.models import SimModel, SimModels
from bot.sim.outputs import BitrateTable, SimOutputs, stream_file
from bot.sim.validation import Refusal, validate_submit
from bot.sim.webhooks import WebhookSender
from bot.transcode.sniff import mp4_seconds, sniff_video_type

log = logging.getLogger(__name__)

Endpoint = Literal[
    "submit",
    "poll",
    "upload",
    "download",
    "balance",
    "costs",
    "usage",
    "jwks",
    "models",
    "schema",
    "chat",
    "any",
]
FaultStatus = int | Literal["drop", "created-500"]
"""An error status answered without acting; "drop": the connection cut after acting (a submit
creates its job, only the answer is lost); "created-500": a submit creates its job, then
answers 500 (an error after the job was queued, as a real service may)."""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_UPLOAD_BYTES = 20_000_000
DAMAGED_BYTES = 1_000_000
MAX_VIDEO_UPLOAD_BYTES = 100_000_000
"""Videos may be larger than images (Atlas's edit model takes up to 100 MB)."""
MIN_UPLOAD_SIDE = 128
MAX_RECORDED = 10_000
"""Requests kept in `requests` (the newest; each holds its headers and JSON body)."""
MAX_KEPT_UPLOAD_BYTES = 64 * 1024 * 1024
"""Uploaded images kept to be served back, newest first, up to this many bytes in all."""
MAX_JOBS = 10_000
"""Jobs kept (the newest): an older one's prediction answers 404, as Atlas forgets them."""
_REQUEST_ID = web.RequestKey("request_id", str)
_MESSAGES = {
    400: "invalid request",
    401: "unauthorized",
    402: "insufficient balance",
    403: "forbidden",
    404: "not found",
    413: "request entity too large",
    429: "rate limit exceeded",
    451: "unavailable for legal reasons",
    500: "internal server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
}


@dataclass(frozen=True)
class Uploaded:
    """What an upload is: its type, and for a video how long it says it is."""

    content_type: str
    seconds: float | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """One request the simulator received (the body when it was JSON)."""

    method: str
    path: str
    json: Any
    headers: dict[str, str]


class Recent(list[RecordedRequest]):
    """A list that keeps its newest `limit` items: older ones go as new ones arrive."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def append(self, item: RecordedRequest) -> None:
        """Add `item`, dropping the oldest past the limit."""
        super().append(item)
        if len(self) > self.limit:
            del self[: len(self) - self.limit]


@dataclass
class _Fault:
    endpoint: Endpoint
    status: FaultStatus
    remaining: int


def error_response(status: int, message: str | None, request_id: str) -> web.Response:
    """An error in Atlas's shape: `{"code", "msg", "request_id", "data": null}`."""
    body = {
        "code": status,
        "msg": message or _MESSAGES.get(status, "error"),
        "request_id": request_id,
        "data": None,
    }
    return web.json_response(body, status=status)


class AtlasSimulator:
    """The fake Atlas: state, fault scripting and records. `async with` starts and stops it."""

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        api_key: str = "sim-key",
        generation_seconds: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        price_usd: str | None = None,
        outputs: Literal["sample", "realistic"] = "sample",
        output_bitrates: Mapping[str, Mapping[str, float]] | None = None,
        output_cache: Path | None = None,
        max_recorded: int = MAX_RECORDED,
        max_upload_bytes: int = MAX_KEPT_UPLOAD_BYTES,
        max_jobs: int = MAX_JOBS,
    ) -> None:
        self.catalogue = catalogue
        # What each model takes, costs and makes: the simulator's own rules (bot.sim.models).
        self.models = SimModels(catalogue)
        self.api_key = api_key
        self.generation_seconds = generation_seconds
        self.clock = clock
        self.price_usd = price_usd
        # Outputs (issue #19): "sample", the tiny MP4 padded to a scripted size (tests that
        # only need bytes); "realistic", real H.264 + AAC files of the job's resolution,
        # aspect ratio and duration at Atlas's bitrates (Mbit/s per model and resolution in
        # `output_bitrates`, "*" for every model), made once and cached in `output_cache`.
        self.realistic_outputs = (
            SimOutputs(cache_dir=output_cache, bitrates=BitrateTable(output_bitrates))
            if outputs == "realistic"
            else None
        )
        self.slow_seconds = 0.0
        self.retry_after: str | None = None  # sent with scripted 429/503 faults when set
        self.upload_url_field: Literal["download_url", "url", "top_level_url"] = "download_url"
        self.send_content_length = True  # False: outputs are sent chunked, length unknown
        self.transform_poll: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.submits_by_prompt: Counter[str] = Counter()
        self.requests = Recent(max_recorded)
        self.jobs: OrderedDict[str, SimJob] = OrderedDict()
        self.uploads: OrderedDict[str, bytes] = OrderedDict()
        self.uploaded: dict[str, Uploaded] = {}
        # Chat answers (the prompt helper): `chat_reply` scripts the text; each call is kept.
        self.chat_reply: ChatReply | None = None
        self.chats: list[dict[str, Any]] = []
        self._max_upload_bytes = max_upload_bytes
        self._max_jobs = max_jobs
        self._upload_bytes = 0
        # The account's balance: submits freeze a job's price, completed jobs are charged.
        self.account = SimAccount()
        self._faults: list[_Fault] = []
        self._scripts: list[Script] = []
        self._ids = itertools.count(1)
        # Jobs submitted with a webhook_url are called back when they end (`webhooks.calls`).
        self.webhooks = WebhookSender()
        self._webhook_timers: dict[str, asyncio.TimerHandle] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.app = web.Application(middlewares=[self._middleware])
        self.app.on_response_prepare.append(self._stamp_request_id)
        routes = self.app.router
        routes.add_post("/api/v1/model/generateVideo", self._submit, name="submit")
        routes.add_get("/api/v1/model/prediction/{id}", self._poll, name="poll")
        routes.add_post("/api/v1/model/uploadMedia", self._upload, name="upload")
        routes.add_get("/public/v1/balance", self._balance, name="balance")
        routes.add_get("/public/v1/model-costs", self._costs, name="costs")
        routes.add_get("/public/v1/model-usage", self._usage, name="usage")
        routes.add_get("/api/v1/webhooks/jwks.json", self._jwks, name="jwks")
        routes.add_get("/api/v1/models", self._models, name="models")
        routes.add_get("/static/schema/{slug}.json", self._schema, name="schema")
        routes.add_post("/v1/chat/completions", self._chat, name="chat")
        routes.add_get("/media/outputs/{id}.mp4", self._output, name="download")
        routes.add_get("/media/uploads/{id}/{name}", self._uploaded, name="uploaded")

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0 = any free port) and set `base_url`."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}/api/v1"

    async def close(self) -> None:
        """Stop listening and calling back."""
        for timer in self._webhook_timers.values():
            timer.cancel()
        self._webhook_timers.clear()
        await self.webhooks.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- scripting -----------------------------------------------------------------------

    def fail_next(self, endpoint: Endpoint, status: FaultStatus, count: int = 1) -> None:
        """Answer the next `count` calls to `endpoint` with `status`, or drop the connection.

        A dropped submit is dropped *after* the job was created, like a reply lost on the way;
        "created-500" creates the job and answers 500 all the same.
        """
        self._faults.append(_Fault(endpoint, status, count))

    def clear_faults(self) -> None:
        """Forget the faults `fail_next` scripted that did not fire yet."""
        self._faults.clear()

    def script_prompt(
        self,
        marker: str,
        *,
        outcome: Outcome = "complete",
        nsfw: bool = False,
        output_bytes: int | None = None,
        generation_seconds: float | None = None,
        damaged: bool = False,
    ) -> None:
        """Jobs whose prompt contains `marker` end as `outcome` (later scripts win); a
        `damaged` output is `output_bytes` (1 MB) that no decoder can read."""
        self._scripts.append(
            Script(marker, outcome, nsfw, output_bytes, generation_seconds, damaged)
        )

    def complete_now(self, prediction_id: str) -> None:
        """Finish a job at once (a stuck one completes), and call its webhook now."""
        job = self.jobs[prediction_id]
        job.forced_done = True
        timer = self._webhook_timers.pop(prediction_id, None)
        if timer is not None:
            timer.cancel()
        if job.body.get("webhook_url"):
            self._call_back(prediction_id)

    def requests_to(self, path_suffix: str, method: str | None = None) -> list[RecordedRequest]:
        """The recorded requests whose path ends with `path_suffix`."""
        return [
            r
            for r in self.requests
            if r.path.endswith(path_suffix) and (method is None or r.method == method)
        ]

    def _take_fault(self, endpoint: str) -> FaultStatus | None:
        for fault in self._faults:
            if fault.endpoint in (endpoint, "any") and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault.status
        return None

    def _script_for(self, prompt: str) -> Script | None:
        return next((s for s in reversed(self._scripts) if s.marker in prompt), None)

    # -- middleware ----------------------------------------------------------------------

    async def _stamp_request_id(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Request-ID"] = request.get(_REQUEST_ID, "")

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        request_id = uuid.uuid4().hex
        request[_REQUEST_ID] = request_id
        body: Any = None
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = None
        self.requests.append(
            RecordedRequest(request.method, request.path, body, dict(request.headers))
        )
        route = request.match_info.route.name
        if route is None:  # Atlas answers 401 for a path it does not serve
            return error_response(401, "unauthorized", request_id)
        public = ("download", "uploaded", "jwks", "models", "schema")
        if route not in public and not self._authorised(request):
            return error_response(401, "unauthorized", request_id)
        if route == "submit" and isinstance(body, dict) and isinstance(body.get("prompt"), str):
            if len(self.submits_by_prompt) >= self._max_jobs:
                self.submits_by_prompt.clear()  # a count for tests, not a record to keep
            self.submits_by_prompt[body["prompt"]] += 1

        fault = self._take_fault(route)
        if isinstance(fault, int):
            refused = error_response(fault, None, request_id)
            if self.retry_after is not None and fault in (429, 503):
                refused.headers["Retry-After"] = self.retry_after
            return refused
        if fault == "created-500":
            if route == "submit":
                await handler(request)  # the job exists; the answer says it failed
            return error_response(500, None, request_id)
        if fault == "drop":
            if route == "submit":
                await handler(request)  # the job exists; only the answer is lost
            else:
                await request.read()
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable  # never delivered: the connection is gone

        response = await handler(request)
        if self.slow_seconds > 0:
            await asyncio.sleep(self.slow_seconds)
        return response

    def _authorised(self, request: web.Request) -> bool:
        given = request.headers.get("Authorization", "")
        expected = f"Bearer {self.api_key}"
        return hmac.compare_digest(given.encode(), expected.encode())

    # -- endpoints -----------------------------------------------------------------------

    async def _submit(self, request: web.Request) -> web.Response:
        request_id = request[_REQUEST_ID]
        try:
            body = await request.json()
        except ValueError:
            return error_response(400, "request body is not valid JSON", request_id)
        try:
            model = validate_submit(body, self.models)
            input_seconds = self._input_seconds(model, body)
        except Refusal as refusal:
            return error_response(refusal.status, refusal.message, request_id)
        prompt = str(body.get("prompt", ""))
        script = self._script_for(prompt) or Script(marker="")
        job_id = f"sim-{next(self._ids):06d}-{uuid.uuid4().hex[:8]}"
        self._settle_ended()
        if not self.account.freeze(job_id, model.id, self._price_of(model, body, input_seconds)):
            return error_response(402, None, request_id)
        job = SimJob(
            id=job_id,
            model=model.id,
            prompt=prompt,
            body=body,
            input_seconds=input_seconds,
            created=self.clock(),
            generation_seconds=(
                script.generation_seconds
                if script.generation_seconds is not None
                else self.generation_seconds
            ),
            outcome=script.outcome,
            nsfw=script.nsfw,
            output_bytes=script.output_bytes,
            damaged=script.damaged,
        )
        self.jobs[job.id] = job
        while len(self.jobs) > self._max_jobs:
            self.jobs.popitem(last=False)
        if body.get("webhook_url") and job.outcome != "stuck":
            self._arm_webhook(job.id, job.generation_seconds)
        origin = str(request.url.origin())
        data = {
            "id": job.id,
            "status": "starting",
            "urls": {"get": f"{origin}/api/v1/model/prediction/{job.id}"},
        }
        return web.json_response({"code": 200, "data": data})

    async def _poll(self, request: web.Request) -> web.Response:
        job = self.jobs.get(request.match_info["id"])
        if job is None:
            return error_response(404, "prediction not found", request[_REQUEST_ID])
        self._settle_ended()
        data = job.data(self.clock(), origin=str(request.url.origin()), price_usd=self.price_usd)
        if self.transform_poll is not None:
            data = self.transform_poll(data)
        return web.json_response({"code": 200, "message": "success", "data": data})

    async def _upload(self, request: web.Request) -> web.Response:
        request_id = request[_REQUEST_ID]
        if not request.content_type.startswith("multipart/"):
            return error_response(400, "file: send the image as multipart/form-data", request_id)
        reader = await request.multipart()
        content: bytes | None = None
        filename = "upload"
        too_large = False
        limit = MAX_UPLOAD_BYTES
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name != "file":
                continue
            filename = part.filename or filename
            received = bytearray()
            while chunk := await part.read_chunk(256 * 1024):
                if not received and sniff_video_type(chunk[:64]) is not None:
                    limit = MAX_VIDEO_UPLOAD_BYTES
                if len(received) + len(chunk) > limit:
                    too_large = True  # keep reading so the client sees the answer
                    continue
                received.extend(chunk)
            content = bytes(received)
        if too_large:
            return error_response(413, f"file: larger than {limit} bytes", request_id)
        if content is None:
            return error_response(400, "file: required", request_id)
        video_type = sniff_video_type(content[:64])
        if video_type is not None:
            seconds = mp4_seconds(content) if video_type != "video/webm" else None
            kept = Uploaded(video_type, seconds)
        else:
            try:
                info = sniff_image(content)
            except NotAnImage as exc:
                return error_response(
                    400, f"file: {exc} (nor an MP4, MOV or WebM video)", request_id
                )
            if min(info.width, info.height) < MIN_UPLOAD_SIDE:
                return error_response(
                    400,
                    f"file: image is {info.width}x{info.height}; "
                    f"each side must be at least {MIN_UPLOAD_SIDE} px",
                    request_id,
                )
            kept = Uploaded(info.content_type)
        upload_id = uuid.uuid4().hex
        self._keep_upload(upload_id, content, kept)
        safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)
        url = f"{request.url.origin()}/media/uploads/{upload_id}/{safe_name}"
        data = {"filename": safe_name, "size": len(content), "content_type": kept.content_type}
        if self.upload_url_field == "top_level_url":
            return web.json_response({"code": 200, "url": url, "data": data})
        data[self.upload_url_field] = url
        return web.json_response({"code": 200, "data": data})

    def _keep_upload(self, upload_id: str, content: bytes, kept: Uploaded) -> None:
        """Keep an upload to serve back, forgetting the oldest past the byte budget."""
        self.uploads[upload_id] = content
        self.uploaded[upload_id] = kept
        self._upload_bytes += len(content)
        while self._upload_bytes > self._max_upload_bytes and len(self.uploads) > 1:
            dropped_id, dropped = self.uploads.popitem(last=False)
            self.uploaded.pop(dropped_id, None)
            self._upload_bytes -= len(dropped)

    def _arm_webhook(self, prediction_id: str, delay: float) -> None:
        loop = asyncio.get_running_loop()
        self._webhook_timers[prediction_id] = loop.call_later(
            max(delay, 0.0), self._webhook_due, prediction_id
        )

    def _webhook_due(self, prediction_id: str) -> None:
        """A job's time is up: call back once it has ended on the simulator's clock."""
        self._webhook_timers.pop(prediction_id, None)
        job = self.jobs.get(prediction_id)
        if job is None:  # forgotten meanwhile (`max_jobs`)
            return
        now = self.clock()
        if job.status(now) in ("completed", "failed"):
            self._call_back(prediction_id)
        else:  # the simulator's clock runs slower than the loop's
            self._arm_webhook(
                prediction_id, max(0.05, job.generation_seconds - (now - job.created))
            )

    def _call_back(self, prediction_id: str) -> None:
        job = self.jobs.get(prediction_id)
        if job is None:
            return
        origin = str(URL(self.base_url).origin())
        data = job.data(self.clock(), origin=origin, price_usd=self.price_usd)
        self.webhooks.send(str(job.body["webhook_url"]), data)

    async def _jwks(self, request: web.Request) -> web.Response:
        return web.json_response(self.webhooks.jwks())

    def _price_of(
        self, model: SimModel, body: dict[str, Any], input_seconds: float | None
    ) -> Micros:
        """What Atlas freezes for a job: the scripted price, else the model's own."""
        if self.price_usd is not None:
            return usd(self.price_usd)
        return model.price(body, input_seconds)

    def _input_seconds(self, model: SimModel, body: dict[str, Any]) -> float | None:
        """How long the job's input video is (a video uploaded here says so); `Refusal` when
        the model does not take a video that long, as Atlas refuses it."""
        if model.video_input is None:
            return None
        url = URL(str(body.get(model.video_input)))
        parts = url.path.split("/")
        upload = self.uploaded.get(parts[3]) if len(parts) > 3 else None
        if upload is None or upload.seconds is None:
            return None  # a video elsewhere: Atlas would read it; the simulator trusts it
        seconds, name = upload.seconds, model.video_input
        longest, shortest = model.max_input_seconds, model.min_input_seconds
        if longest is not None and seconds > longest + 0.05:
            raise Refusal(400, f"{name}: {seconds:.1f} s, longer than {longest:g} s")
        if shortest is not None and seconds < shortest - 0.05:
            raise Refusal(400, f"{name}: {seconds:.1f} s, shorter than {shortest:g} s")
        added = body.get("duration")
        if (
            model.max_total_seconds is not None
            and isinstance(added, int)
            and seconds + added > model.max_total_seconds + 0.05
        ):
            raise Refusal(
                400, f"duration: the video would be longer than {model.max_total_seconds:g} s"
            )
        return seconds

    def _settle_ended(self) -> None:
        """Charge (or unfreeze) every job that ended on the simulator's clock."""
        now = self.clock()
        for prediction_id in list(self.account.frozen):
            job = self.jobs.get(prediction_id)
            status = job.status(now) if job is not None else "failed"
            if status in ("completed", "failed"):
                day = datetime.now(UTC).date()
                if job is not None:
                    day = (job.created_at + timedelta(seconds=job.generation_seconds)).date()
                self.account.settle(prediction_id, completed=status == "completed", day=day)

    def _account_refusal(self, request: web.Request) -> web.Response | None:
        if self.account.readable:
            return None
        return account_error(
            403,
            "insufficient_permissions",
            "this API key may not read the account's billing data",
            request[_REQUEST_ID],
        )

    async def _balance(self, request: web.Request) -> web.Response:
        refused = self._account_refusal(request)
        if refused is not None:
            return refused
        self._settle_ended()
        return web.json_response(self.account.balance_body(request[_REQUEST_ID]))

    async def _buckets(self, request: web.Request, *, costs: bool) -> web.Response:
        refused = self._account_refusal(request)
        if refused is not None:
            return refused
        self._settle_ended()
        try:
            body = self.account.buckets_body(
                request.query, costs=costs, request_id=request[_REQUEST_ID]
            )
        except Refused as exc:
            return account_error(400, "invalid_parameter", str(exc), request[_REQUEST_ID])
        return web.json_response(body)

    async def _costs(self, request: web.Request) -> web.Response:
        return await self._buckets(request, costs=True)

    async def _usage(self, request: web.Request) -> web.Response:
        return await self._buckets(request, costs=False)

    async def _uploaded(self, request: web.Request) -> web.Response:
        content = self.uploads.get(request.match_info["id"])
        if content is None:
            return web.Response(status=404, text="not found")
        kept = self.uploaded.get(request.match_info["id"])
        if kept is None:  # placed by a test: as its bytes say
            video_type = sniff_video_type(content[:64])
            kept = Uploaded(video_type or sniff_image(content).content_type)
        return web.Response(body=content, content_type=kept.content_type)

    async def _models(self, request: web.Request) -> web.Response:
        """`GET /models`: every model with its type, price and schema link (public)."""
        origin = str(request.url.origin())
        data = [
            model.list_entry(f"{origin}/static/schema/{model.slug}.json") for model in self.models
        ]
        return web.json_response({"code": 200, "msg": "success", "data": data})

    async def _schema(self, request: web.Request) -> web.Response:
        """A model's OpenAPI document, as Atlas's static host serves it."""
        model = self.models.by_slug(request.match_info["slug"])
        if model is None or model.chat:
            return web.Response(status=404, text="not found")
        return web.json_response(model.schema_document())

    async def _chat(self, request: web.Request) -> web.Response:
        """`POST /v1/chat/completions`, OpenAI-compatible; billed at once by tokens."""
        request_id = request[_REQUEST_ID]
        try:
            body = await request.json()
        except ValueError:
            return error_response(400, "request body is not valid JSON", request_id)
        try:
            answer, price = answer_chat(body, self.models, self.chat_reply)
        except Refusal as refusal:
            return error_response(refusal.status, refusal.message, request_id)
        if price > self.account.available:
            return error_response(402, None, request_id)
        self.account.bill(datetime.now(UTC).date(), str(body["model"]), price)
        self.chats.append({"request": body, "answer": answer, "price": price})
        return web.json_response(answer)

    async def _output(self, request: web.Request) -> web.StreamResponse:
        job = self.jobs.get(request.match_info["id"])
        if job is None or job.status(self.clock()) != "completed":
            return web.Response(status=404, text="not found")
        if job.damaged:
            return await self._stream(request, *damaged_chunks(job.output_bytes or DAMAGED_BYTES))
        if self.realistic_outputs is not None and job.output_bytes is None:  # issue #19
            model = self.models.get(job.model)
            spec = self.realistic_outputs.spec_for(
                job.model,
                str(job.body.get(model.resolution_input, "720p")),
                str(job.body.get(model.ratio_input, "16:9")),
                model.output_seconds(job.body, job.input_seconds),
            )
            path = await self.realistic_outputs.path(spec)
            return await stream_file(request, path, content_length=self.send_content_length)
        return await self._stream(request, *video_chunks(job.output_bytes))

    async def _stream(
        self, request: web.Request, length: int, chunks: Iterator[bytes]
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        if self.send_content_length:
            response.content_length = length
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        for chunk in chunks:
            await response.write(chunk)
        await response.write_eof()
        return response
