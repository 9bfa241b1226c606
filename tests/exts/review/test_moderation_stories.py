"""Spend wisely (#11), the safety half: a server's prompt rules and age-restricted channels refuse
a job before any money moves; Atlas's moderation rejections are released, logged, and pause a
member who collects too many; flagged videos come behind a spoiler or wait for a moderator.
End to end through discord.py, the fake Discord, the Atlas simulator and the ledger."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.jobs.moderation import ReviewRefused
from bot.jobs.record import JobState
from bot.safety.held import Review
from tests.e2e.conftest import ADMIN, CHANNEL, GUILD, MEMBER, World, running_world, status_of
from tests.fake_discord import FakeInteraction, FakeMessage
from tests.fake_discord.models import DEFAULT_EVERYONE_PERMISSIONS

NSFW_CHANNEL = 2002
LOG_CHANNEL = 2003
MODERATOR = 14
MANAGE_MESSAGES = 1 << 13
EPHEMERAL = 64
PRICE = 1_000_000  # the default /video: Gemini Omni Flash, 8 s at 1080p
ZH = "zh-TW"


async def settings(world: World, subcommand: str, **options: Any) -> FakeInteraction:
    """An admin runs /settings <subcommand> and the bot has answered."""
    return await world.command("settings", subcommand, **options)


async def answer(interaction: FakeInteraction) -> str:
    """The text the bot answered with: the response, or the followup of a deferred one."""
    await interaction.wait_response()
    if interaction.response_type == 5:  # deferred: the answer is a followup
        return (await interaction.wait_followups(1))[0].content or ""
    return str((interaction.response_data or {}).get("content") or "")


async def video(
    world: World, prompt: str, *, channel_id: int = CHANNEL, locale: str = "en-US"
) -> FakeInteraction:
    """The member runs /video in a channel."""
    return await world.discord.invoke(
        "video",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=channel_id,
        options={"prompt": prompt},
        locale=locale,
    )


def fields(embed: dict[str, Any]) -> dict[str, str]:
    """An embed's fields by name."""
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


def log_lines(world: World) -> list[str]:
    """What the bot wrote in the log channel, oldest first."""
    posted = [m for m in world.discord.messages.values() if m.channel_id == LOG_CHANNEL]
    return [m.content or "" for m in sorted(posted, key=lambda m: m.id)]


async def wait_log(world: World, count: int) -> list[str]:
    """The log channel's lines once there are `count` of them."""
    await world.discord.wait_until(lambda: len(log_lines(world)) >= count, 5, f"{count} lines")
    return log_lines(world)


def generate_requests(world: World) -> list[dict[str, Any]]:
    """The bodies of every generateVideo call Atlas received."""
    return [r.json for r in world.sim.requests if r.path.endswith("/generateVideo")]


async def money(world: World) -> tuple[int, int]:
    """(spent, held) of the member this period."""
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    return summary.spent, summary.held


def has_button(message: FakeMessage, prefix: str) -> bool:
    """The message carries a button whose custom id starts with `prefix`."""
    return any(c.startswith(prefix) for c in message.custom_ids())


async def click(world: World, message: FakeMessage, prefix: str, user_id: int) -> FakeInteraction:
    """`user_id` presses the button whose custom id starts with `prefix`."""
    custom_id = next(c for c in message.custom_ids() if c.startswith(prefix))
    pressed = await world.discord.click(
        message.id, custom_id, user_id=user_id, guild_id=GUILD, channel_id=CHANNEL
    )
    await pressed.wait_response()
    return pressed


def moderation_events(world: World) -> list[tuple[str, int, str | None, int | None]]:
    """The rows of the moderation log table, read from the database file."""
    path = world.settings.env.database_path
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT kind, user_id, job_id, actor_id FROM moderation_events ORDER BY id"
        ).fetchall()
    return [(str(k), int(u), j, a) for k, u, j, a in rows]


# -- prompt rules -----------------------------------------------------------------------------


