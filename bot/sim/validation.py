"""The simulator's checks of a `generateVideo` body against the model's own rules.

Each model has its own input names (Seedance takes `ratio` and `image`, the upscaler
`target_resolution`), written in `bot.sim.models`; a body meant for one model is refused by
another with a 400 that names the offending field first, as Atlas's validation does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from yarl import URL

from bot.sim.models import Input, SimModel, SimModels


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


_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": _is_int,
    "number": lambda v: _is_int(v) or isinstance(v, float),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
}


def validate_submit(body: Any, models: SimModels) -> SimModel:
    """The model the body asks for, or `Refusal` naming the first field that is wrong."""
    if not isinstance(body, dict):
        raise Refusal(400, "request body must be a JSON object")
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        raise Refusal(400, "model: required")
    if model_id not in models:
        raise Refusal(404, f"model not found: {model_id}")
    model = models.get(model_id)
    if model.chat:
        raise Refusal(400, f"model: {model_id} is a chat model (POST /v1/chat/completions)")

    unknown = sorted(set(body) - set(model.inputs) - {"model", "webhook_url"})
    if unknown:
        raise Refusal(400, f"{unknown[0]}: not a parameter of {model_id}")
    for name, rule in model.inputs.items():
        if name not in body:
            if rule.required:
                raise Refusal(400, f"{name}: required")
            continue
        problem = _problem(rule, body[name])
        if problem is not None:
            raise Refusal(400, f"{name}: {problem}")

    webhook = body.get("webhook_url")
    if webhook is not None and not _callable_back(webhook):
        raise Refusal(400, "webhook_url: must be an https URL of at most 1024 characters")
    return model


def _problem(rule: Input, value: Any) -> str | None:
    """Why `value` breaks `rule`, or None."""
    if not _TYPES[rule.type](value):
        if rule.type == "array":
            return "required, a list of URLs" if rule.url else "must be a list"
        if rule.url:
            return "required, one URL"
        return f"must be of type {rule.type}"
    if rule.enum is not None and value not in rule.enum:
        return f"must be one of {list(rule.enum)}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if rule.minimum is not None and value < rule.minimum:
            return f"must be an integer >= {rule.minimum:g}"
        if rule.maximum is not None and value > rule.maximum:
            return f"must be at most {rule.maximum:g}"
    if isinstance(value, str):
        if rule.min_length and not value.strip():
            return "required"
        if rule.max_length is not None and len(value) > rule.max_length:
            return f"longer than {rule.max_length} characters"
        if rule.url and not _is_url(value):
            return "must be a URL"
    if isinstance(value, list):
        if rule.min_items is not None and len(value) < rule.min_items:
            return "required, a list of URLs" if rule.url else f"at least {rule.min_items} items"
        if rule.max_items is not None and len(value) > rule.max_items:
            return f"at most {rule.max_items} items"
        if rule.url and not all(_is_url(item) for item in value):
            return "every item must be a URL"
    return None


def _callable_back(url: Any) -> bool:
    """Atlas wants https; the simulator also calls plain http on this machine, so tests and
    dry runs need no TLS."""
    if not isinstance(url, str) or len(url) > 1024:
        return False
    if url.startswith("https://"):
        return True
    host = URL(url).host if url.startswith("http://") else None
    return host in ("127.0.0.1", "localhost", "::1")
