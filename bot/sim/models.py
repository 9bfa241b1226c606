"""The simulator's own per-model rules: what each Atlas model takes, costs and makes.

This is the simulator's truth, written from Atlas's pages and code (`../shared/ATLAS-FACTS.md`),
not read from the bot's catalogue: a catalogue entry that maps an option onto a wrong input
name is refused here as Atlas would refuse it, and `atlas-video-bot check` finds it in the
model list and the schemas served from these rules. A model of the catalogue the table does not
know (a test's own) gets rules made from its catalogue entry, so any catalogue still runs.

Long because it is mostly data: one rule per Atlas model, with its input names, limits and
prices.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.catalogue import Catalogue, LlmSpec, ModelKind, ModelSpec, Option, token_price
from bot.money import MICROS_PER_USD, Micros, usd

MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class Input:
    """One input of a model, as its published schema describes it."""

    type: Literal["string", "integer", "number", "boolean", "array"]
    required: bool = False
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    url: bool = False
    """A URL (for an array: each item)."""
    default: Any = None
    description: str = ""

    def schema(self) -> dict[str, Any]:
        """The OpenAPI property."""
        node: dict[str, Any] = {"type": self.type}
        if self.type == "array":
            node["items"] = {"type": "string", **({"format": "uri"} if self.url else {})}
        elif self.url:
            node["format"] = "uri"
        for key, value in (
            ("enum", None if self.enum is None else list(self.enum)),
            ("minimum", self.minimum),
            ("maximum", self.maximum),
            ("minLength", self.min_length),
            ("maxLength", self.max_length),
            ("minItems", self.min_items),
            ("maxItems", self.max_items),
            ("default", self.default),
            ("description", self.description or None),
        ):
            if value is not None:
                node[key] = value
        return node


@dataclass(frozen=True)
class Charge:
    """What Atlas bills for a job: `base + per_second x seconds` by resolution ("*": any),
    counted in blocks; the seconds are the job's `duration` or its input video's."""

    rules: Mapping[str, tuple[Micros, Micros]]
    block_seconds: int = 1
    on: Literal["duration", "input"] = "duration"
    resolution_input: str = "resolution"

    def price(self, body: Mapping[str, Any], input_seconds: float | None) -> Micros:
        """The job's price."""
        resolution = str(body.get(self.resolution_input, ""))
        base, per_second = self.rules.get(resolution) or self.rules.get("*") or (0, 0)
        seconds: float
        if self.on == "input":
            seconds = input_seconds or 0.0
        else:
            duration = body.get("duration", 0)
            seconds = duration if isinstance(duration, int) and duration > 0 else 5
        blocks = math.ceil(seconds / self.block_seconds - 1e-9)
        return base + per_second * self.block_seconds * blocks