async def test_a_blocked_word_in_full_width_letters_is_refused_naming_only_the_rule(
    world: World,
) -> None:
    saved = await settings(world, "prompt-rules add", label="Violence", words="gore, blood bath")
    assert (saved.response_data or {})["content"] == "Saved."
    shown = fields((saved.response_data or {})["embeds"][0])
    assert shown["Prompt rules"] == "**Violence**: 2 word(s): gore, blood bath"
    weapons = await settings(world, "prompt-rules add", label="Weapons", regex=r"\bguns?\b")
    assert await answer(weapons) == "Saved.", "after the regex was timed (a deferred answer)"

    for prompt, rule in [
        ("a fox in ＧＯＲＥ", "Violence"),  # full-width letters
        ("a fox in GÓRÉ", "Violence"),  # accents
        ("a blood  bath at dawn", "Violence"),
        ("a fox with two ｇｕｎｓ", "Weapons"),  # a regex rule, matched in the sandbox
    ]:
        refused = await video(world, prompt)
        text = await answer(refused)
        assert (refused.response_data or {})["flags"] & EPHEMERAL
        assert text == (
            f"This server's rules do not allow this prompt (rule: {rule}). "
            "Nothing was held or charged. Change the prompt and try again."
        )
        assert "gore" not in text.lower(), "the matched word is never shown"
    assert not generate_requests(world), "Atlas never called"
    assert await money(world) == (0, 0)
    assert await world.bot.job_store.recent(MEMBER, GUILD) == [], "no job was even created"

    allowed = await world.final(await video(world, "a gory fox with a gunsmith"))
    assert status_of(allowed).startswith("Done"), "whole words only"

    removed = await settings(world, "prompt-rules remove", label="violence")
    assert "Violence" not in fields((removed.response_data or {})["embeds"][0])["Prompt rules"]
    again = await world.final(await video(world, "a fox in ＧＯＲＥ"))
    assert status_of(again).startswith("Done")


async def test_a_pathological_regex_is_refused_when_saved(world: World) -> None:
    nested = await settings(world, "prompt-rules add", label="As", regex="(a+)+$")
    assert await answer(nested) == (
        "This regular expression repeats a repetition (like (a+)+), which can take forever on "
        "some prompts, so it was not saved. Simplify it."
    )
    # No nested quantifier, but exponential all the same: timing in the sandbox catches it.
    slow = await settings(world, "prompt-rules add", label="As", regex="(a|a)+$")
    assert slow.response_type == 5, "deferred while the regex is timed"
    assert (await answer(slow)).startswith("This regular expression is too slow on long prompts")
    backref = await settings(world, "prompt-rules add", label="Twice", regex=r"(\w+) \1")
    assert "Back-references" in await answer(backref)
    assert (await world.bot.server_settings.get(GUILD)).prompt_rules == (), "nothing stored"

    fine = await settings(world, "prompt-rules add", label="Nude", regex=r"\bn[uú]de\b")
    assert await answer(fine) == "Saved."
    refused = await video(world, "a ＮＵＤＥ fox")
    assert "(rule: Nude)" in await answer(refused)


async def test_a_regex_slow_on_punctuation_alone_is_refused_when_saved(world: World) -> None:
    slow = await settings(world, "prompt-rules add", label="Mail", regex="@.*@.*@.*@.*;")
    assert (await answer(slow)).startswith("This regular expression is too slow on long prompts")
    assert (await world.bot.server_settings.get(GUILD)).prompt_rules == ()


async def test_a_member_over_budget_never_reaches_the_regex_check(world: World) -> None:
    saved = await settings(world, "prompt-rules add", label="Weapons", regex=r"\bguns?\b")
    assert await answer(saved) == "Saved.", "once the regex was timed"
    sandbox = world.bot.moderation.screen_rules.sandbox
    checked = sandbox.checks
    await world.bot.ledger.set_user_limit(GUILD, MEMBER, 0, by=ADMIN)

    refused = await video(world, "a fox with two guns")
    assert (await answer(refused)).startswith("Video generation is not enabled for you")
    assert sandbox.checks == checked, "no regex ran for a member who may not spend"

    await world.bot.ledger.set_user_limit(GUILD, MEMBER, None, by=ADMIN)
    allowed = await video(world, "a fox with two guns")
    assert "(rule: Weapons)" in await answer(allowed)
    assert sandbox.checks == checked + 1


