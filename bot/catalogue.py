"""The model catalogue: which Atlas models the bot offers, their options and their prices.

Loaded from the `[[models]]` tables of the config file. Each model maps our option names onto
the model's own parameter names (Seedance says `ratio` and `image` where Gemini says
`aspect_ratio` and `images`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.money import Micros, usd

ANY_RESOLUTION = "*"


class ModelKind(StrEnum):
    """What a model takes as input."""

    TEXT_TO_VIDEO = "text-to-video"
    IMAGE_TO_VIDEO = "image-to-video"


class PriceRule(BaseModel):
    """USD `base + per_second x duration` for one resolution, kept as exact micro-dollars."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base: Micros = Field(validation_alias="base_usd")
    per_second: Micros = Field(validation_alias="per_second_usd")

    @field_validator("base", "per_second", mode="before")
    @classmethod
    def _parse_usd(cls, value: Any) -> Micros:
        if isinstance(value, float):
            raise ValueError('write USD amounts as strings, e.g. "0.20", so they stay exact')
        amount = usd(value)
        if amount < 0:
            raise ValueError("a price cannot be negative")
        return amount


class ModelSpec(BaseModel):
    """One model of the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    label: str
    kind: ModelKind
    durations: tuple[int, ...]
    aspect_ratios: tuple[str, ...]
    resolutions: tuple[str, ...]
    price: dict[str, PriceRule]
    max_prompt_chars: int = 2000
    max_images: Annotated[int, Field(ge=0)] = 0
    expected_seconds: Annotated[float, Field(gt=0)] = 60.0
    aspect_ratio_param: str = "aspect_ratio"
    images_param: str = "images"

    @model_validator(mode="after")
    def _check(self) -> ModelSpec:
        if not self.durations or not self.aspect_ratios or not self.resolutions:
            raise ValueError(
                f"{self.id}: durations, aspect_ratios and resolutions must not be empty"
            )
        for resolution in self.resolutions:
            if resolution not in self.price and ANY_RESOLUTION not in self.price:
                raise ValueError(f"{self.id}: no price for resolution {resolution}")
        # A key that is no resolution (a typo: "4K" for "4k") would leave that resolution on
        # the "*" price without a word.
        for key in self.price:
            if key != ANY_RESOLUTION and key not in self.resolutions:
                valid = ", ".join(repr(r) for r in (*self.resolutions, ANY_RESOLUTION))
                raise ValueError(
                    f"{self.id}: price key {key!r} is not one of its resolutions; "
                    f"use one of {valid}"
                )
        if self.kind is ModelKind.IMAGE_TO_VIDEO and self.max_images < 1:
            raise ValueError(f"{self.id}: an image-to-video model needs max_images >= 1")
        return self

    @property
    def is_image_to_video(self) -> bool:
        """True when the model animates images."""
        return self.kind is ModelKind.IMAGE_TO_VIDEO

    def price_rule(self, resolution: str) -> PriceRule:
        """The price rule that applies at `resolution` (validated by the caller)."""
        return self.price.get(resolution) or self.price[ANY_RESOLUTION]


class UnknownModel(LookupError):
    """The model id is not in the catalogue."""

    def __init__(self, model_id: str, known: list[str]) -> None:
        super().__init__(f"unknown model {model_id!r}; known models: {', '.join(known)}")
        self.model_id = model_id


class Catalogue:
    """The models on offer, looked up by id."""

    def __init__(self, models: list[ModelSpec]) -> None:
        ids = [model.id for model in models]
        duplicates = {model_id for model_id in ids if ids.count(model_id) > 1}
        if duplicates:
            raise ValueError(
                f"model listed twice in the catalogue: {', '.join(sorted(duplicates))}"
            )
        self._models = {model.id: model for model in models}

    def __iter__(self) -> Any:
        return iter(self._models.values())

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._models

    def get(self, model_id: str) -> ModelSpec:
        """The model with this id, or `UnknownModel`."""
        try:
            return self._models[model_id]
        except KeyError:
            raise UnknownModel(model_id, list(self._models)) from None

    def of_kind(self, kind: ModelKind) -> list[ModelSpec]:
        """Models that take this kind of input, in catalogue order."""
        return [model for model in self._models.values() if model.kind is kind]