@dataclass(frozen=True)
class SimModel:
    """One model the simulator serves."""

    id: str
    display_name: str
    inputs: Mapping[str, Input] = field(default_factory=dict)
    charge: Charge | None = None
    listed_price: Mapping[str, str] = field(default_factory=dict)
    """`price.actual` of the model list (USD strings); empty: the list gives no price."""
    chat: bool = False
    input_per_million: Micros = 0
    output_per_million: Micros = 0
    video_input: str | None = None
    """The input that carries a video (extend, edit, upscale)."""
    min_input_seconds: float | None = None
    max_input_seconds: float | None = None
    max_total_seconds: float | None = None
    """An extension: the input and the added seconds together."""
    ratio_input: str = "aspect_ratio"
    resolution_input: str = "resolution"
    output_follows_input: bool = False
    """The output is as long as the input (edit, upscale); else `duration` long (added to
    the input's for an extension)."""

    @property
    def type(self) -> str:
        """The model list's `type`."""
        return "Text" if self.chat else "Video"

    @property
    def slug(self) -> str:
        """The schema file's name: the id with "/" as "-", as Atlas's static host names it."""
        return self.id.replace("/", "-")

    def schema_document(self) -> dict[str, Any]:
        """The model's OpenAPI document: its inputs in `components.schemas.Input`."""
        return {
            "openapi": "3.0.1",
            "info": {"title": self.display_name, "version": "1.0"},
            "components": {
                "schemas": {
                    "Input": {
                        "type": "object",
                        "properties": {name: i.schema() for name, i in self.inputs.items()},
                        "required": [name for name, i in self.inputs.items() if i.required],
                        "x-order-properties": list(self.inputs),
                    }
                }
            },
        }

    def list_entry(self, schema_url: str) -> dict[str, Any]:
        """The model's entry in `GET /models`."""
        return {
            "model": self.id,
            "type": self.type,
            "displayName": self.display_name,
            "schema": None if self.chat else schema_url,
            "price": {"actual": dict(self.listed_price), "origin": dict(self.listed_price)},
            "display_console": True,
        }

    def price(self, body: Mapping[str, Any], input_seconds: float | None) -> Micros:
        """What a generate call of this model costs."""
        return 0 if self.charge is None else self.charge.price(body, input_seconds)

    def chat_price(self, prompt_tokens: int, completion_tokens: int) -> Micros:
        """What a chat answer costs."""
        return token_price(prompt_tokens, self.input_per_million) + token_price(
            completion_tokens, self.output_per_million
        )

    def output_seconds(self, body: Mapping[str, Any], input_seconds: float | None) -> int:
        """How long the output video is."""
        duration = body.get("duration")
        added = duration if isinstance(duration, int) and duration > 0 else 5
        if self.output_follows_input:
            return max(1, round(input_seconds or added))
        if self.video_input is not None:  # an extension: the input, continued
            return max(1, round((input_seconds or 0) + added))
        return added


def _usd(text: str) -> Micros:
    return usd(text)


def _text(max_length: int, *, required: bool = True) -> Input:
    return Input("string", required=required, min_length=1, max_length=max_length)


def _url(*, required: bool = True) -> Input:
    return Input("string", required=required, url=True)


def _seed() -> Input:
    return Input("integer", minimum=-1, maximum=MAX_SEED, default=-1)


def _choice(*values: Any, required: bool = True, default: Any = None) -> Input:
    kind: Literal["string", "integer"] = "integer" if isinstance(values[0], int) else "string"
    return Input(kind, required=required, enum=values, default=default)


def _per_second(usd_text: str, *, base: str = "0") -> Charge:
    return Charge({"*": (_usd(base), _usd(usd_text))})


_GEMINI_VIDEO = {
    "prompt": _text(20_000),
    "duration": _choice(4, 6, 8, 10, default=8),
    "aspect_ratio": _choice("16:9", "9:16"),
    "resolution": _choice("720p", "1080p", "4k"),
    "seed": _seed(),
}
_GEMINI_CHARGE = Charge({"*": (_usd("0.20"), _usd("0.10")), "4k": (_usd("1.00"), _usd("0.10"))})
_SEEDANCE = {
    "prompt": _text(2_000),
    "duration": _choice(-1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, default=5),
    "ratio": _choice("16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive"),
    "resolution": _choice("480p", "720p", "1080p"),
    "seed": _seed(),
    "generate_audio": Input("boolean", default=True),
}
_GEMINI_EXTEND = {
    "video": _url(),
    "prompt": _text(20_000),
    "reference_images": Input("array", url=True, min_items=1, max_items=10),
    "duration": Input("integer", minimum=3, maximum=10, default=10),
    "resolution": _choice("360p", "720p", "1080p", "4k", required=False, default="720p"),
    "seed": _seed(),
}

