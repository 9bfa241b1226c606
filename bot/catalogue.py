"""The model catalogue: which Atlas models the bot offers, their options, limits and prices.

Loaded from the `[[models]]` tables of the config file. Each model says what kind of job it
makes and maps our option names onto the model's own input names (`inputs`): Seedance says
`ratio` and `image` where Gemini says `aspect_ratio` and `images`, the upscaler takes its
resolution as `target_resolution`. Nothing outside this module knows a model's input names:
the job layer fills our options and `ModelSpec.request_inputs` names them as Atlas wants.
`atlas-video-bot check` compares every mapping with the model's published input schema.

Longer than most modules: every model entry's parsing, checks and input-name mapping in one
place, so no other module learns a model's names.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.money import Micros, usd

ANY_RESOLUTION = "*"
TOKENS_PER_PRICE_UNIT = 1_000_000
"""LLM prices are per million tokens, as Atlas's model list gives them."""


class ModelKind(StrEnum):
    """What a model makes, from what."""

    TEXT_TO_VIDEO = "text-to-video"
    IMAGE_TO_VIDEO = "image-to-video"
    START_END_FRAME = "start-end-frame"
    """A video from a first and a last image (both required)."""
    VIDEO_EXTEND = "video-extend"
    """A video continued by some seconds."""
    VIDEO_EDIT = "video-edit"
    """A video changed as a prompt says."""
    UPSCALE = "upscale"
    """A video at a higher resolution."""
    LLM = "llm"
    """A chat model: the prompt helper."""

    @property
    def takes_video(self) -> bool:
        """Jobs of this kind start from a video."""
        return self in VIDEO_INPUT_KINDS

    @property
    def takes_images(self) -> bool:
        """Jobs of this kind start from images."""
        return self in (ModelKind.IMAGE_TO_VIDEO, ModelKind.START_END_FRAME)


VIDEO_INPUT_KINDS = frozenset({ModelKind.VIDEO_EXTEND, ModelKind.VIDEO_EDIT, ModelKind.UPSCALE})
MAKER_KINDS = frozenset(
    {ModelKind.TEXT_TO_VIDEO, ModelKind.IMAGE_TO_VIDEO, ModelKind.START_END_FRAME}
)
"""The kinds /video and /animate make: the ones a server's and a member's defaults (duration,
aspect ratio, resolution) are about."""


class Option(StrEnum):
    """Our names for what a job can send; each model maps them onto its own input names."""

    PROMPT = "prompt"
    DURATION = "duration"
    ASPECT_RATIO = "aspect_ratio"
    RESOLUTION = "resolution"
    SEED = "seed"
    IMAGES = "images"
    """Every image of the job, as a list of URLs."""
    IMAGE = "image"
    """The (first) image, as one URL."""
    LAST_IMAGE = "last_image"
    """The image the video ends on, as one URL."""
    VIDEO = "video"
    """The input video, as one URL."""


_COMMON = {Option.PROMPT: "prompt", Option.RESOLUTION: "resolution", Option.SEED: "seed"}
_TIMED = {**_COMMON, Option.DURATION: "duration"}
DEFAULT_INPUTS: Mapping[ModelKind, Mapping[Option, str]] = {
    ModelKind.TEXT_TO_VIDEO: {**_TIMED, Option.ASPECT_RATIO: "aspect_ratio"},
    ModelKind.IMAGE_TO_VIDEO: {
        **_TIMED,
        Option.ASPECT_RATIO: "aspect_ratio",
        Option.IMAGES: "images",
    },
    ModelKind.START_END_FRAME: {
        **_TIMED,
        Option.ASPECT_RATIO: "aspect_ratio",
        Option.IMAGE: "image",
        Option.LAST_IMAGE: "last_image",
    },
    ModelKind.VIDEO_EXTEND: {**_TIMED, Option.VIDEO: "video"},
    ModelKind.VIDEO_EDIT: {**_COMMON, Option.VIDEO: "video"},
    ModelKind.UPSCALE: {Option.VIDEO: "video", Option.RESOLUTION: "resolution"},
}
"""What each kind of model takes unless its `inputs` say otherwise."""

