"""A cheaper way: when a budget refuses a job, the cheapest options that still fit.

`cheapest_fit` looks first at the model the member asked for (every duration and resolution the
server allows, the same aspect ratio), then, only if none fits there, at the server's other
models of the same kind. `OfferBook` keeps each offer for a short while under a random token,
so a button can carry it (a prompt is far longer than a button's 100-character custom id); the
member who was refused takes it once, and the job then goes through the budget like any other.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.catalogue import Catalogue, ModelSpec
from bot.guilds.settings import GuildSettings
from bot.jobs.orders import JobRefused, ValidatedOrder, VideoOrder
from bot.money import Micros
from bot.pricing import quote

OFFER_TTL_SECONDS = 15 * 60.0
"""As long as the refusal's interaction token lives: the member decides within it."""

MONEY_LIMITS = frozenset({"user", "role", "guild"})
"""The budget refusals a cheaper video can answer (not "not allowed", not concurrency)."""


@dataclass(frozen=True)
class Offer:
    """A job that fits the budget: `order` has every option spelt out; `token` names it."""

    token: str
    user_id: int
    order: VideoOrder
    model_label: str
    model_changed: bool
    duration: int
    resolution: str
    price: Micros
    """In all (for `count` videos)."""
    expires_at: float
    count: int = 1
    """Videos in the offer: a refused batch is offered the number that fits."""


class BudgetRefused(JobRefused):
    """A budget refused the job; `offer` is a cheaper job that fits, if there is one."""

    def __init__(self, key: str, offer: Offer | None = None, **params: object) -> None:
        super().__init__(key, **params)
        self.offer = offer


class OfferGone(Exception):
    """The offer cannot be taken: `reason` is "gone" (used, expired, unknown) or "not_yours"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Fit:
    """One combination of options and its price."""

    model: ModelSpec
    duration: int
    resolution: str
    price: Micros


def _fits(
    model: ModelSpec, validated: ValidatedOrder, guild: GuildSettings, budget: Micros
) -> list[Fit]:
    """Every duration x resolution of `model` the server allows, priced within `budget`."""
    if validated.aspect_ratio not in model.aspect_ratios:
        return []
    if len(validated.meta.prompt) > model.max_prompt_chars:
        return []
    if model.is_image_to_video and validated.meta.image_count > model.max_images:
        return []
    found = []
    for resolution in model.resolutions:
        if not guild.allows_resolution(resolution):
            continue
        for duration in model.durations:
            price = quote(model, resolution, duration)
            if price <= budget and price < validated.price:
                found.append(Fit(model, duration, resolution, price))
    return found


def cheapest_fit(
    validated: ValidatedOrder, catalogue: Catalogue, guild: GuildSettings, budget: Micros
) -> Fit | None:
    """The cheapest options within `budget`: on the asked-for model if any fit there, else on
    another allowed model of the same kind. Ties keep what was asked: its resolution, then the
    longest video."""
    asked = validated.model
    fits = _fits(asked, validated, guild, budget)
    if not fits:
        others = [
            m
            for m in catalogue.of_kind(asked.kind)
            if m.id != asked.id and guild.allows_model(m.id)
        ]
        fits = [fit for model in others for fit in _fits(model, validated, guild, budget)]
    if not fits:
        return None
    return min(
        fits,
        key=lambda f: (f.price, f.resolution != validated.resolution, -f.duration, f.model.id),
    )


class OfferBook:
    """Offers waiting for a click, in memory (a restart forgets them: the member asks again)."""

    def __init__(
        self,
        catalogue: Catalogue,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        ttl: float = OFFER_TTL_SECONDS,
    ) -> None:
        self._catalogue = catalogue
        self._monotonic = monotonic
        self._ttl = ttl
        self._offers: dict[str, Offer] = {}

    def propose(
        self, validated: ValidatedOrder, guild: GuildSettings, budget: Micros
    ) -> Offer | None:
        """Keep the cheapest job that fits `budget` for the refused member; None if none fits."""
        fit = cheapest_fit(validated, self._catalogue, guild, budget)
        if fit is None:
            return None
        now = self._monotonic()
        order = replace(
            validated.order,
            model_id=fit.model.id,
            duration=fit.duration,
            resolution=fit.resolution,
            aspect_ratio=validated.aspect_ratio,
        )
        offer = Offer(
            token=secrets.token_hex(16),
            user_id=validated.order.user_id,
            order=order,
            model_label=fit.model.label,
            model_changed=fit.model.id != validated.model.id,
            duration=fit.duration,
            resolution=fit.resolution,
            price=fit.price,
            expires_at=now + self._ttl,
        )
        return self._keep(offer)

    def propose_count(self, validated: ValidatedOrder, count: int) -> Offer:
        """Keep the same videos, `count` of them (what fitted of a refused batch)."""
        order = replace(
            validated.order,
            model_id=validated.model.id,
            duration=validated.duration,
            resolution=validated.resolution,
            aspect_ratio=validated.aspect_ratio,
            count=count,
        )
        return self._keep(
            Offer(
                token=secrets.token_hex(16),
                user_id=order.user_id,
                order=order,
                model_label=validated.model.label,
                model_changed=False,
                duration=validated.duration,
                resolution=validated.resolution,
                price=validated.price * count,
                expires_at=self._monotonic() + self._ttl,
                count=count,
            )
        )

    def _keep(self, offer: Offer) -> Offer:
        now = self._monotonic()
        self._offers = {k: o for k, o in self._offers.items() if o.expires_at > now}
        self._offers[offer.token] = offer
        return offer

    def take(self, token: str, user_id: int) -> Offer:
        """The offer, once, for the member it was made to (`OfferGone` otherwise)."""
        offer = self._offers.get(token)
        if offer is None or offer.expires_at <= self._monotonic():
            self._offers.pop(token, None)
            raise OfferGone("gone")
        if offer.user_id != user_id:
            raise OfferGone("not_yours")
        del self._offers[token]
        return offer


__all__ = [
    "MONEY_LIMITS",
    "OFFER_TTL_SECONDS",
    "BudgetRefused",
    "Fit",
    "Offer",
    "OfferBook",
    "OfferGone",
    "cheapest_fit",
]
