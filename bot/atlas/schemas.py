"""Atlas's model list and each model's published input schema, read, cached and applied.

`GET {base}/models` lists every model with its type, price and a link to an OpenAPI document
whose `components.schemas.Input` says which inputs the model takes (type, enum, bounds,
required). Atlas's own MCP server checks every request against it before a paid call; so does
the bot (`problems_in`), before any money is held. `ModelSchemas` keeps the list and the
schemas the catalogue needs, read now and then (a failure never blocks a job: without a
schema, a request is simply not checked).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from bot.money import MICROS_PER_USD, Micros

if TYPE_CHECKING:
    from bot.atlas.client import AtlasClient

log = logging.getLogger(__name__)

ENVELOPE = frozenset({"model", "webhook_url"})
"""Fields of every submit that are not the model's inputs."""

_JSON_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
}


@dataclass(frozen=True)
class ListedPrice:
    """A model's price as the model list gives it (`price.actual`), in micro-dollars; None
    where the list says nothing. Video models: `base_price`; chat models: per million tokens."""

    base: Micros | None = None
    input_per_million: Micros | None = None
    output_per_million: Micros | None = None


@dataclass(frozen=True)
class ListedModel:
    """One entry of Atlas's model list."""

    id: str
    type: str = ""
    display_name: str = ""
    schema_url: str | None = None
    price: ListedPrice = field(default_factory=ListedPrice)


@dataclass(frozen=True)
class InputProperty:
    """One input of a model's schema, with the constraints the bot checks."""

    name: str
    type: str | None = None
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    item_type: str | None = None

    def problem(self, value: Any) -> str | None:
        """Why Atlas would refuse `value` for this input, or None."""
        if not _is_type(value, self.type):
            return f"must be {_a(self.type)}, not {_json_type_of(value)}"
        if self.enum is not None and value not in self.enum:
            return f"must be one of {', '.join(_shown(v) for v in self.enum)}, not {_shown(value)}"
        if isinstance(value, int | float) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                return f"must be at least {_shown(self.minimum)}, not {_shown(value)}"
            if self.maximum is not None and value > self.maximum:
                return f"must be at most {_shown(self.maximum)}, not {_shown(value)}"
        if isinstance(value, str):
            if self.min_length is not None and len(value) < self.min_length:
                return f"must have at least {self.min_length} characters"
            if self.max_length is not None and len(value) > self.max_length:
                return f"must have at most {self.max_length} characters, not {len(value)}"
        if isinstance(value, list | tuple):
            if self.min_items is not None and len(value) < self.min_items:
                return f"must have at least {self.min_items} items, not {len(value)}"
            if self.max_items is not None and len(value) > self.max_items:
                return f"must have at most {self.max_items} items, not {len(value)}"
            if self.item_type is not None and not all(_is_type(v, self.item_type) for v in value):
                return f"every item must be {_a(self.item_type)}"
        return None


@dataclass(frozen=True)
class InputSchema:
    """What a model takes, as its published schema says."""

    model: str
    properties: Mapping[str, InputProperty]
    required: frozenset[str] = frozenset()

    @property
    def names(self) -> list[str]:
        """The input names, in the schema's order."""
        return list(self.properties)


@dataclass(frozen=True)
class SchemaProblem:
    """One input Atlas would refuse: its name and why."""

    name: str
    message: str

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


def problems_in(schema: InputSchema, body: Mapping[str, Any]) -> list[SchemaProblem]:
    """Every way `body` (a submit's JSON) breaks the schema, as Atlas's MCP server checks it
    before a paid call: inputs the model does not take, missing required ones, wrong types,
    values outside an enum or bounds."""
    problems = []
    for name, value in body.items():
        if name in ENVELOPE:
            continue
        prop = schema.properties.get(name)
        if prop is None:
            takes = ", ".join(schema.names) or "nothing"
            problems.append(
                SchemaProblem(name, f"not an input of {schema.model} (it takes {takes})")
            )
            continue
        problem = prop.problem(value)
        if problem is not None:
            problems.append(SchemaProblem(name, problem))
    for name in sorted(schema.required - set(body)):
        problems.append(SchemaProblem(name, f"required by {schema.model}"))
    return problems


# -- reading Atlas's documents -----------------------------------------------------------


def parse_model_list(body: Any) -> list[ListedModel]:
    """The entries of `GET /models` (`{code, data: [...]}`); unreadable entries are skipped."""
    data = body.get("data") if isinstance(body, Mapping) else body
    if not isinstance(data, list):
        return []
    models = []
    for entry in data:
        if not isinstance(entry, Mapping):
            continue
        model_id = entry.get("model") or entry.get("id")
        if not isinstance(model_id, str) or not model_id:
            continue
        schema = entry.get("schema")
        models.append(
            ListedModel(
                id=model_id,
                type=str(entry.get("type") or ""),
                display_name=str(entry.get("displayName") or ""),
                schema_url=schema if isinstance(schema, str) and schema else None,
                price=_price(entry.get("price")),
            )
        )
    return models


