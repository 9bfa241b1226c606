"""Discord's rate limits in the fake: per-route buckets, the global limit, invalid requests.

What Discord documents (docs/topics/rate-limits.md, discord/discord-api-docs):
- every route has buckets, counted per top-level resource in the path (channel id, guild id,
  webhook id + token); routes may share one, told by ``X-RateLimit-Bucket``; every answer carries
  ``X-RateLimit-Limit/-Remaining/-Reset/-Reset-After/-Bucket``; a 429 carries ``retry_after``,
  ``global`` and ``X-RateLimit-Scope`` (``user``, ``global``, ``shared``);
- 50 requests per second per bot on every route authenticated with the bot token; the
  interaction endpoints (the callback, the interaction webhook) are not bound by it;
- 10,000 answers with 401, 403 or 429 (not scope ``shared``) in 10 minutes ban the bot's IP.

Discord does not publish its per-route limits ("should not be hard coded") and changes them;
``DEFAULT_ROUTE_LIMITS`` holds figures observed and reported by library authors, each with its
source. Routes not listed get ``FALLBACK_LIMIT`` per route and resource (Discord's figure for them
is unknown to us: the global limit is what binds them here). A test replaces any figure with
``FakeDiscord(route_limits=...)`` or ``FakeDiscord.set_route_limit``.

A bucket is a fixed window, as the headers describe it and discord.py models it: the first
request after a reset opens it for ``per`` seconds, ``Remaining`` counts down, and the window's
end is ``Reset``; a refused request spends nothing. (Discord has moved many routes to sliding
windows since 2022, discord-api-docs#7680; discord.py paces itself the same against both, since
it waits the whole ``Reset-After`` once ``Remaining`` is 0.) The global limit is a fixed window
of ``global_window`` too: a sliding one would let a herd of retried requests in one by one, more
harshly than Discord with its network latency, and make discord.py give up after five 429s.
``peak_global_rate`` is measured strictly, over any sliding window, so a test can still assert
the bot never sent more than 50 requests within one second. Time runs on the fake's
``limits_clock`` (``time.monotonic`` unless a test gives another).
"""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

GLOBAL_LIMIT = 50  # requests per second per bot (documented)
GLOBAL_WINDOW = 1.0
INVALID_REQUEST_WINDOW = 600.0  # 10 minutes (documented)
INVALID_REQUEST_BAN = 10_000  # invalid answers in that window that ban the IP (documented)


@dataclass(frozen=True)
class RouteLimit:
    """``limit`` requests per ``per`` seconds for each top-level resource (channel, guild,
    webhook + token); routes naming the same ``bucket`` share one count, as Discord's
    ``X-RateLimit-Bucket`` says."""

    limit: int
    per: float
    bucket: str


# Keys are "METHOD /path" with the fake's own placeholders (see rest.py and rest_messages.py).
_INTERACTION_WEBHOOK = RouteLimit(5, 2.0, "interaction-webhook")
DEFAULT_ROUTE_LIMITS: Mapping[str, RouteLimit] = {
    # Message create, 5 per 5 s per channel: the figure of the 429s bots log (Limit: 5, about
    # 5 s, Route /channels/:id/messages, e.g. alexemanuelol/rustplusplus#475, 2025).
    "POST /channels/{channel_id}/messages": RouteLimit(5, 5.0, "channel-message-create"),
    # Message edit: it once reported create's bucket hash yet counted apart (edits went through
    # after the sends had used the bucket, discord-api-docs#1442); apart here, at create's figure.
    "PATCH /channels/{channel_id}/messages/{message_id}": RouteLimit(
        5, 5.0, "channel-message-edit"
    ),
    # Message delete: its own bucket (discord-api-docs#8073, 2026: Discord fixed message
    # endpoints that counted apart reporting one hash); 5 per 1 s, the figure long cited for
    # deletes, which we found no recent measurement of.
    "DELETE /channels/{channel_id}/messages/{message_id}": RouteLimit(
        5, 1.0, "channel-message-delete"
    ),
    # Interaction webhook, 5 per 2 s per interaction token, every verb: measured by JDA's author
    # (discord-api-docs#2701, 2021; Discord: "identical to webhook rate limits").
    "POST /webhooks/{app_id}/{token}": _INTERACTION_WEBHOOK,
    "GET /webhooks/{app_id}/{token}/messages/{message_id}": _INTERACTION_WEBHOOK,
    "PATCH /webhooks/{app_id}/{token}/messages/{message_id}": _INTERACTION_WEBHOOK,
    "DELETE /webhooks/{app_id}/{token}/messages/{message_id}": _INTERACTION_WEBHOOK,
    # The callback: one answer per interaction, so only retries meet it; the webhook figure,
    # assumed (not measured), per interaction.
    "POST /interactions/{interaction_id}/{token}/callback": RouteLimit(
        5, 2.0, "interaction-callback"
    ),
}
FALLBACK_LIMIT = (50, 1.0)  # limit, per: routes Discord's figure is not known for


@dataclass(frozen=True)
class RateLimitHit:
    """One 429 the fake served: to whom, for which bucket, and how long it told the bot to wait.

    ``bucket`` is the bucket name and its top-level resource (``"channel-message-edit
    channel:42"``), ``"global"`` for the global limit; ``scripted`` marks a ``fail_next`` 429.
    """

    at: float  # on the limits clock
    method: str
    path: str
    route: str
    bucket: str
    scope: str  # "user", "global" or "shared"
    retry_after: float
    scripted: bool = False


