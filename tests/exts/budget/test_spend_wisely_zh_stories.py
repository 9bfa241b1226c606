"""Spend wisely, in Traditional Chinese: a zh-TW member is offered the cheaper video, told where
the video went, forecast and charted, and shown the command to copy, all in Chinese."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.exts.budget._chart import TODAY
from tests.e2e.conftest import CHANNEL, GUILD, MEMBER, World, running_world
from tests.e2e.test_locale_stories import ZH, button_labels, zh_fields, zh_status, zh_video
from tests.exts.budget.test_forecast_stories import FrozenClock, chart_of, ts
from tests.exts.settings.test_settings_stories import data, generate_requests, settings
from tests.fake_discord import FakeInteraction, FakeMessage


async def zh_click(world: World, message: FakeMessage, prefix: str) -> FakeInteraction:
    """The zh-TW member presses a button."""
    custom_id = next(c for c in message.custom_ids() if c.startswith(prefix))
    pressed = await world.discord.click(
        message.id, custom_id, user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL, locale=ZH
    )
    await pressed.wait_response()
    return pressed


async def done(interaction: FakeInteraction) -> FakeMessage:
    """The job message once it says 完成 (done)."""
    return await interaction.wait_message(lambda m: zh_status(m).startswith("完成"))


async def test_the_cheaper_offer_reads_chinese_and_its_button_makes_it(tmp_path: Path) -> None:
    async with running_world(tmp_path, default_user_limit_usd="0.70") as world:
        refused = await zh_video(world, prompt="黎明時的城堡")
        await refused.wait_response()
        text = data(refused)["content"]
        assert text.startswith("這部影片需要 USD 1.00，但你目前只剩 USD 0.70")
        assert text.endswith(
            "4 秒、1080p 只需要 USD 0.60，在你的額度之內。按下按鈕即可改做這個版本。"
        )
        assert refused.message is not None
        assert button_labels(refused.message.components) == ["改用 USD 0.60 製作"]
        message = await done(await zh_click(world, refused.message, "offer:"))
        assert zh_fields(message.embeds[0])["費用"] == "已收取 USD 0.60"


async def test_closed_dms_and_the_copy_command_read_chinese(world: World) -> None:
    await settings(world, "delivery", mode="dm")
    world.discord.set_dms_open(MEMBER, False)
    message = await done(await zh_video(world, prompt="一隻在雪地裡奔跑的紅狐狸"))
    assert message.content == "你關閉了私人訊息，所以影片改放在這裡。"
    assert len(message.attachments) == 1

    shown = await zh_click(world, message, "job:copy:")
    seed = generate_requests(world)[0]["seed"]
    assert data(shown)["content"] == (
        "執行這行指令即可再做一次相同的影片：\n```\n"
        f"/影片 提示詞:一隻在雪地裡奔跑的紅狐狸 長度:8 長寬比:16:9 解析度:1080p 種子:{seed} "
        "模型:google/gemini-omni-flash/text-to-video-developer\n```"
    )


async def test_the_forecast_and_its_chart_in_chinese(tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2025, 3, 3, 12, tzinfo=UTC))
    async with running_world(tmp_path, clock=clock) as world:
        await done(await zh_video(world, prompt="第三天的影片"))  # USD 1.00, 2.5 days in
        mine = await world.discord.invoke(
            "budget", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL, locale=ZH
        )
        await mine.wait_response()
        end = ts(datetime(2025, 3, 13, 12, tzinfo=UTC))  # USD 4.00 left at 0.40 a day
        assert zh_fields(data(mine)["embeds"][0])["照目前的速度"] == (
            f"照你每天 USD 0.40 的速度，額度大約會在 <t:{end}:D>（<t:{end}:R>）用完。\n"
            "這個月每天的花費：見下方圖表。"
        )
        assert chart_of(world, mine).columns_with(TODAY), "today's bar"
