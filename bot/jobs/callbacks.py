"""Atlas's calls about our own jobs: a webhook URL per job, and the call kept with the job.

With PUBLIC_WEBHOOK_URL set, each submit names `{PUBLIC_WEBHOOK_URL}/{job id}/{token}`. The
token is an HMAC of the job id under a key derived from the Atlas API key, so only the bot can
make it, every process of the bot makes the same one (they share the key), and a forged call
for another job's URL is refused before its signature is even checked.

Atlas calls that URL when the job ends, also when the submit's own answer was lost: so a
call can turn an *uncertain* job (Atlas may have started it, but we never got its id) back
into a normal one. Whichever process receives a verified call keeps it with the job in the
shared database (`job_callbacks`, the first call of each job) and signals every process (on
PostgreSQL, NOTIFY): the process that follows the job hears it at once and acts; a process that
takes a job over after a crash finds the call already stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from bot.atlas.models import Prediction
from bot.db.schema import UNFINISHED_JOBS_WHERE
from bot.db.signals import Signals
from bot.db.store import Conn, Store
from bot.db.times import from_micros, to_micros, utc_now

log = logging.getLogger(__name__)

CHANNEL = "avb_job_callbacks"
"""The signal every process hears when a call about a job was kept."""

TOKEN_CHARS = 32


def job_token(secret: bytes, job_id: str) -> str:
    """The token in a job's webhook URL: only a holder of `secret` can make it."""
    digest = hmac.new(secret, f"job:{job_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:TOKEN_CHARS]


def callback_secret(api_key: str) -> bytes:
    """The key of the job tokens, derived from the Atlas API key every process shares."""
    return hmac.new(api_key.encode(), b"atlas-video-bot webhook path v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class StoredCall:
    """Atlas's call about one of our jobs, as kept: the prediction id it names, and the
    prediction when the call carried a readable one (else a poll reads it)."""

    job_id: str
    prediction_id: str
    prediction: Prediction | None
    received_at: datetime


class CallbackInbox:
    """Keeps Atlas's calls about our jobs, and tells the bot's processes about them."""

    def __init__(
        self,
        db: Store,
        signals: Signals,
        *,
        base_url: str,
        secret: bytes,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = db
        self._signals = signals
        self._base_url = base_url.rstrip("/")
        self._secret = secret
        self._clock = clock

    def url_for(self, job_id: str) -> str:
        """The webhook URL a submit of this job names."""
        return f"{self._base_url}/{job_id}/{job_token(self._secret, job_id)}"

    def accepts(self, job_id: str, token: str) -> bool:
        """Whether `token` is this job's (checked before anything else of the call)."""
        return hmac.compare_digest(token.encode(), job_token(self._secret, job_id).encode())

    async def keep(self, job_id: str, prediction_id: str, data: Mapping[str, Any] | None) -> bool:
        """Keep a verified call with its job (only the first of each job counts) and signal
        every process; False for a later call, which changes nothing."""
        body = None if data is None else json.dumps(dict(data), separators=(",", ":"))
        at = to_micros(self._clock())
        kept = await self._db.run(
            lambda conn: conn.execute(
                "INSERT INTO job_callbacks (job_id, prediction_id, prediction, received_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING",
                (job_id, prediction_id, body, at),
            ),
            one_statement=True,
        )
        if kept:
            await self._signals.send(CHANNEL, job_id)
        return bool(kept)

    async def listen(
        self,
        on_call: Callable[[str], Awaitable[None]],
        *,
        catch_up: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Call `on_call(job_id)` whenever any process keeps a call, and `catch_up()` after
        a while this process could not hear (see `Signals`): then `unfinished_called`."""
        await self._signals.listen(CHANNEL, on_call, after_gap=catch_up)

    async def unfinished_called(self) -> list[str]:
        """The jobs not ended yet for which a call was kept (whatever process follows them)."""
        query = (
            "SELECT c.job_id FROM job_callbacks c JOIN jobs ON jobs.id = c.job_id"  # noqa: S608
            f" WHERE {UNFINISHED_JOBS_WHERE} ORDER BY c.received_at"  # a constant clause
        )
        rows = await self._db.read(lambda conn: conn.fetchall(query))
        return [str(job_id) for (job_id,) in rows]

    async def stored(self, job_id: str) -> StoredCall | None:
        """The call kept for this job, if one came."""

        async def read(conn: Conn) -> StoredCall | None:
            row = await conn.fetchone(
                "SELECT prediction_id, prediction, received_at FROM job_callbacks WHERE job_id = ?",
                (job_id,),
            )
            if row is None:
                return None
            prediction_id, body, received_us = row
            return StoredCall(job_id, prediction_id, _prediction(body), from_micros(received_us))

        return await self._db.read(read)


def _prediction(body: str | None) -> Prediction | None:
    if body is None:
        return None
    try:
        return Prediction.model_validate(json.loads(body))
    except (ValueError, ValidationError):
        log.warning("a kept webhook call's prediction is unreadable; polling instead")
        return None


__all__ = ["CHANNEL", "CallbackInbox", "StoredCall", "callback_secret", "job_token"]