async def test_a_prompt_that_folds_to_a_huge_text_is_refused_before_any_regex(
    world: World,
) -> None:
    saved = await settings(world, "prompt-rules add", label="Weapons", regex=r"\bguns?\b")
    assert await answer(saved) == "Saved.", "once the regex was timed"
    sandbox = world.bot.moderation.screen_rules.sandbox
    checked = sandbox.checks
    swollen = "\ufdfa" * 2000  # one character that NFKC spells out in 18
    refused = await video(world, swollen)
    assert await answer(refused) == (
        "Your prompt grows too long once its special characters are spelled out to be "
        "checked against this server's rules. Nothing was held or charged. Use plain letters "
        "and try again."
    )
    assert sandbox.checks == checked
    assert await money(world) == (0, 0)


async def test_a_member_may_not_use_prompt_rules_settings(world: World) -> None:
    world.discord.allow_command(GUILD, "settings", user_or_role_id=MEMBER)
    refused = await settings(world, "prompt-rules add", user_id=MEMBER, label="x", words="y")
    assert "Manage Server" in await answer(refused)
    unpause = await settings(world, "unpause", user_id=MEMBER, member=MEMBER)
    assert "Manage Server" in await answer(unpause)
    assert (await world.bot.server_settings.get(GUILD)).prompt_rules == ()


async def test_rule_labels_are_offered_to_admins_only(world: World) -> None:
    saved = await settings(world, "prompt-rules add", label="Ex's name", words="alice smith")
    assert (saved.response_data or {})["content"] == "Saved."

    async def offered(user_id: int) -> list[str]:
        choices = await world.discord.autocomplete(
            "settings",
            "label",
            subcommand="prompt-rules remove",
            user_id=user_id,
            guild_id=GUILD,
            channel_id=CHANNEL,
        )
        return [str(choice["name"]) for choice in choices]

    assert await offered(ADMIN) == ["Ex's name"]
    # A server let a member see /settings (Integrations): the labels still stay hidden.
    world.discord.allow_command(GUILD, "settings", user_or_role_id=MEMBER)
    assert await offered(MEMBER) == []


# -- age-restricted channels ------------------------------------------------------------------


async def test_a_server_may_allow_videos_only_in_age_restricted_channels(world: World) -> None:
    world.discord.add_channel(GUILD, NSFW_CHANNEL, name="after-dark", nsfw=True)
    saved = await settings(world, "safety", nsfw_only=True)
    assert (
        "Videos only in age-restricted channels"
        in fields((saved.response_data or {})["embeds"][0])["Safety"]
    )

    refused = await video(world, "a fox")
    assert await answer(refused) == (
        "On this server, videos are made only in age-restricted channels. "
        "Run the command in one of those."
    )
    assert not generate_requests(world)
    assert await money(world) == (0, 0)

    there = await world.final(await video(world, "a fox", channel_id=NSFW_CHANNEL))
    assert status_of(there).startswith("Done")
    await settings(world, "safety", nsfw_only=False)
    assert status_of(await world.final(await video(world, "a fox"))).startswith("Done")


# -- Atlas's moderation: rejections and pauses ------------------------------------------------