_REQUIRED: Mapping[ModelKind, tuple[Option, ...]] = {
    ModelKind.TEXT_TO_VIDEO: (Option.PROMPT,),
    ModelKind.IMAGE_TO_VIDEO: (Option.PROMPT,),
    ModelKind.START_END_FRAME: (Option.PROMPT, Option.IMAGE, Option.LAST_IMAGE),
    ModelKind.VIDEO_EXTEND: (Option.VIDEO, Option.DURATION),
    ModelKind.VIDEO_EDIT: (Option.PROMPT, Option.VIDEO),
    ModelKind.UPSCALE: (Option.VIDEO,),
}
"""What a kind of job cannot do without: a model of that kind must map it."""


class PriceRule(BaseModel):
    """USD `base + per_second x seconds` for one resolution, kept as exact micro-dollars.

    With `block_seconds`, seconds are charged in whole blocks (the upscaler bills per 5 s:
    `per_second_usd = "0.005"`, `block_seconds = 5` is USD 0.025 for each started 5 s).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    base: Micros = Field(validation_alias="base_usd")
    per_second: Micros = Field(validation_alias="per_second_usd")
    block_seconds: Annotated[int, Field(ge=1)] = 1

    @field_validator("base", "per_second", mode="before")
    @classmethod
    def _parse_usd(cls, value: Any) -> Micros:
        return _usd_price(value)

    def price(self, seconds: float) -> Micros:
        """What `seconds` cost: the base, and each started block at its per-second price."""
        blocks = math.ceil(max(seconds, 0) / self.block_seconds - 1e-9)
        return self.base + self.per_second * self.block_seconds * blocks


def _usd_price(value: Any) -> Micros:
    if isinstance(value, float):
        raise ValueError('write USD amounts as strings, e.g. "0.20", so they stay exact')
    amount = usd(value)
    if amount < 0:
        raise ValueError("a price cannot be negative")
    return amount


class ModelSpec(BaseModel):
    """One video model of the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    label: str
    kind: ModelKind
    resolutions: tuple[str, ...]
    price: dict[str, PriceRule]
    durations: tuple[int, ...] = ()
    """Seconds of video the member may ask for (for an extend model: seconds to add); none
    for models whose output is as long as their input (edit, upscale)."""
    aspect_ratios: tuple[str, ...] = ()
    """None for models whose output keeps the input's shape (extend, edit, upscale)."""
    inputs: dict[Option, str] = Field(default_factory=dict)
    """Our option -> the model's input name; filled from the kind's defaults (`DEFAULT_INPUTS`),
    an empty name removes an option the model does not take."""
    priced_on: Literal["duration", "input"] = "duration"
    """Which seconds the price counts: the video asked for, or the input video's."""
    max_prompt_chars: int = 2000
    max_images: Annotated[int, Field(ge=0)] = 0
    max_input_seconds: Annotated[float, Field(gt=0)] | None = None
    """The longest input video the model takes."""
    min_input_seconds: Annotated[float, Field(gt=0)] | None = None
    """The shortest input video the model takes."""
    max_total_seconds: Annotated[float, Field(gt=0)] | None = None
    """An extended video may be at most this long, input and added seconds together."""
    max_input_mb: Annotated[int, Field(gt=0)] | None = None
    """The largest input video the model takes, in MB (1,000,000 bytes)."""
    expected_seconds: Annotated[float, Field(gt=0)] = 60.0

    @model_validator(mode="before")
    @classmethod
    def _inputs(cls, raw: Any) -> Any:
        """Fill `inputs` from the kind's defaults; the names of earlier versions
        (`aspect_ratio_param`, `images_param`) still work."""
        if not isinstance(raw, Mapping):
            return raw
        values = dict(raw)
        try:
            kind = ModelKind(str(values.get("kind")))
        except ValueError:
            return values  # pydantic names the bad kind
        if kind is ModelKind.LLM:
            return values
        given = dict(values.pop("inputs", None) or {})
        ratio = values.pop("aspect_ratio_param", None)
        images = values.pop("images_param", None)
        if ratio is not None:
            given.setdefault(Option.ASPECT_RATIO.value, ratio)
        if images == "image":  # one URL, not a list
            given.setdefault(Option.IMAGES.value, "")
            given.setdefault(Option.IMAGE.value, "image")
        elif images is not None:
            given.setdefault(Option.IMAGES.value, images)
        unknown = sorted(set(given) - {option.value for option in Option})
        if unknown:
            names = ", ".join(option.value for option in Option)
            raise ValueError(
                f"{values.get('id')}: inputs has no option {unknown[0]!r}; use {names}"
            )
        merged = {option.value: name for option, name in DEFAULT_INPUTS[kind].items()}
        merged.update(given)
        values["inputs"] = {option: name for option, name in merged.items() if name}
        if kind in (ModelKind.VIDEO_EDIT, ModelKind.UPSCALE):
            values.setdefault("priced_on", "input")
        return values

    @model_validator(mode="after")
    def _check(self) -> ModelSpec:
        if self.kind is ModelKind.LLM:
            raise ValueError(f"{self.id}: an llm model takes input/output prices, not a video's")
        if not self.resolutions:
            raise ValueError(f"{self.id}: resolutions must not be empty")
        for option, offered in (
            (Option.DURATION, self.durations),
            (Option.ASPECT_RATIO, self.aspect_ratios),
        ):
            if (option in self.inputs) != bool(offered):
                what = "durations" if option is Option.DURATION else "aspect_ratios"
                raise ValueError(
                    f"{self.id}: {what} must be listed exactly when the model takes "
                    f"{option.value} (inputs.{option.value})"
                )
        for option in _REQUIRED[self.kind]:
            if option not in self.inputs:
                raise ValueError(f"{self.id}: a {self.kind} model must take {option.value}")
        if Option.IMAGES in self.inputs and Option.IMAGE in self.inputs:
            raise ValueError(f"{self.id}: map images (a list) or image (one URL), not both")
        if self.kind is ModelKind.IMAGE_TO_VIDEO and not self.takes_images:
            raise ValueError(f"{self.id}: an image-to-video model must take images or image")
        if self.kind.takes_images and self.max_images < 1:
            raise ValueError(f"{self.id}: an {self.kind} model needs max_images >= 1")
        if Option.IMAGE in self.inputs and self.max_images > 1:
            raise ValueError(f"{self.id}: image takes one URL: max_images must be 1")
        if Option.LAST_IMAGE in self.inputs and not self.takes_images:
            raise ValueError(f"{self.id}: a last_image needs a first image (image or images)")
        if self.priced_on == "input" and not self.kind.takes_video:
            raise ValueError(f'{self.id}: priced_on = "input" needs a model that takes a video')
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
        return self

    @property
    def is_image_to_video(self) -> bool:
        """True when the model animates images (with or without a last frame)."""
        return self.kind.takes_images

    @property
    def takes_images(self) -> bool:
        """The model takes the job's images (as a list, or the first one alone)."""
        return Option.IMAGES in self.inputs or Option.IMAGE in self.inputs

    @property
    def takes_last_image(self) -> bool:
        """The model can end the video on a given image (first and last frame, loop)."""
        return Option.LAST_IMAGE in self.inputs

    @property
    def needs_last_image(self) -> bool:
        """The model cannot make a video without a last image."""
        return self.kind is ModelKind.START_END_FRAME

    @property
    def aspect_ratio_param(self) -> str:
        """The model's name for the aspect ratio (for the simulator's outputs)."""
        return self.inputs.get(Option.ASPECT_RATIO, "aspect_ratio")

    @property
    def images_param(self) -> str:
        """The model's name for its images: a list (`images`) or one URL (`image`)."""
        return self.inputs.get(Option.IMAGES) or self.inputs.get(Option.IMAGE) or "images"

    @property
    def max_input_bytes(self) -> int | None:
        """`max_input_mb` in bytes."""
        return None if self.max_input_mb is None else self.max_input_mb * 1_000_000

    def price_rule(self, resolution: str) -> PriceRule:
        """The price rule that applies at `resolution` (validated by the caller)."""
        return self.price.get(resolution) or self.price[ANY_RESOLUTION]

    def request_inputs(self, values: Mapping[Option, Any]) -> dict[str, Any]:
        """`values` (our options) under the model's own input names; options the model does
        not take, and values that are None, are left out."""
        return {
            self.inputs[option]: value
            for option, value in values.items()
            if option in self.inputs and value is not None
        }

    def option_named(self, name: str) -> Option | None:
        """Which of our options the model's input `name` carries, if any."""
        return next((option for option, mapped in self.inputs.items() if mapped == name), None)


