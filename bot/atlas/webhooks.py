"""Signed Atlas webhooks: check that a call really comes from Atlas, and tell the job waiting
for that prediction that it ended.

Atlas calls a submit's `webhook_url` when the task ends (event `video.task.terminal`), at least
once. Each call is signed with Ed25519 over `"{timestamp}.{raw body}"`; the public keys are at
`{base}/webhooks/jwks.json`. A call that is unsigned, wrongly signed or stale is refused (one
without the signature and timestamp headers, or stale, before its body is read); one seen
before is acknowledged and ignored. Only what is signed counts: a repeat is the same
timestamp and body (whatever the unsigned id or extra signatures beside the valid one say),
and the event's type is the body's. Nothing here knows about Discord.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from bot.atlas.models import Prediction

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# `cryptography` is imported where a key is first read: it adds ~7 MiB to every process, and a
# bot without PUBLIC_WEBHOOK_URL never needs it.

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-AtlasCloud-Webhook-Signature-Ed25519"
KEY_ID_HEADER = "X-AtlasCloud-Webhook-Key-Id"
TIMESTAMP_HEADER = "X-AtlasCloud-Webhook-Timestamp"
EVENT_ID_HEADER = "X-AtlasCloud-Webhook-Id"
EVENT_HEADER = "X-AtlasCloud-Webhook-Event"
TERMINAL_EVENT = "video.task.terminal"

TOLERANCE_SECONDS = 300.0
"""A call signed longer ago (or further ahead) than this is refused as stale or replayed."""
MAX_BODY_BYTES = 1_000_000
KEY_REFETCH_SECONDS = 60.0
"""An unknown key id fetches the key set again, at most this often."""
KEY_RETRY_SECONDS = 5.0
"""After a failed fetch of the key set, calls are answered 503 this long without fetching."""


class WebhookRejected(Exception):
    """A call the endpoint refuses, with the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class WebhookEvent:
    """One verified call: its event id (the unsigned header's, for logs; else the signed
    message's digest) and its type (from the body), the prediction it is about (when the
    body names one) and the prediction itself (when the body carries a readable one)."""

    event_id: str
    event: str
    prediction_id: str | None
    prediction: Prediction | None
    data: dict[str, Any] | None = None
    """The prediction as the body carried it (to keep, and read again, as Atlas wrote it)."""


def b64url_decode(text: str) -> bytes:
    """Base64url (or standard base64), padded or not."""
    cleaned = text.strip().replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))


def parse_jwks(body: Any) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 keys of a JWKS document by key id (other key types are skipped)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    keys: dict[str, Ed25519PublicKey] = {}
    entries = body.get("keys") if isinstance(body, dict) else None
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or entry.get("kty") != "OKP":
            continue
        if entry.get("crv") != "Ed25519" or not isinstance(entry.get("x"), str):
            continue
        try:
            key = Ed25519PublicKey.from_public_bytes(b64url_decode(entry["x"]))
        except (ValueError, binascii.Error):
            log.warning("skipping an unreadable Ed25519 key in Atlas's webhook key set")
            continue
        kid = entry.get("kid")
        keys[str(kid) if kid is not None else f"#{index}"] = key
    return keys


