"""The `generateVideo` body of a job: our options, named as the job's model names them.

One function for the runner (the real request, with the uploaded URLs) and for the check
before the hold (`bot.jobs.inputs.schema_problems`, with stand-ins for URLs not uploaded yet),
so what is checked is what is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.atlas import GenerateRequest
from bot.atlas.schemas import ModelSchemas, SchemaProblem, problems_in
from bot.catalogue import Option
from bot.jobs.orders import ValidatedOrder

STAND_IN_URL = "https://example.invalid/stand-in"
"""A URL in place of an upload that is made only after the hold (schema checks only)."""


def generate_request(
    order: ValidatedOrder,
    *,
    image_urls: Sequence[str],
    last_image_url: str | None = None,
    webhook_url: str | None = None,
) -> GenerateRequest:
    """The request that starts `order` at Atlas; options the model does not take are left out
    (the catalogue's `inputs` say which)."""
    meta = order.meta
    model = order.model
    values: dict[Option, Any] = {
        Option.PROMPT: meta.prompt or None,
        Option.DURATION: order.duration if model.durations else None,
        Option.ASPECT_RATIO: order.aspect_ratio or None,
        Option.RESOLUTION: order.resolution,
        Option.SEED: order.seed if order.seed >= 0 else None,
        Option.IMAGES: list(image_urls) or None,
        Option.IMAGE: image_urls[0] if image_urls else None,
        Option.LAST_IMAGE: last_image_url,
        Option.VIDEO: meta.video_url,
    }
    return GenerateRequest(
        model=model.id, inputs=model.request_inputs(values), webhook_url=webhook_url
    )


def request_before_upload(order: ValidatedOrder) -> GenerateRequest:
    """The request as it will be once the images are uploaded, with stand-in URLs: what the
    model's schema is checked against before anything is held."""
    meta = order.meta
    count = max(meta.image_count, len(meta.image_urls))
    images = list(meta.image_urls) or [STAND_IN_URL] * count
    wants_last = meta.loop or meta.last_image_url is not None or order.order.last_image is not None
    last = (meta.last_image_url or STAND_IN_URL) if wants_last else None
    request = generate_request(order, image_urls=images, last_image_url=last)
    if order.model.kind.takes_video and meta.video_url is None:
        request.inputs[order.model.inputs[Option.VIDEO]] = STAND_IN_URL
    return request


def schema_problems(order: ValidatedOrder, schemas: ModelSchemas | None) -> list[SchemaProblem]:
    """What Atlas would refuse in the job's request, by the model's cached input schema (none
    when the schema is unknown: Atlas down or the model unpublished never blocks a job)."""
    schema = None if schemas is None else schemas.schema_of(order.model.id)
    if schema is None:
        return []
    return problems_in(schema, request_before_upload(order).payload())


__all__ = ["STAND_IN_URL", "generate_request", "request_before_upload", "schema_problems"]
