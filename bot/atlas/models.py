"""Typed shapes of what the client sends to Atlas and reads back."""

from __future__ import annotations

import json
import logging
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.money import MICROS_PER_USD, Micros

log = logging.getLogger(__name__)

IN_PROGRESS_STATUSES = frozenset(
    {"created", "queued", "pending", "starting", "processing", "running"}
)
SUCCEEDED_STATUSES = frozenset({"completed", "succeeded", "success"})
FAILED_STATUSES = frozenset({"failed", "error", "canceled", "cancelled", "timeout"})

_unknown_statuses_logged: set[str] = set()


class PredictionState(StrEnum):
    """A prediction's status, reduced to what the caller acts on."""

    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def state_of(status: str) -> PredictionState:
    """Normalise a raw Atlas status; an unknown one counts as in progress and is logged once."""
    value = status.strip().lower()
    if value in SUCCEEDED_STATUSES:
        return PredictionState.SUCCEEDED
    if value in FAILED_STATUSES:
        return PredictionState.FAILED
    if value not in IN_PROGRESS_STATUSES and value not in _unknown_statuses_logged:
        _unknown_statuses_logged.add(value)
        log.warning("Atlas reported an unknown status %r; treating it as in progress", status)
    return PredictionState.IN_PROGRESS


def usd_to_micros(value: Any) -> Micros | None:
    """A reported USD price (number or numeric string) in micro-dollars, rounded half up."""
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip().lstrip("$"))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0:
        return None
    return int((amount * MICROS_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Prediction(BaseModel):
    """One job as Atlas reports it (the `data` of a submit or poll answer)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    model: str | None = None
    status: str = "created"
    outputs: list[str] = Field(default_factory=list)
    error: str | None = None
    error_code: int | None = None
    price: Micros | None = None
    has_nsfw_contents: list[bool] = Field(default_factory=list)
    created_at: str | None = None
    completed_at: str | None = None
    request_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _error_object(cls, data: Any) -> Any:
        # `error` may be an object carrying its own code: lift the code when none is given.
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            code = data["error"].get("code")
            if data.get("error_code") is None and code is not None:
                data = {**data, "error_code": code}
        return data

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("status", mode="before")
    @classmethod
    def _status_text(cls, value: Any) -> Any:
        return "created" if value is None else value

    @field_validator("outputs", mode="before")
    @classmethod
    def _output_urls(cls, value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str | dict):
            value = [value]
        urls: list[str] = []
        for item in value:
            if isinstance(item, dict):
                item = item.get("url") or item.get("download_url")
            if isinstance(item, str) and item:
                urls.append(item)
        return urls

    @field_validator("error", mode="before")
    @classmethod
    def _error_text(cls, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, dict):
            for key in ("message", "msg", "detail", "error"):
                if isinstance(value.get(key), str) and value[key]:
                    return str(value[key])
            return json.dumps(value, sort_keys=True)
        return str(value)

    @field_validator("error_code", mode="before")
    @classmethod
    def _error_code_int(cls, value: Any) -> int | None:
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    @field_validator("price", mode="before")
    @classmethod
    def _price_micros(cls, value: Any) -> Micros | None:
        return usd_to_micros(value)

    @field_validator("has_nsfw_contents", mode="before")
    @classmethod
    def _nsfw_list(cls, value: Any) -> list[bool]:
        if value is None:
            return []
        if isinstance(value, bool):
            return [value]
        return [bool(item) for item in value]

    @field_validator("created_at", "completed_at", mode="before")
    @classmethod
    def _time_text(cls, value: Any) -> str | None:
        return None if value in (None, "") else str(value)

    @property
    def state(self) -> PredictionState:
        """The normalised state; unknown statuses are in progress."""
        return state_of(self.status)

    @property
    def is_terminal(self) -> bool:
        """True once the job has succeeded or failed for good."""
        return self.state is not PredictionState.IN_PROGRESS


class VideoRequest(BaseModel):
    """One `generateVideo` call, in our option names; `payload()` maps them onto the model's."""

    model: str
    prompt: str
    duration: int
    aspect_ratio: str
    resolution: str
    seed: int | None = None
    images: list[str] = Field(default_factory=list)
    aspect_ratio_param: str = "aspect_ratio"
    images_param: str = "images"
    # Where Atlas calls back when the job ends (PUBLIC_WEBHOOK_URL); None: the bot polls.
    webhook_url: str | None = None

    def payload(self) -> dict[str, Any]:
        """The flat JSON body Atlas expects for this model."""
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": self.prompt,
            "duration": self.duration,
            self.aspect_ratio_param: self.aspect_ratio,
            "resolution": self.resolution,
        }
        if self.seed is not None and self.seed >= 0:
            body["seed"] = self.seed
        if self.images:
            body[self.images_param] = (
                self.images[0] if self.images_param == "image" else list(self.images)
            )
        if self.webhook_url:
            body["webhook_url"] = self.webhook_url
        return body


class GenerateRequest(BaseModel):
    """One `generateVideo` call for any kind of model: `inputs` already carry the model's own
    names (the catalogue maps our options onto them, `ModelSpec.request_inputs`)."""

    model: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    # Where Atlas calls back when the job ends (PUBLIC_WEBHOOK_URL); None: the bot polls.
    webhook_url: str | None = None

    def payload(self) -> dict[str, Any]:
        """The flat JSON body Atlas expects."""
        body: dict[str, Any] = {"model": self.model, **self.inputs}
        if self.webhook_url:
            body["webhook_url"] = self.webhook_url
        return body


class ChatMessage(BaseModel):
    """One message of an OpenAI-compatible chat."""

    role: str
    content: str


class ChatAnswer(BaseModel):
    """What the chat endpoint answered: the text, and the tokens billed for it."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    text: str
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    finish_reason: str | None = None

    @classmethod
    def from_body(cls, body: Any) -> ChatAnswer:
        """Read `{id, choices[0].message.content, usage{prompt_tokens, completion_tokens}}`;
        ValueError when a part the bill depends on is missing."""
        if not isinstance(body, dict):
            raise ValueError("the answer is not a JSON object")
        choices = body.get("choices")
        usage = body.get("usage")
        if not isinstance(choices, list) or not choices or not isinstance(usage, dict):
            raise ValueError("the answer has no choices or no usage")
        first: dict[str, Any] = choices[0] if isinstance(choices[0], dict) else {}
        message: dict[str, Any] = first.get("message") or {}
        if not isinstance(message, dict):
            message = {}
        return cls(
            id=body.get("id") if isinstance(body.get("id"), str) else None,
            text=str(message.get("content") or "").strip(),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            finish_reason=first.get("finish_reason"),
        )