def _price(raw: Any) -> ListedPrice:
    actual = raw.get("actual") if isinstance(raw, Mapping) else None
    if not isinstance(actual, Mapping):
        return ListedPrice()
    return ListedPrice(
        base=_usd(actual.get("base_price")),
        input_per_million=_usd(actual.get("input_price")),
        output_per_million=_usd(actual.get("output_price")),
    )


def _usd(value: Any) -> Micros | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0:
        return None
    return int((amount * MICROS_PER_USD).to_integral_value())


def parse_input_schema(model_id: str, document: Any) -> InputSchema | None:
    """`components.schemas.Input` of a model's OpenAPI document; None when it has none."""
    try:
        node = document["components"]["schemas"]["Input"]
    except (KeyError, TypeError):
        return None
    if not isinstance(node, Mapping):
        return None
    raw_properties = node.get("properties")
    if not isinstance(raw_properties, Mapping):
        raw_properties = {}
    properties = {
        str(name): _property(str(name), spec)
        for name, spec in raw_properties.items()
        if isinstance(spec, Mapping)
    }
    order = node.get("x-order-properties")
    if isinstance(order, list):
        ordered = {name: properties[name] for name in order if name in properties}
        properties = {**ordered, **properties}
    required = node.get("required")
    names = frozenset(str(n) for n in required) if isinstance(required, list) else frozenset()
    return InputSchema(model_id, properties, names)


def _property(name: str, spec: Mapping[str, Any]) -> InputProperty:
    items = spec.get("items")
    enum = spec.get("enum")
    return InputProperty(
        name=name,
        type=spec.get("type") if isinstance(spec.get("type"), str) else None,
        enum=tuple(enum) if isinstance(enum, list) else None,
        minimum=_number(spec.get("minimum")),
        maximum=_number(spec.get("maximum")),
        min_length=_whole(spec.get("minLength")),
        max_length=_whole(spec.get("maxLength")),
        min_items=_whole(spec.get("minItems")),
        max_items=_whole(spec.get("maxItems")),
        item_type=items.get("type") if isinstance(items, Mapping) else None,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _is_type(value: Any, kind: str | None) -> bool:
    if kind is None or kind not in _JSON_TYPES:
        return True
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _JSON_TYPES[kind])


def _json_type_of(value: Any) -> str:
    for name in ("boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return name
    return "null" if value is None else type(value).__name__


def _a(kind: str | None) -> str:
    return "an integer" if kind == "integer" else "an array" if kind == "array" else f"a {kind}"


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


# -- the cache ---------------------------------------------------------------------------


class ModelSchemas:
    """Atlas's model list and the schemas of the models the bot offers, cached.

    `refresh` reads them (the list, then each wanted model's schema, a few at a time); a model
    whose schema cannot be read keeps its last known one. Reads never block a job: `schema_of`
    answers from the cache only.
    """

    def __init__(
        self,
        atlas: AtlasClient,
        model_ids: Iterable[str],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        parallel: int = 4,
    ) -> None:
        self._atlas = atlas
        self._wanted = tuple(dict.fromkeys(model_ids))
        self._monotonic = monotonic
        self._parallel = parallel
        self._listed: dict[str, ListedModel] = {}
        self._schemas: dict[str, InputSchema] = {}
        self.read_at: float | None = None
        """When the list was last read (monotonic), None: never."""

    async def refresh(self) -> None:
        """Read the model list and the wanted models' schemas (`AtlasError` when the list
        itself cannot be read)."""
        listed = parse_model_list(await self._atlas.models())
        self._listed = {model.id: model for model in listed}
        self.read_at = self._monotonic()
        gate = asyncio.Semaphore(self._parallel)

        async def read(model: ListedModel) -> None:
            if model.schema_url is None:
                return
            async with gate:
                try:
                    document = await self._atlas.document(model.schema_url)
                except Exception as exc:
                    log.warning("cannot read the input schema of %s: %s", model.id, exc)
                    return
            schema = parse_input_schema(model.id, document)
            if schema is not None:
                self._schemas[model.id] = schema

        await asyncio.gather(*(read(self._listed[m]) for m in self._wanted if m in self._listed))

    def listed(self, model_id: str) -> ListedModel | None:
        """The model list's entry for this model (None: unread, or not listed)."""
        return self._listed.get(model_id)

    @property
    def list_read(self) -> bool:
        """The model list was read at least once."""
        return self.read_at is not None

    def schema_of(self, model_id: str) -> InputSchema | None:
        """The model's input schema as last read (None: unknown)."""
        return self._schemas.get(model_id)


__all__ = [
    "ENVELOPE",
    "InputProperty",
    "InputSchema",
    "ListedModel",
    "ListedPrice",
    "ModelSchemas",
    "SchemaProblem",
    "parse_input_schema",
    "parse_model_list",
    "problems_in",
]