@dataclass(frozen=True)
class BucketState:
    """A bucket as one answer reports it in its ``X-RateLimit-*`` headers."""

    limit: int
    remaining: int
    reset_after: float
    bucket: str
    allowed: bool = True

    def headers(self) -> dict[str, str]:
        """The headers Discord sends on every answer of a limited route."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": f"{time.time() + self.reset_after:.3f}",  # epoch, wall clock
            "X-RateLimit-Reset-After": f"{self.reset_after:.3f}",
            "X-RateLimit-Bucket": self.bucket,
        }


def ceil_ms(seconds: float) -> float:
    """Round up to the millisecond: a client waiting this long finds the bucket reset."""
    return max(math.ceil(seconds * 1000 - 1e-6) / 1000, 0.001)


def limited_headers(retry_after: float, scope: str, state: BucketState | None) -> dict[str, str]:
    """A 429's headers: the route's bucket (none for the global limit) and the scope."""
    headers = {
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Scope": scope,
        "Via": "1.1 google",  # discord.py takes a 429 without Via for a Cloudflare ban
    }
    if state is None:
        headers["X-RateLimit-Global"] = "true"
    else:
        headers.update(state.headers())
    return headers


def limited_body(retry_after: float, *, is_global: bool, scope: str) -> dict[str, object]:
    """A 429's body, as the documented examples show it."""
    message = (
        "The resource is being rate limited."
        if scope == "shared"
        else "You are being rate limited."
    )
    return {"message": message, "retry_after": retry_after, "global": is_global}


@dataclass
class _Window:
    opened: float
    used: int = 0


class RateLimiter:
    """The fake's buckets, global limit, invalid-request count and what it observed."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        route_limits: Mapping[str, RouteLimit] | None = None,
        global_limit: int | None = GLOBAL_LIMIT,
        global_window: float = GLOBAL_WINDOW,
        window_scale: float = 1.0,
    ) -> None:
        self.clock = clock
        self.route_limits: dict[str, RouteLimit] = {**DEFAULT_ROUTE_LIMITS, **(route_limits or {})}
        self.global_limit = global_limit
        self.window_scale = window_scale
        self.global_window = global_window * window_scale
        self.hits: list[RateLimitHit] = []
        self.calls: Counter[str] = Counter()
        self.exhausted: Counter[str] = Counter()  # by route: answers with Remaining 0
        self.peak_global_rate = 0
        self.invalid_peak = 0
        self._windows: dict[tuple[str, str], _Window] = {}
        self._global: _Window | None = None
        self._global_sent: deque[float] = deque()  # every bot-token request, for the peak
        self._invalid: deque[float] = deque()

    def limit_for(self, route: str) -> RouteLimit:
        """The route's figure (listed, or the fallback in its own bucket), its window scaled."""
        limit, per = FALLBACK_LIMIT
        rule = self.route_limits.get(route) or RouteLimit(limit, per, route)
        return RouteLimit(rule.limit, rule.per * self.window_scale, rule.bucket)

    def check_global(self, now: float) -> float | None:
        """Count one bot-token request; the wait to tell it if the global limit refuses it."""
        self._global_sent.append(now)
        _trim(self._global_sent, now - self.global_window)
        self.peak_global_rate = max(self.peak_global_rate, len(self._global_sent))
        if self.global_limit is None:
            return None
        window = self._global
        if window is None or now >= window.opened + self.global_window:
            window = self._global = _Window(now)
        if window.used >= self.global_limit:
            return ceil_ms(window.opened + self.global_window - now)
        window.used += 1
        return None

    def take(self, route: str, resource: str, now: float) -> BucketState:
        """Spend one request of the route's bucket for this resource, if it has one left."""
        rule = self.limit_for(route)
        key = (rule.bucket, resource)
        window = self._windows.get(key)
        if window is None or now >= window.opened + rule.per:
            window = self._windows[key] = _Window(now)
        allowed = window.used < rule.limit
        if allowed:
            window.used += 1
            if window.used == rule.limit:
                self.exhausted[route] += 1
        return BucketState(
            rule.limit,
            max(rule.limit - window.used, 0),
            ceil_ms(window.opened + rule.per - now),
            rule.bucket,
            allowed,
        )

    def peek(self, route: str, resource: str, now: float) -> BucketState:
        """The bucket as it stands, spending nothing (for answers the limits did not decide)."""
        rule = self.limit_for(route)
        window = self._windows.get((rule.bucket, resource))
        if window is None or now >= window.opened + rule.per:
            return BucketState(rule.limit, rule.limit, ceil_ms(rule.per), rule.bucket)
        remaining = max(rule.limit - window.used, 0)
        return BucketState(
            rule.limit, remaining, ceil_ms(window.opened + rule.per - now), rule.bucket
        )

    def answered(self, status: int, scope: str | None, now: float) -> None:
        """Count an answer towards the invalid-request limit (401, 403, 429 not ``shared``)."""
        if status in (401, 403) or (status == 429 and scope != "shared"):
            self._invalid.append(now)
            _trim(self._invalid, now - INVALID_REQUEST_WINDOW)
            self.invalid_peak = max(self.invalid_peak, len(self._invalid))

    def invalid_now(self) -> int:
        """Invalid answers in the last 10 minutes, as Discord counts them now."""
        _trim(self._invalid, self.clock() - INVALID_REQUEST_WINDOW)
        return len(self._invalid)


def _trim(times: deque[float], before: float) -> None:
    while times and times[0] <= before:
        times.popleft()
