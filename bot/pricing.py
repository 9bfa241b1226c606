"""Quotes: what a job will cost, from the catalogue's price rules."""

from __future__ import annotations

from bot.catalogue import ModelSpec
from bot.money import Micros


class InvalidOptions(ValueError):
    """The options do not fit the model (a duration or resolution it does not offer)."""


def check_options(model: ModelSpec, *, resolution: str, duration: int, aspect_ratio: str) -> None:
    """Raise `InvalidOptions` naming the first option the model does not offer."""
    if duration not in model.durations:
        allowed = ", ".join(f"{d} s" for d in model.durations)
        raise InvalidOptions(f"{model.label} makes videos of {allowed}, not {duration} s")
    if resolution not in model.resolutions:
        raise InvalidOptions(
            f"{model.label} offers {', '.join(model.resolutions)}, not {resolution}"
        )
    if aspect_ratio not in model.aspect_ratios:
        raise InvalidOptions(
            f"{model.label} offers aspect ratios {', '.join(model.aspect_ratios)}, "
            f"not {aspect_ratio}"
        )


def quote(model: ModelSpec, resolution: str, duration: int) -> Micros:
    """The price of one video in micro-dollars; `InvalidOptions` for a combination not on offer.

    Never returns zero for something unknown: an unpriced combination is an error.
    """
    if duration not in model.durations:
        raise InvalidOptions(f"{model.label} does not make {duration} s videos")
    if resolution not in model.resolutions:
        raise InvalidOptions(f"{model.label} does not offer {resolution}")
    rule = model.price_rule(resolution)
    return rule.base + rule.per_second * duration
