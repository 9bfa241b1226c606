"""Stories in Traditional Chinese: a member whose Discord client is set to 中文（台灣）sees the
commands, the job message, its buttons and any refusal in Chinese, while a member next to them
on an English client keeps reading English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.i18n import t
from tests.e2e.conftest import CHANNEL, GUILD, MEMBER, OTHER_MEMBER, World, running_world
from tests.fake_discord import FakeInteraction, FakeMessage

ZH = "zh-TW"


def zh_fields(embed: dict[str, Any]) -> dict[str, str]:
    """An embed's fields by name; for zh-TW the names are Chinese (see `t(..., "zh-TW")`)."""
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


def zh_status(message: FakeMessage) -> str:
    """The 狀態 (Status) field of a zh-TW job message."""
    return zh_fields(message.embeds[0]).get(t("job.field.status", ZH), "") if message.embeds else ""


def button_labels(components: list[dict[str, Any]]) -> list[str]:
    """The labels of the buttons on a message."""
    return [c["label"] for row in components for c in row.get("components", []) if "label" in c]


async def zh_video(world: World, user_id: int = MEMBER, **options: Any) -> FakeInteraction:
    """A member on a zh-TW client runs /影片 (/video)."""
    return await world.discord.invoke(
        "video", user_id=user_id, guild_id=GUILD, channel_id=CHANNEL, options=options, locale=ZH
    )


async def test_commands_are_published_with_chinese_names_and_descriptions(world: World) -> None:
    commands = world.discord.commands
    assert not world.discord.schema_errors, "Discord's spec accepts the localizations"
    video = commands["video"]
    assert video["name_localizations"]["zh-TW"] == "影片"
    assert video["description_localizations"]["zh-TW"] == "用文字提示詞製作一段短影片。"
    options = {o["name"]: o for o in video["options"]}
    assert options["prompt"]["name_localizations"]["zh-TW"] == "提示詞"
    assert options["duration"]["description_localizations"]["zh-TW"] == "影片長度（秒）"
    assert commands["animate"]["name_localizations"]["zh-TW"] == "圖片轉影片"
    assert commands["budget"]["name_localizations"]["zh-TW"] == "額度"
    admin = commands["budget-admin"]
    assert admin["name_localizations"]["zh-TW"] == "額度管理"
    subcommands = {o["name"]: o["name_localizations"]["zh-TW"] for o in admin["options"]}
    assert subcommands["set-server-cap"] == "設定伺服器上限"
    assert subcommands["export"] == "匯出帳本"
    assert "en-US" not in video["name_localizations"], "English stays the default name"


async def test_chinese_member_makes_a_video_and_reads_every_line_in_chinese(world: World) -> None:
    interaction = await zh_video(world, prompt="一隻在雪地裡奔跑的紅狐狸")
    await interaction.wait_response()
    first = (interaction.response_data or {})["embeds"][0]
    assert first["title"] == "影片"
    assert set(zh_fields(first)) >= {"模型", "長度", "解析度", "種子", "費用", "狀態"}
    assert zh_fields(first)["費用"] == "USD 1.00（報價）"
    assert zh_fields(first)["狀態"] == "排隊中"
    labels = button_labels((interaction.response_data or {})["components"])
    assert labels == ["取消"]

    message = await interaction.wait_message(lambda m: zh_status(m).startswith("完成"))
    fields = zh_fields(message.embeds[0])
    assert fields["費用"] == "已收取 USD 1.00"
    assert fields["剩餘額度"].startswith("USD 4.00（<t:")
    assert fields["剩餘額度"].endswith(":R>重設）")
    assert button_labels(message.components) == [
        "重新生成",
        "修改提示詞",
        "詳細資訊",
        "複製指令",
        "刪除",
        "延長",
        "編輯影片",
        "提升畫質",
        "改善提示詞",
    ]
    statuses = [zh_fields(edit["embeds"][0]).get("狀態", "") for edit in message.edits]
    assert any(s.startswith("生成中：<t:") and "開始，通常約需" in s for s in statuses), statuses
    assert not [s for s in statuses if s.isascii()], "no status line in English"

    # The member's own Chinese prompt reached Atlas untouched.
    body = next(r.json for r in world.sim.requests if r.path.endswith("/generateVideo"))
    assert body["prompt"] == "一隻在雪地裡奔跑的紅狐狸"

    # /額度: the same member reads their budget in Chinese; bob, on English, reads English.
    mine = await world.discord.invoke(
        "budget", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL, locale=ZH
    )
    theirs = await world.discord.invoke(
        "budget", user_id=OTHER_MEMBER, guild_id=GUILD, channel_id=CHANNEL, locale="en-US"
    )
    await mine.wait_response()
    await theirs.wait_response()
    chinese = (mine.response_data or {})["embeds"][0]
    assert chinese["title"] == "你的影片額度"
    assert zh_fields(chinese)["已使用"] == "USD 1.00"
    assert zh_fields(chinese)["剩餘"] == "USD 4.00"
    english = (theirs.response_data or {})["embeds"][0]
    assert english["title"] == "Your video budget"
    assert zh_fields(english)["Left"] == "USD 5.00"


async def test_chinese_member_over_budget_is_refused_in_chinese(tmp_path: Path) -> None:
    async with running_world(tmp_path, default_user_limit_usd="0.50") as world:
        interaction = await zh_video(world, prompt="一座城堡")
        await interaction.wait_response()
        data = interaction.response_data or {}
        assert data.get("flags", 0) & 64, "only the member sees it"
        assert data["content"].startswith("這部影片需要 USD 1.00，但你目前只剩 USD 0.50（<t:")
        assert "請管理員提高額度" in data["content"]
        assert not [r for r in world.sim.requests if "/model/" in r.path], "Atlas never called"
        summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
        assert (summary.spent, summary.held) == (0, 0)