BUILT_IN: tuple[SimModel, ...] = (
    SimModel(
        "google/gemini-omni-flash/text-to-video-developer",
        "Gemini Omni Flash Text-to-Video",
        _GEMINI_VIDEO,
        _GEMINI_CHARGE,
        {"base_price": "0.10"},
    ),
    SimModel(
        "google/gemini-omni-flash/image-to-video-developer",
        "Gemini Omni Flash Image-to-Video",
        {
            **_GEMINI_VIDEO,
            "images": Input("array", required=True, url=True, min_items=1, max_items=7),
        },
        _GEMINI_CHARGE,
        {"base_price": "0.10"},
    ),
    SimModel(
        "bytedance/seedance-2.0/text-to-video",
        "Seedance 2.0 Text-to-Video",
        _SEEDANCE,
        _per_second("0.2419"),
        {"base_price": "0.2419"},
        ratio_input="ratio",
    ),
    SimModel(
        "bytedance/seedance-2.0/image-to-video",
        "Seedance 2.0 Image-to-Video",
        {"image": _url(), "last_image": _url(required=False), **_SEEDANCE},
        _per_second("0.2419"),
        {"base_price": "0.2419"},
        ratio_input="ratio",
    ),
    SimModel(
        "google/veo3.1-lite/text-to-video",
        "Veo 3.1 Lite Text-to-Video",
        {
            "prompt": _text(2_000),
            "duration": _choice(4, 6, 8, default=8),
            "aspect_ratio": _choice("16:9", "9:16"),
            "resolution": _choice("720p", "1080p"),
            "seed": _seed(),
        },
        _per_second("0.05"),
        {"base_price": "0.05"},
    ),
    SimModel(
        "google/veo3.1-lite/start-end-frame-to-video",
        "Veo 3.1 Lite Start-End Frame",
        {
            "prompt": _text(2_000),
            "image": _url(),
            "last_image": _url(),
            "duration": _choice(4, 6, 8, default=8),
            "aspect_ratio": _choice("16:9", "9:16"),
            "resolution": _choice("720p", "1080p"),
        },
        _per_second("0.05"),
    ),
    SimModel(
        "google/gemini-omni-1.1-flash/video-extend",
        "Gemini Omni 1.1 Flash Video Extend",
        _GEMINI_EXTEND,
        _per_second("0.025"),
        video_input="video",
        max_input_seconds=10,
        max_total_seconds=40,
    ),
    SimModel(
        "google/gemini-omni-1.2-flash/video-extend",
        "Gemini Omni 1.2 Flash Video Extend",
        _GEMINI_EXTEND,
        _per_second("0.025"),
        {"base_price": "0.025"},
        video_input="video",
        max_input_seconds=10,
        max_total_seconds=40,
    ),
    SimModel(
        "pixverse/v6/video-extend",
        "PixVerse V6 Video Extend",
        {
            "video": _url(),
            "prompt": _text(2_000),
            "duration": Input("integer", minimum=1, maximum=15, default=5),
            "quality": _choice("360p", "540p", "720p", "1080p", required=False, default="720p"),
            "seed": _seed(),
        },
        Charge({"*": (0, _usd("0.05"))}, resolution_input="quality"),
        video_input="video",
        resolution_input="quality",
    ),
    SimModel(
        "xai/grok-imagine-video/extend-video",
        "Grok Imagine Video Extend",
        {
            "video_url": _url(),
            "prompt": _text(4_000),
            "duration": Input("integer", minimum=2, maximum=10, default=6),
        },
        _per_second("0.07"),
        {"base_price": "0.07"},
        video_input="video_url",
        min_input_seconds=2,
        max_input_seconds=15,
    ),
    SimModel(
        "google/gemini-omni-flash/video-edit",
        "Gemini Omni Flash Video Edit",
        {
            "video": _url(),
            "prompt": _text(20_000),
            "images": Input("array", url=True, min_items=1, max_items=5),
            "resolution": _choice("720p", required=False, default="720p"),
            "seed": _seed(),
        },
        Charge({"*": (0, _usd("0.14"))}, on="input"),
        video_input="video",
        max_input_seconds=30,
        output_follows_input=True,
    ),
    SimModel(
        "atlascloud/video-upscaler",
        "Atlas Video Upscaler",
        {"video": _url(), "target_resolution": _choice("1080p", "2k", default="1080p")},
        Charge(
            {"1080p": (0, _usd("0.005")), "2k": (0, _usd("0.01"))},
            block_seconds=5,
            on="input",
            resolution_input="target_resolution",
        ),
        {"base_price": "0.025"},
        video_input="video",
        resolution_input="target_resolution",
        output_follows_input=True,
    ),
    SimModel(
        "qwen/qwen3-8b",
        "Qwen3 8B",
        chat=True,
        listed_price={"input_price": "0.04", "output_price": "0.12"},
        input_per_million=_usd("0.04"),
        output_per_million=_usd("0.12"),
    ),
    SimModel(
        "deepseek-ai/DeepSeek-V3-0324",
        "DeepSeek V3 0324",
        chat=True,
        listed_price={"input_price": "0.28", "output_price": "1.14"},
        input_per_million=_usd("0.28"),
        output_per_million=_usd("1.14"),
    ),
)


