"""The catalogue held against Atlas's model list and schemas: what would Atlas refuse?

For each catalogue entry, every mapped input the model does not take, every offered value its
schema refuses (outside an enum or bounds, of another type), every input Atlas requires that
the bot never sends, and a price that differs from the model list's by more than a tenth: one
finding each, saying what to change in the config. `atlas-video-bot check` prints them as
FAIL lines; the bot logs them as warnings at start (never blocking: Atlas may be down).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.atlas.schemas import InputProperty, InputSchema, ListedModel, ModelSchemas
from bot.catalogue import Catalogue, LlmSpec, ModelKind, ModelSpec, Option
from bot.money import Micros, format_usd

PRICE_TOLERANCE = 0.10
"""A configured price further than this from the model list's is flagged."""

_SENT_TYPES: Mapping[Option, str] = {
    Option.PROMPT: "string",
    Option.DURATION: "integer",
    Option.ASPECT_RATIO: "string",
    Option.RESOLUTION: "string",
    Option.SEED: "integer",
    Option.IMAGES: "array",
    Option.IMAGE: "string",
    Option.LAST_IMAGE: "string",
    Option.VIDEO: "string",
}
"""The JSON type of what the bot sends for each option."""

_LIKELY_NAMES: Mapping[Option, tuple[str, ...]] = {
    Option.PROMPT: ("prompt",),
    Option.DURATION: ("duration", "seconds"),
    Option.ASPECT_RATIO: ("aspect_ratio", "ratio"),
    Option.RESOLUTION: ("resolution", "quality", "target_resolution"),
    Option.SEED: ("seed",),
    Option.IMAGES: ("images", "image_urls"),
    Option.IMAGE: ("image", "image_url", "first_image", "start_image"),
    Option.LAST_IMAGE: ("last_image", "end_image", "last_frame", "tail_image"),
    Option.VIDEO: ("video", "video_url", "input_video"),
}
"""What Atlas's models tend to call our options, to suggest a fix."""

_OFFERED_SETTING: Mapping[Option, str] = {
    Option.DURATION: "durations",
    Option.ASPECT_RATIO: "aspect_ratios",
    Option.RESOLUTION: "resolutions",
}


@dataclass(frozen=True)
class Finding:
    """One line about one catalogue entry: a problem (`ok` False) with what to change, or the
    entry's clean bill (with its prices beside Atlas's)."""

    model_id: str
    ok: bool
    text: str


def check_catalogue(catalogue: Catalogue, schemas: ModelSchemas) -> list[Finding]:
    """Every finding for every entry of the catalogue, in catalogue order."""
    findings: list[Finding] = []
    for entry in catalogue.entries():
        listed = schemas.listed(entry.id)
        if isinstance(entry, LlmSpec):
            findings += check_llm(entry, listed)
        else:
            findings += check_model(entry, listed, schemas.schema_of(entry.id))
    return findings


def check_model(
    model: ModelSpec, listed: ListedModel | None, schema: InputSchema | None
) -> list[Finding]:
    """What Atlas would refuse of this video model's mapping and offered values."""
    if listed is None:
        return [_fail(model, "not in Atlas's model list: check its id, or remove the model")]
    problems: list[str] = []
    notes: list[str] = []
    if schema is None:
        notes.append("Atlas publishes no input schema for it: inputs not checked")
    else:
        problems += _input_problems(model, schema)
        notes.append(f"{len(model.inputs)} inputs match Atlas's schema")
    price_note, price_problem = _video_price(model, listed)
    if price_problem is not None:
        problems.append(price_problem)
    if price_note:
        notes.append(price_note)
    if problems:
        return [_fail(model, problem) for problem in problems]
    return [Finding(model.id, True, "; ".join(notes))]


def check_llm(model: LlmSpec, listed: ListedModel | None) -> list[Finding]:
    """A chat model: listed, and priced as the model list says."""
    if listed is None:
        return [_fail(model, "not in Atlas's model list: check its id, or remove the model")]
    problems = []
    notes = []
    for what, setting, ours, theirs in (
        ("input", "input_usd_per_million", model.input_price, listed.price.input_per_million),
        ("output", "output_usd_per_million", model.output_price, listed.price.output_per_million),
    ):
        if theirs is None:
            notes.append(f"{what} {format_usd(ours)}/M tokens (Atlas lists no price)")
            continue
        notes.append(f"{what} {format_usd(ours)}/M tokens (Atlas {format_usd(theirs)})")
        if _differs(ours, theirs):
            problems.append(
                f"{setting} = {_usd_text(ours)} but Atlas's model list says "
                f"{format_usd(theirs)} per million {what} tokens: set it to "
                f"{_usd_text(theirs)} (Atlas's price is charged either way)"
            )
    if problems:
        return [_fail(model, problem) for problem in problems]
    return [Finding(model.id, True, "listed; " + ", ".join(notes))]


def _fail(model: ModelSpec | LlmSpec, text: str) -> Finding:
    return Finding(model.id, False, text)


