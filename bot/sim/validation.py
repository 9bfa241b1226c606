"""The simulator's checks of a `generateVideo` body against the model catalogue.

Each model has its own parameter names (Seedance takes `ratio` and `image`), so a body meant for
one model is refused by another with a 400 that names the offending field.
"""

from __future__ import annotations

from typing import Any

from yarl import URL

from bot.catalogue import Catalogue, ModelSpec


class Refusal(Exception):
    """The simulator refuses a request with this HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _allowed_fields(spec: ModelSpec) -> set[str]:
    fields = {"model", "prompt", "duration", "resolution", "seed", "webhook_url"}
    fields.add(spec.aspect_ratio_param)
    if spec.is_image_to_video:
        fields.add(spec.images_param)
        if spec.images_param == "image":
            fields.add("last_image")
    return fields


def validate_submit(body: Any, catalogue: Catalogue) -> ModelSpec:
    """The model the body asks for, or `Refusal` naming the first field that is wrong."""
    if not isinstance(body, dict):
        raise Refusal(400, "request body must be a JSON object")
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        raise Refusal(400, "model: required")
    if model_id not in catalogue:
        raise Refusal(404, f"model not found: {model_id}")
    spec = catalogue.get(model_id)

    unknown = sorted(set(body) - _allowed_fields(spec))
    if unknown:
        raise Refusal(400, f"{unknown[0]}: not a parameter of {model_id}")

    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise Refusal(400, "prompt: required")
    if len(prompt) > spec.max_prompt_chars:
        raise Refusal(400, f"prompt: longer than {spec.max_prompt_chars} characters")

    duration = body.get("duration")
    if not _is_int(duration) or duration not in spec.durations:
        raise Refusal(400, f"duration: must be one of {list(spec.durations)}")

    ratio = body.get(spec.aspect_ratio_param)
    if ratio not in spec.aspect_ratios:
        raise Refusal(400, f"{spec.aspect_ratio_param}: must be one of {list(spec.aspect_ratios)}")

    if body.get("resolution") not in spec.resolutions:
        raise Refusal(400, f"resolution: must be one of {list(spec.resolutions)}")

    if "seed" in body and (not _is_int(body["seed"]) or body["seed"] < -1):
        raise Refusal(400, "seed: must be an integer >= -1")

    if spec.is_image_to_video:
        _check_images(spec, body)

    webhook = body.get("webhook_url")
    if webhook is not None and not _callable_back(webhook):
        raise Refusal(400, "webhook_url: must be an https URL of at most 1024 characters")
    return spec


def _callable_back(url: Any) -> bool:
    """Atlas wants https; the simulator also calls plain http on this machine, so tests and
    dry runs need no TLS."""
    if not isinstance(url, str) or len(url) > 1024:
        return False
    if url.startswith("https://"):
        return True
    host = URL(url).host if url.startswith("http://") else None
    return host in ("127.0.0.1", "localhost", "::1")


def _check_images(spec: ModelSpec, body: dict[str, Any]) -> None:
    name = spec.images_param
    value = body.get(name)
    if name == "image":
        if not _is_url(value):
            raise Refusal(400, "image: required, one image URL")
        if "last_image" in body and not _is_url(body["last_image"]):
            raise Refusal(400, "last_image: must be an image URL")
        return
    if not isinstance(value, list) or not value:
        raise Refusal(400, f"{name}: required, a list of image URLs")
    if len(value) > spec.max_images:
        raise Refusal(400, f"{name}: at most {spec.max_images} images")
    if not all(_is_url(item) for item in value):
        raise Refusal(400, f"{name}: every item must be an image URL")
