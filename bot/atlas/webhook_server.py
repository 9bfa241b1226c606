"""The HTTP endpoint Atlas calls when a task ends (served when PUBLIC_WEBHOOK_URL is set).

One POST route, at the path of PUBLIC_WEBHOOK_URL: each call is verified (`WebhookVerifier`)
and its prediction handed to the waiting job (`PredictionNotices`). Answers: 200 taken (or a
repeat, or an event the bot does not act on), 401 unsigned / forged / stale, 400 unreadable,
413 too large, 503 when Atlas's keys cannot be read (Atlas sends the call again). A call
without signature headers, stale, or announcing more than `MAX_BODY_BYTES`, is answered
before its body is read: anyone can reach the endpoint, and nobody should make it wait.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.atlas.webhooks import (
    MAX_BODY_BYTES,
    TERMINAL_EVENT,
    PredictionNotices,
    WebhookRejected,
    WebhookVerifier,
)

log = logging.getLogger(__name__)


class WebhookServer:
    """Serves Atlas's webhook calls on host:port at `path` until closed."""

    def __init__(self, verifier: WebhookVerifier, notices: PredictionNotices, *, path: str) -> None:
        self._verifier = verifier
        self._notices = notices
        self.path = path or "/"
        self.taken = 0  # calls that woke (or were kept for) a job
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=MAX_BODY_BYTES)
        self.app.router.add_post(self.path, self._receive)
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

    @staticmethod
    def _refused(request: web.Request, refused: WebhookRejected) -> web.Response:
        log.warning("refused a webhook call from %s: %s", request.remote, refused.reason)
        response = web.json_response({"error": refused.reason}, status=refused.status)
        if request.can_read_body and refused.status in (401, 413):
            # Unread: the connection cannot carry another request, so close it after this.
            response.force_close()
        return response

    async def _receive(self, request: web.Request) -> web.Response:
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
        if event.event != TERMINAL_EVENT or event.prediction_id is None:
            log.info("a webhook call the bot does not act on: %r", event.event)
            return web.json_response({"ok": True, "ignored": True})
        self._notices.notify(event.prediction_id, event.prediction)
        self.taken += 1
        log.info("webhook: prediction %s ended", event.prediction_id)
        return web.json_response({"ok": True})
