"""Check request bodies against Discord's official OpenAPI description (../shared/discord-api-spec).

Each (path template, method, content type) gets one compiled jsonschema validator, cached for the
whole test session. The spec is a public preview; where it is clearly wrong about what Discord
accepts, the correction lives in ``SPEC_CORRECTIONS`` below, next to a reason.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]
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


def _attachment_id_string_or_int(schema: dict[str, Any]) -> None:
    schema["properties"]["id"] = {
        "anyOf": [
            {"$ref": "#/components/schemas/SnowflakeType"},
            {"type": "integer", "minimum": 0},
        ]
    }


# Component schema -> (correction, reason). Applied to a private copy of the spec.
SPEC_CORRECTIONS: dict[str, tuple[Any, str]] = {
    "MessageAttachmentRequest": (
        _attachment_id_string_or_int,
        "Discord's docs reference an uploaded `files[n]` by an attachment `id` equal to n, and "
        "accept it as a JSON integer (discord.py sends `{'id': 0, 'filename': ...}`); the spec "
        "only allows a snowflake string there.",
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
        self._registry: Registry[Any] = Registry().with_resource(
            _SPEC_URI, DRAFT202012.create_resource(self.spec)
        )
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
                self._validator_at(f"{pointer}/content/application~1json/schema")
                if JSON in content
                else None
            )
        validator = self._validators[key]
        if validator is None:
            return []
        return _describe(f"fake reply to {method.upper()} {path} ({template})", validator, body)

    def _validator(
        self, template: str, method: str, content_type: str
    ) -> jsonschema.Draft202012Validator | None:
        key = (template, method, content_type)
        if key not in self._validators:
            self._validators[key] = self._compile(template, method, content_type)
        return self._validators[key]

    def _validator_at(self, pointer: str) -> jsonschema.Draft202012Validator:
        return jsonschema.Draft202012Validator(
            {"$ref": f"{_SPEC_URI}#/{pointer}"},
            registry=self._registry,
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
        return self._validator_at(f"{pointer}/schema")


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _describe(where: str, validator: jsonschema.Draft202012Validator, body: Any) -> list[str]:
    """One line per request listing every violation (anyOf failures reduced to their best match)."""
    problems = []
    for error in validator.iter_errors(body):
        deepest = best_match([error])
        at = "/".join(str(p) for p in deepest.absolute_path) or "<body>"
        problems.append(f"{deepest.message} at {at}")
    return [f"{where}: {'; '.join(sorted(problems))}"] if problems else []


@lru_cache(maxsize=4)
def _load_spec(spec_path: Path) -> dict[str, Any]:
    if not spec_path.is_file():
        raise SpecMissing(
            f"Discord's OpenAPI spec is missing at {spec_path}: the fake Discord validates every "
            "request body against it. Check out the shared material beside the project "
            "(../shared/discord-api-spec/openapi.json) or pass FakeDiscord(spec_path=...)."
        )
    spec: dict[str, Any] = json.loads(spec_path.read_text(encoding="utf-8"))
    schemas = copy.deepcopy(spec["components"]["schemas"])
    for name, (correct, _reason) in SPEC_CORRECTIONS.items():
        correct(schemas[name])
    return {**spec, "components": {**spec["components"], "schemas": schemas}}


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