def from_catalogue(spec: ModelSpec | LlmSpec) -> SimModel:
    """Rules for a model the table does not know, made from its catalogue entry (so the
    simulator serves any catalogue): it takes exactly what the entry maps, and offers what it
    offers."""
    if isinstance(spec, LlmSpec):
        return SimModel(
            spec.id,
            spec.label,
            chat=True,
            input_per_million=spec.input_price,
            output_per_million=spec.output_price,
        )
    inputs: dict[str, Input] = {}
    for option, name in spec.inputs.items():
        inputs[name] = _derived_input(spec, option)
    rules = {key: (rule.base, rule.per_second) for key, rule in spec.price.items()}
    block = next(iter(spec.price.values())).block_seconds
    resolution_name = spec.inputs.get(Option.RESOLUTION, "resolution")
    return SimModel(
        spec.id,
        spec.label,
        inputs,
        Charge(rules, block, spec.priced_on, resolution_name),
        video_input=spec.inputs.get(Option.VIDEO),
        min_input_seconds=spec.min_input_seconds,
        max_input_seconds=spec.max_input_seconds,
        max_total_seconds=spec.max_total_seconds,
        ratio_input=spec.inputs.get(Option.ASPECT_RATIO, "aspect_ratio"),
        resolution_input=resolution_name,
        output_follows_input=spec.kind in (ModelKind.VIDEO_EDIT, ModelKind.UPSCALE),
    )


def _derived_input(spec: ModelSpec, option: Option) -> Input:
    if option is Option.PROMPT:
        return _text(spec.max_prompt_chars)
    if option is Option.DURATION:
        return _choice(*spec.durations)
    if option is Option.ASPECT_RATIO:
        return _choice(*spec.aspect_ratios)
    if option is Option.RESOLUTION:
        return _choice(*spec.resolutions)
    if option is Option.SEED:
        return _seed()
    if option is Option.IMAGES:
        return Input("array", required=True, url=True, min_items=1, max_items=spec.max_images)
    if option is Option.LAST_IMAGE:
        return _url(required=spec.kind is ModelKind.START_END_FRAME)
    return _url()  # image, video


class SimModels:
    """The models one simulator serves: the built-in table, and the catalogue's others."""

    def __init__(self, catalogue: Catalogue, extra: tuple[SimModel, ...] = ()) -> None:
        table = {model.id: model for model in (*BUILT_IN, *extra)}
        for spec in catalogue.entries():
            table.setdefault(spec.id, from_catalogue(spec))
        self._models = table

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._models

    def __iter__(self) -> Any:
        return iter(self._models.values())

    def get(self, model_id: str) -> SimModel:
        """The model (KeyError when the simulator does not serve it)."""
        return self._models[model_id]

    def by_slug(self, slug: str) -> SimModel | None:
        """The model whose schema file is named `slug`."""
        return next((m for m in self._models.values() if m.slug == slug), None)

    def replace(self, model: SimModel) -> None:
        """Serve `model` instead of the rules of the same id (a test changing Atlas)."""
        self._models[model.id] = model


def usd_text(micros: Micros) -> str:
    """Micro-dollars as the model list writes prices ("0.025")."""
    return f"{micros / MICROS_PER_USD:.6f}".rstrip("0").rstrip(".")


__all__ = ["BUILT_IN", "Charge", "Input", "SimModel", "SimModels", "from_catalogue", "usd_text"]
