"""Reading Atlas's model list and a model's OpenAPI input schema, and saying what Atlas would
refuse in a body, as Atlas's own MCP server checks before a paid call."""

from __future__ import annotations

from typing import Any

from bot.atlas.conformance import check_llm, check_model
from bot.atlas.schemas import (
    ListedModel,
    ListedPrice,
    parse_input_schema,
    parse_model_list,
    problems_in,
)
from bot.catalogue import LlmSpec, ModelSpec

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.1",
    "components": {
        "schemas": {
            "Input": {
                "type": "object",
                "properties": {
                    "seed": {"type": "integer", "minimum": -1, "maximum": 100},
                    "prompt": {"type": "string", "maxLength": 10},
                    "duration": {"type": "integer", "enum": [4, 8]},
                    "images": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                },
                "required": ["prompt", "duration"],
                "x-order-properties": ["prompt", "duration", "images", "seed"],
            }
        }
    },
}


def test_the_model_list_is_read_with_its_prices_and_links() -> None:
    body = {
        "code": 200,
        "data": [
            {
                "model": "a/video",
                "type": "Video",
                "displayName": "A",
                "schema": "https://static.example/a-video.json",
                "price": {"actual": {"base_price": "0.025"}},
            },
            {"model": "q/chat", "type": "Text", "price": {"actual": {"input_price": 0.04}}},
            {"no": "id"},
            "junk",
        ],
    }
    listed = parse_model_list(body)
    assert [m.id for m in listed] == ["a/video", "q/chat"]
    assert listed[0].schema_url == "https://static.example/a-video.json"
    assert listed[0].price == ListedPrice(base=25_000)
    assert listed[1].price.input_per_million == 40_000
    assert parse_model_list({"code": 500}) == []


def test_the_input_schema_keeps_its_order_and_constraints() -> None:
    schema = parse_input_schema("a/video", DOCUMENT)
    assert schema is not None
    assert schema.names == ["prompt", "duration", "images", "seed"]
    assert schema.required == frozenset({"prompt", "duration"})
    assert schema.properties["images"].max_items == 2
    assert parse_input_schema("a/video", {"openapi": "3"}) is None


def test_what_atlas_would_refuse_in_a_body() -> None:
    schema = parse_input_schema("a/video", DOCUMENT)
    assert schema is not None
    good = {"model": "a/video", "prompt": "a fox", "duration": 8, "webhook_url": "https://x"}
    assert problems_in(schema, good) == []
    bad = {
        "model": "a/video",
        "prompt": "far too long a prompt",
        "duration": 6,
        "ratio": "16:9",
        "seed": "7",
        "images": ["a", "b", "c"],
    }
    assert [str(p) for p in problems_in(schema, bad)] == [
        "prompt: must have at most 10 characters, not 21",
        "duration: must be one of 4, 8, not 6",
        "ratio: not an input of a/video (it takes prompt, duration, images, seed)",
        "seed: must be an integer, not string",
        "images: must have at most 2 items, not 3",
    ]
    assert [str(p) for p in problems_in(schema, {"seed": 101})] == [
        "seed: must be at most 100, not 101",
        "duration: required by a/video",
        "prompt: required by a/video",
    ]


def _model(**changes: Any) -> ModelSpec:
    raw: dict[str, Any] = {
        "id": "a/video",
        "label": "A",
        "kind": "image-to-video",
        "durations": [4, 8],
        "resolutions": ["720p"],
        "max_images": 2,
        "inputs": {"aspect_ratio": "", "resolution": ""},
        "price": {"*": {"base_usd": "0", "per_second_usd": "0.10"}},
    }
    raw.update(changes)
    return ModelSpec.model_validate(raw)


def test_a_model_that_fits_its_schema_passes_with_its_price_beside_the_lists() -> None:
    schema = parse_input_schema("a/video", DOCUMENT)
    listed = ListedModel("a/video", price=ListedPrice(base=100_000))
    (finding,) = check_model(_model(max_prompt_chars=10), listed, schema)
    assert finding.ok
    assert finding.text == (
        "4 inputs match Atlas's schema; price USD 0.10 per second at 720p (Atlas lists USD 0.10)"
    )


def test_each_thing_atlas_would_refuse_is_a_finding_with_its_fix() -> None:
    schema = parse_input_schema("a/video", DOCUMENT)
    listed = ListedModel("a/video", price=ListedPrice(base=50_000))
    model = _model(durations=[4, 6], max_images=3, inputs={"aspect_ratio": "", "resolution": ""})
    texts = [f.text for f in check_model(model, listed, schema)]
    assert texts == [
        "max_prompt_chars = 2000 but Atlas's prompt takes at most 10 characters: set "
        "max_prompt_chars = 10",
        "durations offers 6, which Atlas's duration refuses (must be one of 4, 8, not 6): remove "
        "it from durations (Atlas takes 4, 8)",
        "max_images = 3 but Atlas's images takes at most 2: set max_images = 2",
        "price: the config says USD 0.10 per second at 720p, Atlas's model list says USD 0.05 "
        "(100% more in the config): correct the price table in the config (members are quoted "
        "the config's price, Atlas charges its own)",
    ]
    assert check_model(model, None, schema)[0].text.startswith("not in Atlas's model list")


def test_a_chat_models_prices_are_held_against_the_list() -> None:
    helper = LlmSpec.model_validate(
        {
            "id": "q/chat",
            "label": "Q",
            "kind": "llm",
            "input_usd_per_million": "0.04",
            "output_usd_per_million": "0.20",
        }
    )
    listed = ListedModel(
        "q/chat", price=ListedPrice(input_per_million=40_000, output_per_million=120_000)
    )
    (finding,) = check_llm(helper, listed)
    assert not finding.ok
    assert finding.text.startswith(
        'output_usd_per_million = "0.20" but Atlas\'s model list says USD 0.12 per million '
        'output tokens: set it to "0.12"'
    )