class LlmSpec(BaseModel):
    """A chat model of the catalogue (the prompt helper), priced per token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    label: str
    kind: Literal[ModelKind.LLM]
    input_price: Micros = Field(validation_alias="input_usd_per_million")
    """USD per million prompt tokens (the model list's `input_price` wins when it has one)."""
    output_price: Micros = Field(validation_alias="output_usd_per_million")
    """USD per million completion tokens."""
    max_tokens: Annotated[int, Field(ge=16, le=8192)] = 600
    """The most tokens one answer may have: the hold is priced on it."""
    max_prompt_chars: Annotated[int, Field(ge=1)] = 6000
    expected_seconds: Annotated[float, Field(gt=0)] = 5.0

    @field_validator("input_price", "output_price", mode="before")
    @classmethod
    def _parse_usd(cls, value: Any) -> Micros:
        return _usd_price(value)


def token_price(tokens: int, per_million: Micros) -> Micros:
    """What `tokens` cost at `per_million` micro-dollars per million tokens, rounded up to the
    next micro-dollar (a hold must never be below what is billed)."""
    return -(-tokens * per_million // TOKENS_PER_PRICE_UNIT)


def parse_model(raw: Any) -> ModelSpec | LlmSpec:
    """One `[[models]]` table: a chat model (`kind = "llm"`) or a video model."""
    if isinstance(raw, ModelSpec | LlmSpec):
        return raw
    if isinstance(raw, Mapping) and raw.get("kind") == ModelKind.LLM.value:
        return LlmSpec.model_validate(raw)
    return ModelSpec.model_validate(raw)


class UnknownModel(LookupError):
    """The model id is not in the catalogue."""

    def __init__(self, model_id: str, known: list[str]) -> None:
        super().__init__(f"unknown model {model_id!r}; known models: {', '.join(known)}")
        self.model_id = model_id


class Catalogue:
    """The models on offer, looked up by id: video models (iterated, `get`) and chat models
    (`llms`, `llm`), kept apart because nothing that lists video options should meet one."""

    def __init__(self, models: list[ModelSpec] | list[ModelSpec | LlmSpec]) -> None:
        ids = [model.id for model in models]
        duplicates = {model_id for model_id in ids if ids.count(model_id) > 1}
        if duplicates:
            raise ValueError(
                f"model listed twice in the catalogue: {', '.join(sorted(duplicates))}"
            )
        self._models = {m.id: m for m in models if isinstance(m, ModelSpec)}
        self._llms = {m.id: m for m in models if isinstance(m, LlmSpec)}

    def __iter__(self) -> Iterator[ModelSpec]:
        return iter(self._models.values())

    def __len__(self) -> int:
        return len(self._models) + len(self._llms)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._models

    def get(self, model_id: str) -> ModelSpec:
        """The video model with this id, or `UnknownModel`."""
        try:
            return self._models[model_id]
        except KeyError:
            raise UnknownModel(model_id, list(self._models)) from None

    def of_kind(self, kind: ModelKind) -> list[ModelSpec]:
        """Video models of this kind, in catalogue order."""
        return [model for model in self._models.values() if model.kind is kind]

    def makers(self) -> list[ModelSpec]:
        """The models /video and /animate use (`MAKER_KINDS`), in catalogue order."""
        return [model for model in self._models.values() if model.kind in MAKER_KINDS]

    @property
    def llms(self) -> list[LlmSpec]:
        """The chat models, in catalogue order (the first is the prompt helper's)."""
        return list(self._llms.values())

    def llm(self, model_id: str) -> LlmSpec:
        """The chat model with this id, or `UnknownModel`."""
        try:
            return self._llms[model_id]
        except KeyError:
            raise UnknownModel(model_id, list(self._llms)) from None

    def entries(self) -> list[ModelSpec | LlmSpec]:
        """Every model, video and chat, in catalogue order of each."""
        return [*self._models.values(), *self._llms.values()]

    def label_of(self, model_id: str) -> str:
        """The label members see for a model id (the id itself when it left the catalogue)."""
        model = self._models.get(model_id) or self._llms.get(model_id)
        return model.label if model is not None else model_id

    def expected_seconds_of(self, model_id: str) -> float:
        """How long a job of this model usually takes (60 s when it left the catalogue)."""
        model = self._models.get(model_id) or self._llms.get(model_id)
        return model.expected_seconds if model is not None else 60.0
