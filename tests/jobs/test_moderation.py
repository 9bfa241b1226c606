"""The moderation service between the Discord layer and the database: what `screen` refuses
before money moves, how rules are stored (and replaced by label), and how the server's safety
settings round-trip through the stored JSON object."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.catalogue import ModelKind
from bot.db import Database
from bot.guilds.settings import (
    GuildSettings,
    GuildSettingsStore,
    SettingsRefused,
    check,
    from_json,
    to_json,
)
from bot.jobs.moderation import Moderation
from bot.jobs.orders import JobRefused, VideoOrder
from bot.jobs.store import JobStore
from bot.safety.prompt_rules import PromptRule
from bot.safety.regex_sandbox import RegexSandbox
from bot.settings import Settings

GUILD = 1000
MEMBER = 11
ADMIN = 13
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@dataclass
class Rig:
    moderation: Moderation
    guilds: GuildSettingsStore


@pytest.fixture
async def rig(tmp_path: Path, settings: Settings) -> AsyncIterator[Rig]:
    db = await Database.open(tmp_path / "bot.sqlite3")
    guilds = GuildSettingsStore(db, settings.catalogue, clock=lambda: T0)
    moderation = Moderation(
        db,
        guilds,
        JobStore(db, clock=lambda: T0),
        held_folder=tmp_path / "held",
        clock=lambda: T0,
        sandbox=RegexSandbox(search_timeout=0.3),
    )
    yield Rig(moderation, guilds)
    await moderation.close()
    await db.close()


def order(prompt: str = "a fox", **changes: object) -> VideoOrder:
    values: dict[str, object] = {
        "user_id": MEMBER,
        "guild_id": GUILD,
        "channel_id": 2000,
        "prompt": prompt,
        "kind": ModelKind.TEXT_TO_VIDEO,
    }
    values.update(changes)
    return VideoOrder(**values)  # type: ignore[arg-type]


async def refusal(rig: Rig, job: VideoOrder) -> str | None:
    """The key `screen` (or, after the budget, `screen_prompt`) refuses the order with."""
    guild = await rig.guilds.get(GUILD)
    try:
        await rig.moderation.screen(guild, job)
        await rig.moderation.screen_prompt(guild, job)
    except JobRefused as refused:
        return f"{refused.key} {refused.params}"
    return None


async def test_screen_refuses_by_rule_label_channel_and_pause(rig: Rig) -> None:
    assert await refusal(rig, order()) is None
    await rig.moderation.add_rule(GUILD, by=ADMIN, label="Violence", words="gore", regex=None)
    await rig.moderation.add_rule(GUILD, by=ADMIN, label="Weapons", words=None, regex=r"guns?")
    assert await refusal(rig, order("ＧＯＲＥ fox")) == "refused.prompt_rule {'rule': 'Violence'}"
    assert await refusal(rig, order("two ｇｕｎｓ")) == "refused.prompt_rule {'rule': 'Weapons'}"

    await rig.guilds.set(GUILD, by=ADMIN, nsfw_only=True)
    assert await refusal(rig, order()) == "refused.nsfw_only {}"
    assert await refusal(rig, order(channel_nsfw=True)) is None

    await rig.moderation.strikes.record_rejection(GUILD, MEMBER, "job-1", limit=1)
    assert await refusal(rig, order(channel_nsfw=True)) == "refused.member_paused {}"
    assert await rig.moderation.unpause(GUILD, MEMBER, by=ADMIN)
    assert await refusal(rig, order(channel_nsfw=True)) is None


async def test_a_regex_check_that_runs_too_long_refuses_the_prompt(rig: Rig) -> None:
    # Stored around the checks (as an older version might have): the sandbox still stops it.
    slow = PromptRule("Slow", regex="(a|a)+$")
    await rig.guilds.update(GUILD, by=ADMIN, change=lambda g: GuildSettings(prompt_rules=(slow,)))
    refused = await refusal(rig, order("a" * 40 + "!"))
    assert refused == "refused.prompt_rules_unavailable {}"
    assert await refusal(rig, order("a fox")) is None, "a fresh worker serves the next prompt"


async def test_a_rule_with_the_same_label_replaces_the_old_one(rig: Rig) -> None:
    await rig.moderation.add_rule(GUILD, by=ADMIN, label="Gore", words="gore", regex=None)
    stored = await rig.moderation.add_rule(
        GUILD, by=ADMIN, label="ＧＯＲＥ", words="blood, gore", regex=None
    )
    assert stored.prompt_rules == (PromptRule("ＧＯＲＥ", ("blood", "gore")),)
    with pytest.raises(SettingsRefused, match="words_or_regex"):
        await rig.moderation.add_rule(GUILD, by=ADMIN, label="x", words="a", regex="b")
    with pytest.raises(SettingsRefused, match=r"rules\.regex\.slow"):
        await rig.moderation.add_rule(GUILD, by=ADMIN, label="x", words=None, regex="(a|a)+$")
    with pytest.raises(SettingsRefused, match="unknown_label"):
        await rig.moderation.remove_rule(GUILD, by=ADMIN, label="nope")
    emptied = await rig.moderation.remove_rule(GUILD, by=ADMIN, label="gore")
    assert emptied.prompt_rules == ()


def test_safety_settings_round_trip_and_are_checked(settings: Settings) -> None:
    chosen = GuildSettings(
        prompt_rules=(PromptRule("a", ("x",)), PromptRule("b", regex="y+")),
        nsfw_only=True,
        log_channel_id=2003,
        rejection_limit=2,
        flagged_outputs="review",
    )
    assert from_json(to_json(chosen), None, None) == chosen
    assert to_json(GuildSettings()) == "{}", "nothing stored for what was never set"
    for bad, key in [
        (GuildSettings(rejection_limit=0), "settings.bad_rejection_limit"),
        (GuildSettings(rejection_limit=21), "settings.bad_rejection_limit"),
        (GuildSettings(flagged_outputs="hide"), "settings.bad_flagged_outputs"),
        (GuildSettings(prompt_rules=(PromptRule("n", regex="(a+)+"),)), "rules.regex.nested"),
    ]:
        with pytest.raises(SettingsRefused) as refused:
            check(bad, settings.catalogue)
        assert refused.value.key == key
