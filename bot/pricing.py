"""Quotes: what a job will cost, from the catalogue's price rules."""

from __future__ import annotations

from bot.catalogue import ModelSpec
from bot.money import Micros


class InvalidOptions(ValueError):
    """The options do not fit the model (a duration or resolution it does not offer)."""


def check_options(
    model: ModelSpec, *, resolution: str, duration: int, aspect_ratio: str | None
) -> None:
    """Raise `InvalidOptions` naming the first option the model does not offer (a model
    whose output follows its input offers no duration or aspect ratio to check)."""
    if model.durations and duration not in model.durations:
        allowed = ", ".join(f"{d} s" for d in model.durations)
        raise InvalidOptions(f"{model.label} makes videos of {allowed}, not {duration} s")
    if resolution not in model.resolutions:
        raise InvalidOptions(
            f"{model.label} offers {', '.join(model.resolutions)}, not {resolution}"
        )
    if model.aspect_ratios and aspect_ratio not in model.aspect_ratios:
        raise InvalidOptions(
            f"{model.label} offers aspect ratios {', '.join(model.aspect_ratios)}, "
            f"not {aspect_ratio}"
        )


def quote(
    model: ModelSpec, resolution: str, duration: int, *, input_seconds: float | None = None
) -> Micros:
    """The price of one video in micro-dollars; `InvalidOptions` for a combination not on offer.

    The seconds priced are `duration` (the video asked for, or the seconds an extension adds),
    or for a model priced on its input (`priced_on = "input"`) the input video's
    `input_seconds`. Never returns zero for something unknown: an unpriced combination is an
    error.
    """
    if model.durations and duration not in model.durations:
        raise InvalidOptions(f"{model.label} does not make {duration} s videos")
    if resolution not in model.resolutions:
        raise InvalidOptions(f"{model.label} does not offer {resolution}")
    seconds: float = duration
    if model.priced_on == "input":
        if input_seconds is None:
            raise InvalidOptions(f"{model.label} is priced on its input video's length")
        seconds = input_seconds
    return model.price_rule(resolution).price(seconds)
