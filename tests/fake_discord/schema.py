"""Check request bodies against Discord's official OpenAPI description (../shared/discord-api-spec).

Each (path template, method, content type) gets one compiled jsonschema validator, cached for the
whole test session. The spec is a public preview; where it is clearly wrong about what Discord
accepts, the correction lives in ``SPEC_CORRECTIONS`` below, next to a reason.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
from referencing import Registry
from referencing.jsonschema import DRAFT202012

DEFAULT_SPEC_PATH = (
    Path(__file__).resolve().parents[3] / "shared" / "discord-api-spec" / "openapi.json"
)
_SPEC_URI = "urn:discord-openapi"

JSON = "application/json"
MULTIPART = "multipart/form-data"


class SpecMissing(RuntimeError):
    """The OpenAPI file is not where the tests expect it (../shared/ absent or incomplete)."""


def _snowflake_string_or_integer(schema: dict[str, Any]) -> None:
    schema.clear()
    schema["anyOf"] = [
        {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"},
        {"type": "integer", "minimum": 0},
    ]


# Component schema -> (correction, reason). Applied to a private copy used for request bodies;
# the fake's own replies are checked against the spec as published.
SPEC_CORRECTIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "SnowflakeType": (
        _snowflake_string_or_integer,
        "Discord reads snowflakes in request bodies from JSON integers as well as strings, and "
        "discord.py sends several as integers (`recipient_id` of POST /users/@me/channels, and "
        "`attachments[].id`, the index n of an uploaded `files[n]`, which Discord documents); "
        "the spec only allows strings.",
    ),
}

# (path template, method) -> content type whose schema applies to a multipart `payload_json`
# when the spec lists no multipart/form-data body for that operation.
MULTIPART_FALLBACKS: dict[tuple[str, str], str] = {
    # The spec lists only JSON and urlencoded bodies for the interaction callback, but Discord
    # documents (and discord.py uses) multipart uploads for responses with files; the JSON schema
    # is the one payload_json must satisfy.
    ("/interactions/{interaction_id}/{interaction_token}/callback", "post"): JSON,
}


@dataclass(frozen=True)
class SpecRoute:
    """One path template of the spec, matched against concrete request paths."""

    template: str
    regex: re.Pattern[str]
    literal_segments: int


class OpenApiChecker:
    """Validates request bodies of concrete paths against the spec's request schemas."""

    def __init__(self, spec_path: Path) -> None:
        self.spec_path = spec_path
        self.spec = _load_spec(spec_path)
        self._routes = _routes(self.spec)
        self._requests = _registry(_corrected(self.spec))
        self._responses = _registry(self.spec)
        self._validators: dict[tuple[str, str, str], jsonschema.Draft202012Validator | None] = {}

    def template_for(self, path: str) -> str | None:
        """The spec's path template for a concrete API path (without the /api/v10 prefix)."""
        matches = [r for r in self._routes if r.regex.fullmatch(path)]
        if not matches:
            return None
        return max(matches, key=lambda r: r.literal_segments).template

    def check(self, method: str, path: str, body: Any, *, multipart: bool = False) -> list[str]:
        """Every way ``body`` breaks the request schema of ``method path``; [] when it fits."""
        template = self.template_for(path)
        where = f"{method.upper()} {path}"
        if template is None:
            return [f"{where}: path is not in Discord's OpenAPI spec"]
        operation = self.spec["paths"][template].get(method.lower())
        if operation is None:
            return [f"{where}: method is not in Discord's OpenAPI spec for {template}"]
        validator = self._validator(template, method.lower(), MULTIPART if multipart else JSON)
        if validator is None:
            if body is None:
                return []
            return [f"{where}: the spec defines no request body for {template}"]
        return _describe(f"{where} ({template})", validator, body)

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """How a reply of the fake itself breaks the spec's response schema (a self-check)."""
        template = self.template_for(path)
        operation = self.spec["paths"].get(template or "", {}).get(method.lower())
        if template is None or operation is None:
            return []
        key = (template, method.lower(), f"response {status}")
        if key not in self._validators:
            content = operation.get("responses", {}).get(str(status), {}).get("content", {})
            pointer = _pointer("paths", template, method.lower(), "responses", str(status))
            self._validators[key] = (
                self._validator_at(f"{pointer}/content/application~1json/schema", self._responses)
                if JSON in content
                else None
            )
        validator = self._validators[key]
        if validator is None:
            return []
        return _describe(f"fake reply to {method.upper()} {path} ({template})", validator, body)

    def check_component(self, schema_name: str, value: Any, where: str) -> list[str]:
        """How a payload of the fake breaks one of the spec's response components (self-check)."""
        key = ("#components", schema_name, "response")
        if key not in self._validators:
            pointer = _pointer("components", "schemas", schema_name)
            self._validators[key] = self._validator_at(pointer, self._responses)
        validator = self._validators[key]
        assert validator is not None
        return _describe(f"fake {where} ({schema_name})", validator, value)

    def _validator(
        self, template: str, method: str, content_type: str
    ) -> jsonschema.Draft202012Validator | None:
        key = (template, method, content_type)
        if key not in self._validators:
            self._validators[key] = self._compile(template, method, content_type)
        return self._validators[key]

    def _validator_at(
        self, pointer: str, registry: Registry[Any]
    ) -> jsonschema.Draft202012Validator:
        return jsonschema.Draft202012Validator(
            {"$ref": f"{_SPEC_URI}#/{pointer}"},
            registry=registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )

    def _compile(
        self, template: str, method: str, content_type: str
    ) -> jsonschema.Draft202012Validator | None:
        body = self.spec["paths"][template][method].get("requestBody")
        if body is None:
            return None
        content = body["content"]
        if content_type not in content:
            content_type = MULTIPART_FALLBACKS.get((template, method), JSON)
        if content_type not in content:
            return None
        pointer = _pointer("paths", template, method, "requestBody", "content", content_type)
        return self._validator_at(f"{pointer}/schema", self._requests)


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _describe(where: str, validator: jsonschema.Draft202012Validator, body: Any) -> list[str]:
    """One line per request listing every violation, unions explained by their closest branch."""
    problems = sorted({p for error in validator.iter_errors(body) for p in _explain(error)})
    return [f"{where}: {'; '.join(problems)}"] if problems else []


