"""Both languages are complete: every message key and every slash-command string exists in
English and Traditional Chinese (zh-TW), with the same placeholders, in forms Discord accepts."""

from __future__ import annotations

import string
import typing
from collections.abc import AsyncIterator, Iterator
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.app_commands import TranslationContext
from discord.app_commands import TranslationContextLocation as Location
from discord.ext import commands

from bot.exts import walk_extensions
from bot.i18n import ENGLISH, MESSAGES, TRADITIONAL_CHINESE, t
from bot.i18n.commands import CommandTable, is_valid_command_name, table_problems
from bot.i18n.zh_tw import COMMANDS as ZH_TW
from bot.jobs.progress import FailureReason, JobStatus
from bot.jobs.record import JobState
from bot.ledger.limits import Scope
from bot.settings import load
from bot.ui.translator import CommandTranslator
from tests.conftest import make_env

ZH = discord.Locale.taiwan_chinese


def placeholders(template: str) -> set[str]:
    """The `{names}` a template fills in."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


# -- the message catalogue -------------------------------------------------------------------


def test_every_english_key_has_a_zh_tw_message_with_the_same_placeholders() -> None:
    english, chinese = MESSAGES[ENGLISH], MESSAGES[TRADITIONAL_CHINESE]
    missing = sorted(set(english) - set(chinese))
    assert not missing, f"zh-TW lacks {missing}"
    assert not sorted(set(chinese) - set(english)), "zh-TW keys that English no longer has"
    mismatched = {
        key: (placeholders(english[key]), placeholders(chinese[key]))
        for key in english
        if placeholders(english[key]) != placeholders(chinese[key])
    }
    assert not mismatched, f"placeholders differ (English, zh-TW): {mismatched}"
    untranslated = [k for k in english if chinese[k] == english[k] and english[k].isascii()]
    assert not untranslated, f"zh-TW copies the English text: {untranslated}"


def test_keys_the_code_builds_from_enums_exist() -> None:
    keys = [f"status.{s.value}" for s in JobStatus]
    keys += [f"failure.{f.value}" for f in FailureReason]
    keys += [f"refused.budget.{scope}" for scope in typing.get_args(Scope)]
    keys += [f"cancel.{reason}" for reason in ("not_yours", "too_late", "unknown")]
    keys += [f"period.{p}" for p in ("day", "week", "month")]
    keys += [f"state.{s.value}" for s in JobState]
    keys += [f"delete.{reason}" for reason in ("not_yours", "not_finished", "unknown")]
    keys += [f"queue.stage.{stage}" for stage in ("approval", "waiting", "running")]
    keys += [f"button.{action}" for action in ("approve", "deny", "edit", "info", "delete")]
    assert not [k for k in keys if k not in MESSAGES[ENGLISH]]


def test_t_follows_the_members_locale_and_falls_back_to_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert t("button.reroll", "zh-TW") == "重新生成"
    assert t("button.cancel", str(ZH)) == "取消"
    assert t("button.reroll", "en-US") == "Re-roll"
    assert t("button.reroll", "fr") == "Re-roll", "a language we lack reads English"
    assert t("button.reroll", None) == "Re-roll"
    needed = t("refused.budget.user", "zh-TW", needed="USD 1.00", remaining="USD 0.50", resets="X")
    assert needed.startswith("這部影片需要 USD 1.00，但你目前只剩 USD 0.50")
    monkeypatch.setitem(MESSAGES[ENGLISH], "test.only_english", "Hello {name}")
    assert t("test.only_english", "zh-TW", name="alice") == "Hello alice"


def test_chinese_example_uses_the_chinese_command_names() -> None:
    example = f"/{ZH_TW.names['video']} {ZH_TW.names['prompt']}:"
    assert example in t("refused.prompt_empty", "zh-TW")


# -- the command translator -------------------------------------------------------------------


@pytest.fixture
async def command_tree() -> AsyncIterator[app_commands.CommandTree[Any]]:
    """The bot's real command tree: its extensions loaded into a client that never connects
    (with the shipped settings, which the commands' registered limits come from)."""
    client = commands.Bot(command_prefix="!", intents=discord.Intents.none(), help_command=None)
    client.settings = load(make_env())  # type: ignore[attr-defined]
    for extension in walk_extensions():
        await client.load_extension(extension)
    yield client.tree
    await client.close()


async def translated_payloads(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    """What `tree.sync()` would send, localizations included."""
    translator = CommandTranslator()
    await translator.load()
    return [
        await command.get_translated_payload(tree, translator) for command in tree.get_commands()
    ]


def walk(nodes: list[dict[str, Any]], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every command, subcommand and option in the payloads, with a readable path."""
    for node in nodes:
        where = f"{path} {node['name']}".strip()
        yield where, node
        yield from walk(node.get("options") or [], where)


async def test_every_command_string_has_a_zh_tw_translation(
    command_tree: app_commands.CommandTree[Any],
) -> None:
    payloads = await translated_payloads(command_tree)
    assert {p["name"] for p in payloads} >= {"video", "animate", "budget", "budget-admin"}
    missing = []
    for where, node in walk(payloads):
        if "zh-TW" not in (node.get("name_localizations") or {}):
            missing.append(f"name of {where}")
        if node.get("description") and "zh-TW" not in (node.get("description_localizations") or {}):
            missing.append(f"description of {where}: {node['description']!r}")
        for choice in node.get("choices") or []:
            if "zh-TW" not in (choice.get("name_localizations") or {}):
                missing.append(f"choice {choice['name']!r} of {where}")
    assert not missing, "add these to bot/i18n/zh_tw.py: " + "; ".join(missing)


async def test_translated_names_obey_discords_rules_and_stay_distinct(
    command_tree: app_commands.CommandTree[Any],
) -> None:
    payloads = await translated_payloads(command_tree)
    top = [p["name_localizations"]["zh-TW"] for p in payloads]
    assert len(set(top)) == len(top), f"two commands share a zh-TW name: {top}"
    for where, node in walk(payloads):
        name = node["name_localizations"]["zh-TW"]
        assert is_valid_command_name(name), f"{where}: {name!r}"
        assert 1 <= len(node["description_localizations"]["zh-TW"]) <= 100, where
        siblings = [o["name_localizations"]["zh-TW"] for o in node.get("options") or []]
        assert len(set(siblings)) == len(siblings), f"{where}: {siblings}"
    video = next(p for p in payloads if p["name"] == "video")
    assert video["name_localizations"] == {"zh-TW": "影片"}
    assert video["description_localizations"]["zh-TW"] == "用文字提示詞製作一段短影片。"
    prompt = next(o for o in video["options"] if o["name"] == "prompt")
    assert prompt["name_localizations"] == {"zh-TW": "提示詞"}


async def test_autocomplete_choices_are_translated_where_they_are_words() -> None:
    translator = CommandTranslator()

    async def choice(name: str, locale: discord.Locale = ZH) -> str:
        # As discord.py answers an autocomplete when the cog names a choice with locale_str.
        named = app_commands.Choice(name=app_commands.locale_str(name), value=name)
        payload = await named.get_translated_payload_for_locale(translator, locale)
        return str(payload["name"])

    assert await choice("8 s") == "8 秒"
    assert await choice("1080p") == "1080p", "technical values stay as they are"
    label = "Gemini Omni Flash (google/gemini-omni-flash)"
    assert await choice(label) == label, "model names are names"
    assert await choice("8 s", discord.Locale.japanese) == "8 s", "a language we lack: English"
    other: TranslationContext[Any, None] = TranslationContext(location=Location.other, data=None)
    assert await translator.translate(app_commands.locale_str("seed"), ZH, other) is None


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("影片", True),
        ("set-server-cap", True),
        ("圖片2", True),
        ("aspect_ratio", True),
        ("วิดีโอ", True),
        ("वीडियो", True),
        ("Video", False),
        ("影片 設定", False),
        ("影片！", False),
        ("", False),
        ("a" * 33, False),
    ],
)
def test_discords_name_rule(name: str, valid: bool) -> None:
    assert is_valid_command_name(name) is valid


async def test_a_table_discord_would_reject_is_refused_on_load() -> None:
    assert table_problems(ZH_TW) == []
    bad = CommandTable(names={"video": "影片 生成", "seed": "Seed"}, descriptions={"x": "長" * 101})
    problems = table_problems(bad)
    assert len(problems) == 3, problems
    with pytest.raises(ValueError, match="would reject"):
        await CommandTranslator({ZH: bad}).load()
