"""The shipped config/bot.toml documents every setting the code accepts.

A setting is documented when its section holds it, set (`key = value`) or commented out
(`# key = value`); a commented-out value must be the code's default (unless the default is
"unset"), so the file never claims a default the code does not have.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from pydantic import BaseModel

from bot.catalogue import ModelSpec
from bot.settings import FileConfig
from tests.conftest import CONFIG

KEY = re.compile(r"^(#\s*)?([a-z_][a-z0-9_]*)\s*=\s*(.*)$")


def toml_keys(text: str) -> dict[str, str | None]:
    """Every `key = value` line, set or commented out: the commented value, or None when set."""
    keys: dict[str, str | None] = {}
    for line in text.splitlines():
        match = KEY.match(line.strip())
        if match is not None:
            commented, key, value = match.groups()
            keys.setdefault(key, value if commented else None)
            if not commented:
                keys[key] = None
    return keys


def sections(text: str) -> dict[str, str]:
    """The text under each `[table]` header, headers of `[[arrays]]` merged by name."""
    found: dict[str, str] = {}
    name = ""
    for line in text.splitlines():
        header = re.fullmatch(r"\[\[?([a-z_]+)\]\]?", line.strip())
        if header is not None:
            name = header.group(1)
            continue
        found[name] = found.get(name, "") + line + "\n"
    return found


def file_keys(model: type[BaseModel]) -> dict[str, object]:
    """The keys a config table accepts (aliases as written in TOML), with their defaults."""
    keys: dict[str, object] = {}
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        keys[alias if isinstance(alias, str) else name] = (
            None if field.is_required() else field.default
        )
    return keys


def table_model(name: str) -> type[BaseModel]:
    """The pydantic model of one table of the config file."""
    table = FileConfig.model_fields[name].annotation
    if not (isinstance(table, type) and issubclass(table, BaseModel)):
        raise TypeError(f"[{name}] is not a table")
    return table


def assert_documented(model: type[BaseModel], written: dict[str, str | None], where: str) -> None:
    for key, default in file_keys(model).items():
        assert key in written, f"{where}: {key} is not documented in {CONFIG.name}"
        example = written[key]
        if example is not None and default is not None:
            value = tomllib.loads(f"v = {example}")["v"]
            assert value == default, (
                f"{where}: {key} is shown as {value!r}, the code says {default!r}"
            )


def test_every_table_documents_every_key_it_accepts() -> None:
    text = CONFIG.read_text()
    tables = sections(text)

    for name in FileConfig.model_fields.keys() - {"models"}:
        assert name in tables, f"[{name}] is missing from {CONFIG.name}"
        assert_documented(table_model(name), toml_keys(tables[name]), f"[{name}]")


def test_every_model_option_is_documented_or_used() -> None:
    # The optional model keys are documented once, in the comment above the first [[models]].
    assert_documented(ModelSpec, toml_keys(CONFIG.read_text()), "[[models]]")


def test_known_late_additions_are_there_commented_out() -> None:
    keys = toml_keys(CONFIG.read_text())

    assert keys["default_bot_cap_usd"] is not None  # unset by default: no bot-wide cap
    assert keys["lease_seconds"] == "90"
    assert (
        FileConfig.model_validate(tomllib.loads(CONFIG.read_text())).budget.default_bot_cap is None
    )


def test_the_checker_notices_an_undocumented_key() -> None:
    text = CONFIG.read_text().replace("# lease_seconds = 90\n", "")
    jobs = toml_keys(sections(text)["jobs"])
    wrong = CONFIG.read_text().replace("# lease_seconds = 90", "# lease_seconds = 60")
    wrong_jobs = toml_keys(sections(wrong)["jobs"])
    table = table_model("jobs")

    for broken in (jobs, wrong_jobs):
        with pytest.raises(AssertionError, match="lease_seconds"):
            assert_documented(table, broken, "[jobs]")