def _explain(error: Any) -> list[str]:
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches: dict[Any, list[Any]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        depth = len(error.absolute_path)

        def closeness(errors: list[Any]) -> tuple[int, int]:
            went_inside = any(len(e.absolute_path) > depth for e in errors)
            return (0 if went_inside else 1, len(errors))

        closest = min(branches.values(), key=closeness)
        if closeness(closest)[0] == 0:  # the value has the branch's shape: report inside it
            return [p for sub in closest for p in _explain(sub)]
    at = "/".join(str(p) for p in error.absolute_path) or "<body>"
    return [f"{_short(error.message)} at {at}"]


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


@lru_cache(maxsize=4)
def _load_spec(spec_path: Path) -> dict[str, Any]:
    if not spec_path.is_file():
        raise SpecMissing(
            f"Discord's OpenAPI spec is missing at {spec_path}: the fake Discord validates every "
            "request body against it. Check out the shared material beside the project "
            "(../shared/discord-api-spec/openapi.json) or pass FakeDiscord(spec_path=...)."
        )
    spec: dict[str, Any] = json.loads(spec_path.read_text(encoding="utf-8"))
    return spec


def _corrected(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = copy.deepcopy(spec["components"]["schemas"])
    for name, (correct, _reason) in SPEC_CORRECTIONS.items():
        correct(schemas[name])
    return {**spec, "components": {**spec["components"], "schemas": schemas}}


def _registry(spec: dict[str, Any]) -> Registry[Any]:
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, DRAFT202012.create_resource(spec))
    return registry


def _routes(spec: dict[str, Any]) -> list[SpecRoute]:
    routes = []
    for template in spec["paths"]:
        parts = template.strip("/").split("/")
        pattern = "/" + "/".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        literal = sum(not p.startswith("{") for p in parts)
        routes.append(SpecRoute(template, re.compile(pattern), literal))
    return routes


_checkers: dict[Path, OpenApiChecker] = {}


def checker_for(spec_path: Path) -> OpenApiChecker:
    """The shared checker of one spec file (validators compile once per test session)."""
    resolved = spec_path.resolve()
    if resolved not in _checkers:
        _checkers[resolved] = OpenApiChecker(resolved)
    return _checkers[resolved]