class WebhookKeys:
    """Atlas's public webhook keys, fetched on first use and again (at most once a minute)
    when a call names a key id not yet known, e.g. after Atlas rotated its keys."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[Any]],
        *,
        clock: Callable[[], float] = time.monotonic,
        refetch_seconds: float = KEY_REFETCH_SECONDS,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._refetch_seconds = refetch_seconds
        self._keys: dict[str, Ed25519PublicKey] | None = None
        self._fetched_at = 0.0
        self._failed_at = -KEY_RETRY_SECONDS
        self._lock = asyncio.Lock()

    async def candidates(self, key_id: str | None) -> list[Ed25519PublicKey]:
        """The keys a call with this key id may be signed with (every key without one).

        Raises whatever `fetch` raises when the key set cannot be read at all."""
        async with self._lock:
            now = self._clock()
            if self._keys is None and now - self._failed_at < KEY_RETRY_SECONDS:
                # A call anyone can send must not make the bot hammer an Atlas that is down.
                raise ConnectionError("Atlas's webhook keys could not be read a moment ago")
            known = self._keys is not None and (key_id is None or key_id in self._keys)
            stale = now - self._fetched_at >= self._refetch_seconds
            if self._keys is None or (not known and stale):
                self._fetched_at = now
                try:
                    self._keys = parse_jwks(await self._fetch())
                except Exception:
                    self._failed_at = now
                    raise
            keys = self._keys
        if key_id is None:
            return list(keys.values())
        return [keys[key_id]] if key_id in keys else []


class WebhookVerifier:
    """Checks a call's signature and age, and remembers event ids to drop repeats."""

    def __init__(
        self,
        keys: WebhookKeys,
        *,
        tolerance_seconds: float = TOLERANCE_SECONDS,
        clock: Callable[[], float] = time.time,
        max_remembered: int = 100_000,
    ) -> None:
        self._keys = keys
        self._tolerance = tolerance_seconds
        self._clock = clock
        self._max_remembered = max_remembered
        # event id -> when seen; only calls younger than the tolerance can get past the age
        # check, so older ids may be forgotten.
        self._seen: OrderedDict[str, float] = OrderedDict()

    def precheck(self, headers: Mapping[str, str]) -> tuple[str, str]:
        """The signature and timestamp headers, checked before the body is read: a call
        without them, or signed too long ago, is refused (`WebhookRejected`, 401) unread."""
        signature = headers.get(SIGNATURE_HEADER)
        stamp = headers.get(TIMESTAMP_HEADER)
        if not signature or not stamp:
            raise WebhookRejected(401, "unsigned: signature and timestamp headers are required")
        signed_at = _timestamp(stamp)
        if signed_at is None or abs(self._clock() - signed_at) > self._tolerance:
            raise WebhookRejected(401, "stale or unreadable timestamp")
        return signature, stamp

    async def verify(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent | None:
        """The verified event, or None for a repeat of one already taken.

        Raises `WebhookRejected` (401 unsigned / bad signature / stale, 400 unreadable body,
        503 key set unavailable)."""
        signature, stamp = self.precheck(headers)
        now = self._clock()
        try:
            keys = await self._keys.candidates(headers.get(KEY_ID_HEADER))
        except Exception as exc:  # Atlas retries a call we could not check
            log.warning("cannot read Atlas's webhook keys: %s", exc)
            raise WebhookRejected(503, "webhook keys unavailable") from None
        message = stamp.strip().encode() + b"." + body
        if not _signed_by_any(keys, signature, message):
            raise WebhookRejected(401, "bad signature")
        # A repeat is the same signed message: the id header and the signature header are not
        # signed (a replay could change them, or add junk beside the valid signature).
        signed = hashlib.sha256(message).hexdigest()
        if not self._remember(signed, now):
            return None
        return _event(headers.get(EVENT_ID_HEADER) or signed, body)

    def _remember(self, event_id: str, now: float) -> bool:
        """Record an event id; False when it was seen before."""
        while self._seen:
            oldest, seen_at = next(iter(self._seen.items()))
            if now - seen_at <= 2 * self._tolerance and len(self._seen) < self._max_remembered:
                break
            del self._seen[oldest]
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        return True


def _timestamp(text: str) -> float | None:
    """Epoch seconds from a header in seconds or milliseconds."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value / 1000 if value > 1e11 else value


def _signed_by_any(keys: list[Ed25519PublicKey], header: str, message: bytes) -> bool:
    """Whether one of the header's signatures (comma or space separated, each optionally
    `v1=`-prefixed) verifies under one of the keys."""
    from cryptography.exceptions import InvalidSignature

    for part in header.replace(",", " ").split():
        try:
            signature = b64url_decode(part.split("=", 1)[1] if part.startswith("v1=") else part)
        except (ValueError, binascii.Error):
            continue
        for key in keys:
            try:
                key.verify(signature, message)
            except InvalidSignature:
                continue
            return True
    return False


def _event(event_id: str, body: bytes) -> WebhookEvent:
    """Read the body: the event type and the prediction, wherever the body keeps them. The
    type is the body's (the event header is not signed); a body that names none but carries a
    prediction that has ended is a terminal event."""
    try:
        parsed = json.loads(body)
    except ValueError:
        raise WebhookRejected(400, "body is not JSON") from None
    if not isinstance(parsed, dict):
        raise WebhookRejected(400, "body is not a JSON object")
    event = parsed.get("event") or parsed.get("type") or ""
    data = parsed.get("data")
    if isinstance(data, dict) and isinstance(data.get("prediction"), dict):
        data = data["prediction"]
    prediction: Prediction | None = None
    prediction_id: Any = None
    if isinstance(data, dict):
        prediction_id = data.get("id") or data.get("prediction_id") or data.get("task_id")
        if isinstance(data.get("status"), str):
            try:
                prediction = Prediction.model_validate(data)
            except ValidationError:
                prediction = None
    prediction_id = prediction_id or parsed.get("prediction_id") or parsed.get("task_id")
    if not event and prediction is not None and prediction.is_terminal:
        event = TERMINAL_EVENT
    return WebhookEvent(
        event_id=event_id,
        event=str(event),
        prediction_id=str(prediction_id) if prediction_id else None,
        prediction=prediction,
        data=data if isinstance(data, dict) else None,
    )


@dataclass(frozen=True)
class Notice:
    """Word from a webhook that a prediction ended; `prediction` when the call carried it."""

    prediction: Prediction | None


class PredictionNotices:
    """Where webhook calls meet the jobs waiting for them, by prediction id.

    A call may arrive before its job starts waiting (right after the submit, or while a
    restarted bot recovers): it is kept for `keep_seconds` and taken by the first wait.
    """

    def __init__(
        self,
        *,
        keep_seconds: float = 3600.0,
        max_kept: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keep_seconds = keep_seconds
        self._max_kept = max_kept
        self._clock = clock
        self._waiting: dict[str, asyncio.Future[Notice]] = {}
        self._early: OrderedDict[str, tuple[float, Notice]] = OrderedDict()

    def notify(self, prediction_id: str, prediction: Prediction | None = None) -> bool:
        """Tell the waiter of `prediction_id`; True when one was waiting (else it is kept)."""
        notice = Notice(prediction)
        waiter = self._waiting.get(prediction_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(notice)
            return True
        now = self._clock()
        self._early[prediction_id] = (now, notice)
        self._early.move_to_end(prediction_id)
        while self._early:
            oldest, (kept_at, _) = next(iter(self._early.items()))
            if now - kept_at <= self._keep_seconds and len(self._early) <= self._max_kept:
                break
            del self._early[oldest]
        return False

    async def pause(
        self, prediction_id: str, seconds: float, sleep: Callable[[float], Awaitable[None]]
    ) -> Notice | None:
        """Sleep `seconds` (with `sleep`) or until a webhook about the prediction arrives;
        the notice, or None when the time ran out first."""
        kept = self._early.pop(prediction_id, None)
        if kept is not None and self._clock() - kept[0] <= self._keep_seconds:
            return kept[1]
        waiter: asyncio.Future[Notice] = asyncio.get_running_loop().create_future()
        self._waiting[prediction_id] = waiter
        sleeper: asyncio.Future[None] = asyncio.ensure_future(sleep(seconds))
        try:
            await asyncio.wait((waiter, sleeper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            if self._waiting.get(prediction_id) is waiter:
                del self._waiting[prediction_id]
        if waiter.done():
            return waiter.result()
        waiter.cancel()
        return None