async def test_three_rejections_in_a_day_pause_the_member_until_an_admin_lifts_it(
    world: World,
) -> None:
    world.discord.add_channel(GUILD, LOG_CHANNEL, name="mod-log")
    saved = await settings(world, "safety", log_channel=LOG_CHANNEL)
    safety = fields((saved.response_data or {})["embeds"][0])["Safety"]
    assert f"Moderation events are written in <#{LOG_CHANNEL}>" in safety
    assert "paused after 3 rejections" in safety, "the default limit"
    world.sim.script_prompt("[forbidden]", outcome="reject")

    messages = [await world.final(await video(world, f"a [forbidden] fox {n}")) for n in range(3)]
    rejected = "Failed: nothing was charged\nAtlas's content moderation rejected this request."
    assert status_of(messages[0]) == f"{rejected} Try a different prompt or images."
    assert status_of(messages[1]) == status_of(messages[0])
    assert status_of(messages[2]) == (
        f"{rejected} It has rejected too many of your requests today, so your video access on "
        "this server is paused until an admin lifts it."
    )
    assert await money(world) == (0, 0), "every hold released: Atlas bills no rejected job"
    jobs = await world.bot.job_store.recent(MEMBER, GUILD)
    assert [j.state for j in jobs] == [JobState.REJECTED] * 3
    first, second, third = sorted(jobs, key=lambda j: j.created_at)

    lines = await wait_log(world, 3)
    assert lines[0] == (
        f"🚫 Atlas's content moderation rejected a video by <@{MEMBER}> (job `{first.id}`): "
        "1 of 3 today."
    )
    assert lines[1].endswith(f"(job `{second.id}`): 2 of 3 today.")
    assert lines[2] == (
        f"⏸️ Atlas's content moderation rejected a video by <@{MEMBER}> (job `{third.id}`): "
        "3 of 3 today, so their video access is now paused. An admin can lift it with "
        "/settings unpause."
    )
    log_message = next(m for m in world.discord.messages.values() if m.channel_id == LOG_CHANNEL)
    assert not log_message.ephemeral

    paused = await video(world, "a harmless fox")
    assert await answer(paused) == (
        "Your video access on this server is paused after repeated rejections by Atlas's "
        "content moderation. An admin can lift the pause."
    )
    assert len(generate_requests(world)) == 3, "nothing submitted while paused"

    lifted = await settings(world, "unpause", member=MEMBER)
    assert await answer(lifted) == f"<@{MEMBER}> may make videos again."
    assert (await wait_log(world, 4))[
        3
    ] == f"▶️ <@{ADMIN}> lifted the pause on <@{MEMBER}>'s video access."
    again = await settings(world, "unpause", member=MEMBER)
    assert await answer(again) == f"<@{MEMBER}> is not paused."
    assert status_of(await world.final(await video(world, "a harmless fox"))).startswith("Done")
    assert moderation_events(world) == [
        ("rejected", MEMBER, first.id, None),
        ("rejected", MEMBER, second.id, None),
        ("rejected", MEMBER, third.id, None),
        ("paused", MEMBER, third.id, None),
        ("unpaused", MEMBER, None, ADMIN),
    ]


async def test_a_pause_survives_a_restart_and_the_limit_is_the_servers_choice(
    tmp_path: Path,
) -> None:
    async with running_world(tmp_path) as world:
        await settings(world, "safety", rejection_limit=1)
        world.sim.script_prompt("[forbidden]", outcome="reject")
        message = await world.final(await video(world, "a [forbidden] fox"))
        assert "paused until an admin lifts it" in status_of(message)
        await world.restart()
        refused = await video(world, "a fox")
        assert "is paused" in await answer(refused)


# -- flagged outputs --------------------------------------------------------------------------


async def test_a_flagged_video_comes_behind_a_spoiler_with_a_content_note(world: World) -> None:
    world.sim.script_prompt("[flagged]", nsfw=True)
    message = await world.final(await video(world, "a [flagged] fox"))
    assert status_of(message).startswith("Done")
    assert [f.filename for f in message.attachments] == [f"SPOILER_{message_job(message)}.mp4"]
    assert message.content == (
        "⚠️ Content note: Atlas flagged this video as possibly sensitive, so it is hidden "
        "behind a spoiler."
    )
    assert await money(world) == (PRICE, 0), "charged: Atlas made it"

    plain = await world.final(await video(world, "a fox"))
    assert not plain.attachments[0].filename.startswith("SPOILER_")
    assert plain.content is None


def message_job(message: FakeMessage) -> str:
    """The first 12 characters of the job id, from the embed's footer."""
    footer = message.embeds[0]["footer"]["text"]
    return str(footer.removeprefix("job "))[:12]


