"""The HTTP endpoint Atlas calls when a task ends (served when PUBLIC_WEBHOOK_URL is set).

Two POST routes: the path of PUBLIC_WEBHOOK_URL, and `{path}/{tag}/{token}`, where a submit
names one of our own jobs (`JobCalls`: the tag is our job id, and a call whose token is not
that job's is refused before anything else is read). Each call is verified
(`WebhookVerifier`) and its prediction handed to the waiting job (`PredictionNotices`); a call
for one of our jobs is also kept with the job (`JobCalls.keep`), for whichever process follows
it. Answers: 200 taken (or a repeat, or an event the bot does not act on), 401 unsigned /
forged / stale, 404 an unknown job's URL, 400 unreadable, 413 too large, 503 when Atlas's keys
cannot be read or the call cannot be kept (Atlas sends the call again). A call without
signature headers, stale, or announcing more than `MAX_BODY_BYTES`, is answered before its
body is read: anyone can reach the endpoint, and nobody should make it wait.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from aiohttp import web

from bot.atlas.webhooks import (
    MAX_BODY_BYTES,
    TERMINAL_EVENT,
    PredictionNotices,
    WebhookEvent,
    WebhookRejected,
    WebhookVerifier,
)

log = logging.getLogger(__name__)


class JobCalls(Protocol):
    """Where calls about the bot's own jobs (named in their URL) are checked and kept."""

    def accepts(self, tag: str, token: str) -> bool:
        """Whether the URL's token is the one made for this tag."""
        ...

    async def keep(self, tag: str, prediction_id: str, data: Mapping[str, Any] | None) -> bool:
        """Keep a verified terminal call (False: one was kept already)."""
        ...


class WebhookServer:
    """Serves Atlas's webhook calls on host:port at `path` until closed."""

    def __init__(
        self,
        verifier: WebhookVerifier,
        notices: PredictionNotices,
        *,
        path: str,
        jobs: JobCalls | None = None,
    ) -> None:
        self._verifier = verifier
        self._notices = notices
        self._jobs = jobs
        self.path = path or "/"
        self.taken = 0  # calls that woke (or were kept for) a job
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=MAX_BODY_BYTES)
        self.app.router.add_post(self.path, self._receive)
        if jobs is not None:
            self.app.router.add_post(
                self.path.rstrip("/") + "/{tag}/{token}", self._receive_for_job
            )
        self.url = ""

    async def start(self, host: str, port: int) -> None:
        """Listen on host:port (0 = any free port) and set `url` to where it listens."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, host, port).start()
        except OSError:
            await self.close()
            raise
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}{self.path}"

    async def close(self) -> None:
        """Stop listening (safe to call twice)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        return await self._take(request, tag=None)

    async def _receive_for_job(self, request: web.Request) -> web.Response:
        tag, token = request.match_info["tag"], request.match_info["token"]
        assert self._jobs is not None
        if not self._jobs.accepts(tag, token):
            # Anyone can guess a job id; nobody but the bot can make its token.
            log.warning("refused a webhook call for an unknown job URL from %s", request.remote)
            return web.json_response({"error": "unknown"}, status=404)
        return await self._take(request, tag=tag)

    async def _take(self, request: web.Request, *, tag: str | None) -> web.Response:
        event_or_answer = await self._verified(request)
        if isinstance(event_or_answer, web.Response):
            return event_or_answer
        event = event_or_answer
        if event.event != TERMINAL_EVENT or event.prediction_id is None:
            log.info("a webhook call the bot does not act on: %r", event.event)
            return web.json_response({"ok": True, "ignored": True})
        if tag is not None and self._jobs is not None:
            try:
                await self._jobs.keep(tag, event.prediction_id, event.data)
            except Exception:
                log.exception("could not keep a webhook call; Atlas will send it again")
                return web.json_response({"error": "try again"}, status=503)
        self._notices.notify(event.prediction_id, event.prediction)
        self.taken += 1
        log.info("webhook: prediction %s ended", event.prediction_id)
        return web.json_response({"ok": True})

    @staticmethod
    def _refused(request: web.Request, refused: WebhookRejected) -> web.Response:
        log.warning("refused a webhook call from %s: %s", request.remote, refused.reason)
        response = web.json_response({"error": refused.reason}, status=refused.status)
        if request.can_read_body and refused.status in (401, 413):
            # Unread: the connection cannot carry another request, so close it after this.
            response.force_close()
        return response

    async def _verified(self, request: web.Request) -> WebhookEvent | web.Response:
        try:
            if (request.content_length or 0) > MAX_BODY_BYTES:
                raise WebhookRejected(413, "body too large")
            self._verifier.precheck(request.headers)
            body = await request.read()
            event = await self._verifier.verify(request.headers, body)
        except web.HTTPRequestEntityTooLarge:
            return self._refused(request, WebhookRejected(413, "body too large"))
        except WebhookRejected as refused:
            return self._refused(request, refused)
        if event is None:
            log.info("a repeated webhook call, already taken")
            return web.json_response({"ok": True, "repeat": True})
        return event