def _input_problems(model: ModelSpec, schema: InputSchema) -> list[str]:
    problems: list[str] = []
    mapped = set(model.inputs.values())
    for option, name in model.inputs.items():
        prop = schema.properties.get(name)
        if prop is None:
            problems.append(_unknown_input(model, schema, option, name, mapped))
            continue
        sent = _SENT_TYPES[option]
        if prop.type is not None and not _compatible(sent, prop.type):
            problems.append(
                f"inputs.{option.value} = {name!r}: Atlas takes {name} as {prop.type}, the bot "
                f'sends {sent}: map {option.value} onto another input, or "" to send none'
            )
            continue
        problems += _offered_problems(model, option, prop)
    sometimes = {model.inputs[Option.LAST_IMAGE]} if _last_image_optional(model) else set()
    for name in sorted(schema.required):
        if name not in mapped:
            problems.append(
                f"Atlas requires {name!r}, which the bot never sends: map one of our options "
                f"onto it (inputs.<option> = {name!r}) or remove the model"
            )
        elif name in sometimes:
            problems.append(
                f"Atlas requires {name!r}, which the bot sends only when a member gives a last "
                f'image: make it kind = "start-end-frame", or map last_image = ""'
            )
    return problems


def _last_image_optional(model: ModelSpec) -> bool:
    return Option.LAST_IMAGE in model.inputs and model.kind is not ModelKind.START_END_FRAME


def _unknown_input(
    model: ModelSpec, schema: InputSchema, option: Option, name: str, mapped: set[str]
) -> str:
    takes = ", ".join(schema.names) or "nothing"
    likely = [
        candidate
        for candidate in _LIKELY_NAMES[option]
        if candidate in schema.properties and candidate not in mapped
    ]
    fix = (
        f"set inputs.{option.value} = {likely[0]!r}"
        if likely
        else f'map {option.value} onto one of those, or "" if the model takes none'
    )
    return (
        f"inputs.{option.value} = {name!r}: {model.id} has no input {name!r} "
        f"(it takes {takes}): {fix}"
    )


def _offered_problems(model: ModelSpec, option: Option, prop: InputProperty) -> list[str]:
    if option is Option.PROMPT:
        if prop.max_length is not None and model.max_prompt_chars > prop.max_length:
            return [
                f"max_prompt_chars = {model.max_prompt_chars} but Atlas's {prop.name} takes at "
                f"most {prop.max_length} characters: set max_prompt_chars = {prop.max_length}"
            ]
        return []
    if option is Option.IMAGES:
        if prop.max_items is not None and model.max_images > prop.max_items:
            return [
                f"max_images = {model.max_images} but Atlas's {prop.name} takes at most "
                f"{prop.max_items}: set max_images = {prop.max_items}"
            ]
        return []
    setting = _OFFERED_SETTING.get(option)
    if setting is None:
        return []
    offered: Sequence[Any] = getattr(model, setting)
    refused = [value for value in offered if prop.problem(value) is not None]
    if not refused:
        return []
    reason = prop.problem(refused[0]) or ""
    values = ", ".join(str(v) for v in refused)
    allowed = _allowed(prop)
    return [
        f"{setting} offers {values}, which Atlas's {prop.name} refuses ({reason}): "
        f"remove {'it' if len(refused) == 1 else 'them'} from {setting}{allowed}"
    ]


def _allowed(prop: InputProperty) -> str:
    if prop.enum is not None:
        return f" (Atlas takes {', '.join(str(v) for v in prop.enum)})"
    if prop.minimum is not None or prop.maximum is not None:
        low = "" if prop.minimum is None else f"{prop.minimum:g}"
        high = "" if prop.maximum is None else f"{prop.maximum:g}"
        return f" (Atlas takes {low}-{high})"
    return ""


def _compatible(sent: str, declared: str) -> bool:
    return sent == declared or (sent == "integer" and declared == "number")


def _video_price(model: ModelSpec, listed: ListedModel) -> tuple[str, str | None]:
    """The note comparing the configured price with the model list's, and the problem when
    they differ by more than a tenth. The list's `base_price` is read as the price of one
    second (one block, for models billed in blocks) at the model's first resolution."""
    resolution = model.resolutions[0]
    rule = model.price_rule(resolution)
    unit = "second" if rule.block_seconds == 1 else f"{rule.block_seconds} s"
    ours = rule.per_second * rule.block_seconds
    theirs = listed.price.base
    what = f"{format_usd(ours)} per {unit} at {resolution}"
    if rule.per_second == 0:
        ours, what = rule.base, f"{format_usd(rule.base)} per video at {resolution}"
    if theirs is None:
        return f"price {what} (Atlas lists no price)", None
    note = f"price {what} (Atlas lists {format_usd(theirs)})"
    if not _differs(ours, theirs):
        return note, None
    return note, (
        f"price: the config says {what}, Atlas's model list says {format_usd(theirs)} "
        f"({_percent(ours, theirs)}): correct the price table in the config (members are "
        "quoted the config's price, Atlas charges its own)"
    )


def _differs(ours: Micros, theirs: Micros) -> bool:
    return abs(ours - theirs) > PRICE_TOLERANCE * theirs


def _percent(ours: Micros, theirs: Micros) -> str:
    change = (ours - theirs) * 100 / theirs
    return f"{abs(change):.0f}% {'more' if change > 0 else 'less'} in the config"


def _usd_text(amount: Micros) -> str:
    return '"' + format_usd(amount).removeprefix("USD ").replace(",", "") + '"'


__all__ = ["PRICE_TOLERANCE", "Finding", "check_catalogue", "check_llm", "check_model"]