async def test_in_review_mode_a_flagged_video_waits_for_a_moderator(world: World) -> None:
    world.discord.add_member(
        GUILD, MODERATOR, name="dave", permissions=DEFAULT_EVERYONE_PERMISSIONS | MANAGE_MESSAGES
    )
    world.discord.add_channel(GUILD, LOG_CHANNEL, name="mod-log")
    saved = await settings(world, "safety", flagged_videos="review", log_channel=LOG_CHANNEL)
    assert (
        "wait for a moderator's Approve or Delete"
        in fields((saved.response_data or {})["embeds"][0])["Safety"]
    )
    world.sim.script_prompt("[flagged]", nsfw=True)

    interaction = await video(world, "a [flagged] fox")
    held = await interaction.wait_message(lambda m: has_button(m, "review:approve:"))
    assert status_of(held).startswith(
        "Atlas flagged this video as possibly sensitive, so it is held"
    )
    assert held.attachments == [], "nothing shown before a moderator decides"
    assert [c.split(":")[1] for c in held.custom_ids()] == ["approve", "delete"]
    assert await money(world) == (PRICE, 0), "charged: Atlas made it"
    job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
    assert (job.state, job.meta.review) == (JobState.DELIVERED, Review.PENDING)
    link = f"https://discord.com/channels/{GUILD}/{CHANNEL}/{held.id}"
    assert (await wait_log(world, 1))[0] == (
        f"🔞 Atlas flagged a video by <@{MEMBER}> (job `{job.id}`) as sensitive; it waits for a "
        f"moderator: {link}"
    )

    member = await click(world, held, "review:approve:", MEMBER)
    assert (member.response_data or {})["content"].startswith("Only moderators (Manage Messages)")
    approved = await click(world, held, "review:approve:", MODERATOR)
    assert (await approved.wait_followups(1))[0].content == (
        "Approved: the video is now shown, behind a spoiler."
    )
    shown = await interaction.wait_message(lambda m: bool(m.attachments))
    assert status_of(shown).startswith("Done")
    assert shown.attachments[0].filename == f"SPOILER_{job.id[:12]}.mp4"
    assert shown.content is not None
    assert shown.content.startswith("⚠️ Content note")
    assert not has_button(shown, "review:"), "decided once"
    assert (await wait_log(world, 2))[1] == (
        f"✅ <@{MODERATOR}> approved the flagged video by <@{MEMBER}> (job `{job.id}`)."
    )


async def test_a_held_video_over_the_limit_is_compressed_before_it_waits(world: World) -> None:
    """What the moderator approves is what fits the server: the rendition made when the
    video arrived, shown with the original's link."""
    world.discord.add_member(
        GUILD, MODERATOR, name="dave", permissions=DEFAULT_EVERYONE_PERMISSIONS | MANAGE_MESSAGES
    )
    await settings(world, "safety", flagged_videos="review")
    world.discord.guilds[GUILD].upload_limit = 1_000_000
    world.sim.script_prompt("[flagged]", nsfw=True, output_bytes=3_000_000)

    interaction = await video(world, "a [flagged] big fox")
    held = await interaction.wait_message(lambda m: has_button(m, "review:approve:"), 30)
    await click(world, held, "review:approve:", MODERATOR)
    shown = await interaction.wait_message(lambda m: bool(m.attachments))

    assert shown.attachments[0].size <= 1_000_000
    assert shown.content is not None
    original = "compressed to fit this server's 977 KB limit. The original (2.9 MB): ||<http"
    assert original in shown.content, "the original's link behind the spoiler too"
    assert "?" not in shown.content, "no expiry it does not know"


