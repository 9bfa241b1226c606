"""The simulator's webhook calls: signed the way Atlas signs them, sent when a job ends.

Ed25519 over `"{timestamp}.{raw body}"`, the signature (base64url) and key id in headers, the
public key served as a JWKS document. Faults can be scripted: a call dropped, sent twice,
wrongly signed, unsigned or stale.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import aiohttp

from bot import USER_AGENT

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

log = logging.getLogger(__name__)

# Atlas's webhook wire format, written here from ATLAS-FACTS, not imported from the bot: a fake
# that shared the bot's constants would agree with any mistake in them.
SIGNATURE_HEADER = "X-AtlasCloud-Webhook-Signature-Ed25519"
KEY_ID_HEADER = "X-AtlasCloud-Webhook-Key-Id"
TIMESTAMP_HEADER = "X-AtlasCloud-Webhook-Timestamp"
EVENT_ID_HEADER = "X-AtlasCloud-Webhook-Id"
EVENT_HEADER = "X-AtlasCloud-Webhook-Event"
TERMINAL_EVENT = "video.task.terminal"

WebhookFault = Literal["drop", "duplicate", "bad_signature", "unsigned", "stale"]
RETRIES = 3
"""Attempts per call when the receiver is unreachable or answers 5xx (delivery is at least once)."""


@dataclass(frozen=True)
class WebhookCall:
    """One call the simulator made: to where, about which job, and the answer's status
    (None: no answer, e.g. the connection was refused)."""

    url: str
    prediction_id: str
    event_id: str
    status: int | None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class WebhookSender:
    """Signs and sends the simulator's webhook calls; `jwks()` is its public key."""

    def __init__(
        self, *, key_id: str = "sim-webhook-key-1", wall_clock: Callable[[], float] = time.time
    ) -> None:
        self.key_id = key_id
        self._key: Ed25519PrivateKey | None = None  # made on first use, see `_private`
        self._wall_clock = wall_clock
        self.calls: list[WebhookCall] = []
        self._called = asyncio.Condition()
        self._faults: list[WebhookFault] = []
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def _private(self) -> Ed25519PrivateKey:
        # Imported here: a dry-run bot's simulator that never calls back needs no cryptography.
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        if self._key is None:
            self._key = Ed25519PrivateKey.generate()
        return self._key

    def jwks(self) -> dict[str, Any]:
        """The public key set, as `{base}/webhooks/jwks.json` serves it."""
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        raw = self._private().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        key = {"kty": "OKP", "crv": "Ed25519", "kid": self.key_id, "use": "sig", "x": _b64url(raw)}
        return {"keys": [key]}

    def sign(self, timestamp: str, body: bytes) -> str:
        """The signature header's value for a body sent at `timestamp`."""
        return _b64url(self._private().sign(timestamp.encode() + b"." + body))

    def fail_next(self, fault: WebhookFault, count: int = 1) -> None:
        """Spoil the next `count` calls this way."""
        self._faults.extend([fault] * count)

    def send(self, url: str, data: dict[str, Any]) -> None:
        """Call `url` about the prediction `data` (a poll's `data` object), in the background."""
        fault = self._faults.pop(0) if self._faults else None
        if fault == "drop":
            log.info("simulator: dropping the webhook call for %s", data.get("id"))
            return
        task = asyncio.create_task(self._deliver(url, data, fault))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_for_calls(self, count: int, timeout: float = 5.0) -> list[WebhookCall]:
        """The calls made so far, once there are at least `count` (TimeoutError after
        `timeout`): calls run in the background."""
        async with self._called:
            await asyncio.wait_for(self._called.wait_for(lambda: len(self.calls) >= count), timeout)
        return list(self.calls)

    async def close(self) -> None:
        """Stop sending: cancel calls under way, close the HTTP session."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _deliver(self, url: str, data: dict[str, Any], fault: WebhookFault | None) -> None:
        event_id = f"evt_{uuid.uuid4().hex}"
        now = self._wall_clock()
        body = json.dumps(
            {
                "id": event_id,
                "event": TERMINAL_EVENT,
                "created_at": datetime.fromtimestamp(now, UTC).isoformat(),
                "data": data,
            }
        ).encode()
        stamp = str(int(now - 3600 if fault == "stale" else now))
        headers = {
            "Content-Type": "application/json",
            EVENT_HEADER: TERMINAL_EVENT,
            EVENT_ID_HEADER: event_id,
            TIMESTAMP_HEADER: stamp,
            KEY_ID_HEADER: self.key_id,
        }
        if fault != "unsigned":
            signed = body + b" " if fault == "bad_signature" else body
            headers[SIGNATURE_HEADER] = self.sign(stamp, signed)
        for _ in range(2 if fault == "duplicate" else 1):
            await self._post(url, body, headers, str(data.get("id")), event_id)

    async def _post(
        self, url: str, body: bytes, headers: dict[str, str], prediction_id: str, event_id: str
    ) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        for attempt in range(1, RETRIES + 1):
            status: int | None = None
            try:
                async with self._session.post(
                    url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
                ) as response:
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.info("simulator: webhook call to %s failed: %s", url, exc)
            self.calls.append(WebhookCall(url, prediction_id, event_id, status))
            async with self._called:
                self._called.notify_all()
            if status is not None and status < 500:
                return
            await asyncio.sleep(0.2 * attempt)