async def test_a_moderator_removes_a_held_video_even_after_a_restart(tmp_path: Path) -> None:
    async with running_world(tmp_path) as world:
        world.discord.add_member(
            GUILD,
            MODERATOR,
            name="dave",
            permissions=DEFAULT_EVERYONE_PERMISSIONS | MANAGE_MESSAGES,
        )
        await settings(world, "safety", flagged_videos="review")
        world.sim.script_prompt("[flagged]", nsfw=True)
        interaction = await video(world, "a [flagged] fox")
        held = await interaction.wait_message(lambda m: has_button(m, "review:delete:"))
        job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
        held_file = world.settings.env.database_path.parent / "held" / f"{job.id}.mp4"
        assert held_file.is_file()

        await world.restart()
        removed = await click(world, held, "review:delete:", MODERATOR)
        assert (await removed.wait_followups(1))[0].content.startswith("Removed: the video is")
        gone = await interaction.wait_message(lambda m: "removed this video" in status_of(m))
        assert gone.attachments == []
        assert not held_file.exists()
        assert await money(world) == (PRICE, 0), "still charged: Atlas made it"
        assert not has_button(gone, "review:")
        with pytest.raises(ReviewRefused):  # an Approve still in flight finds nothing to decide
            await world.bot.moderation.review(job.id, GUILD, approve=True, by=MODERATOR)


async def test_an_approved_video_without_its_file_is_a_link_behind_a_spoiler(
    world: World,
) -> None:
    world.discord.add_member(
        GUILD, MODERATOR, name="dave", permissions=DEFAULT_EVERYONE_PERMISSIONS | MANAGE_MESSAGES
    )
    await settings(world, "safety", flagged_videos="review")
    world.sim.script_prompt("[flagged]", nsfw=True, output_bytes=3_000_000)
    interaction = await world.discord.invoke(
        "video",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"prompt": "a [flagged] fox"},
        attachment_size_limit=5_000,  # cannot fit even compressed: held as its link alone
    )
    held = await interaction.wait_message(lambda m: has_button(m, "review:approve:"))
    await click(world, held, "review:approve:", MODERATOR)
    shown = await interaction.wait_message(lambda m: status_of(m).startswith("Done"))
    content = shown.content or ""
    assert shown.attachments == []
    assert content.startswith("⚠️ Content note"), content
    assert "||<http://127.0.0.1" in content
    assert "](http" not in content


# -- in Traditional Chinese -------------------------------------------------------------------


def zh_status(message: FakeMessage) -> str:
    """The 狀態 (Status) field of a zh-TW job message."""
    return fields(message.embeds[0]).get("狀態", "")


async def test_a_zh_tw_member_is_told_about_rules_rejections_and_pauses_in_chinese(
    world: World,
) -> None:
    await settings(world, "prompt-rules add", label="暴力", words="血腥, gore", locale=ZH)
    refused = await video(world, "一隻狐狸在ＧＯＲＥ雪地", locale=ZH)
    assert await answer(refused) == (
        "這個伺服器的規則不允許這個提示詞（規則：暴力）。"
        "沒有保留或收取任何費用。請修改提示詞後再試一次。"
    )
    chinese = await video(world, "一隻狐狸在血腥的雪地", locale=ZH)
    assert "（規則：暴力）" in await answer(chinese), "Chinese words match without spaces"

    await settings(world, "safety", rejection_limit=2, locale=ZH)
    world.sim.script_prompt("[forbidden]", outcome="reject")
    first = await (await video(world, "[forbidden] 狐狸", locale=ZH)).wait_message(
        lambda m: zh_status(m).startswith("失敗")
    )
    assert zh_status(first) == (
        "失敗：沒有收取任何費用\nAtlas 的內容審查拒絕了這個請求。請換個提示詞或圖片再試試。"
    )
    second = await (await video(world, "[forbidden] 狐狸 2", locale=ZH)).wait_message(
        lambda m: zh_status(m).startswith("失敗")
    )
    assert zh_status(second).endswith("因此你在這個伺服器的影片權限已暫停，直到管理員解除為止。")
    paused = await video(world, "一隻狐狸", locale=ZH)
    assert await answer(paused) == (
        "由於你的請求多次遭 Atlas 內容審查拒絕，你在這個伺服器的影片權限已暫停。"
        "管理員可以解除暫停。"
    )
    lifted = await settings(world, "unpause", member=MEMBER, locale=ZH)
    assert await answer(lifted) == f"<@{MEMBER}> 可以再次製作影片了。"
    assert await money(world) == (0, 0)
