"""Every new path in Traditional Chinese: a member on a zh-TW client extends, edits, upscales,
animates to a last frame or a loop and improves a prompt, and reads every form, price, refusal
and message in Chinese; the commands are published with Chinese names."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import CHANNEL, GUILD, MEMBER, World
from tests.fake_discord import FakeInteraction, FakeMessage
from tests.images import png
from tests.videos import mp4

ZH = "zh-TW"


def zh_fields(message: FakeMessage) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0].get("fields", [])}


def zh_done(message: FakeMessage) -> bool:
    return zh_fields(message).get("狀態", "").startswith(("完成", "失敗"))


async def zh(world: World, command: str, **options: Any) -> FakeInteraction:
    return await world.discord.invoke(
        command, user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL, options=options, locale=ZH
    )


async def zh_click(
    world: World, message: FakeMessage, prefix: str, values: list[str] | None = None
) -> FakeInteraction:
    custom_id = next(c for c in message.custom_ids() if c.startswith(prefix))
    clicked = await world.discord.click(
        message.id,
        custom_id,
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        locale=ZH,
        values=values,
    )
    await clicked.wait_response()
    return clicked


async def private_text(interaction: FakeInteraction) -> str:
    await interaction.wait_response()
    if interaction.response_type == 4:
        return str((interaction.response_data or {}).get("content"))
    (sent,) = await interaction.wait_followups(1)
    return str(sent.content)


async def zh_video(world: World) -> FakeMessage:
    interaction = await zh(world, "video", prompt="池塘上的紙船")
    return await interaction.wait_message(zh_done)


def modal_inputs(opened: FakeInteraction) -> dict[str, dict[str, Any]]:
    modal = opened.response_data or {}
    return {
        c["custom_id"]: c
        for row in modal["components"]
        for c in row.get("components", [row.get("component")])
        if c
    }


async def test_the_new_commands_and_options_have_chinese_names(world: World) -> None:
    commands = world.discord.commands
    assert not world.discord.schema_errors
    edit = commands["edit-video"]
    assert edit["name_localizations"][ZH] == "編輯影片"
    assert edit["description_localizations"][ZH] == "依提示詞修改你自己的影片。"
    options = {o["name"]: o for o in edit["options"]}
    assert options["video"]["description_localizations"][ZH] == "你的影片（MP4、MOV 或 WebM）"
    animate = {o["name"]: o for o in commands["animate"]["options"]}
    assert animate["last_image"]["name_localizations"][ZH] == "最後畫面"
    assert animate["loop"]["name_localizations"][ZH] == "循環"
    settings = {o["name"]: o for o in commands["settings"]["options"]}
    assert settings["prompt-helper"]["name_localizations"][ZH] == "提示詞助手"


async def test_extend_edit_and_upscale_in_chinese(world: World) -> None:
    message = await zh_video(world)
    labels = [c["label"] for row in message.components for c in row["components"]]
    assert labels[-4:] == ["延長", "編輯影片", "提升畫質", "改善提示詞"]

    opened = await zh_click(world, message, "job:extend:")
    assert (opened.response_data or {})["title"] == "延長這部影片"
    inputs = modal_inputs(opened)
    assert inputs["prompt"]["label"] == "接下來發生什麼事？"
    assert inputs["seconds"]["label"] == "要延長的秒數（3–10）"
    assert inputs["seconds"]["placeholder"] == "每延長一秒 USD 0.025：7 秒需 USD 0.175"
    submitted = await world.discord.submit_modal(
        (opened.response_data or {})["custom_id"],
        {"prompt": "紙船漂向大海", "seconds": "5"},
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        locale=ZH,
    )
    extended = await submitted.wait_message(zh_done)
    fields = zh_fields(extended)
    assert fields["狀態"].startswith("完成")
    assert fields["製作方式"] == "延長影片"
    assert fields["長度"] == "+5 秒（接在 1 秒的影片後）"

    opened = await zh_click(world, message, "job:vedit:")
    assert (opened.response_data or {})["title"] == "編輯這部影片"
    assert modal_inputs(opened)["prompt"]["placeholder"] == "每秒 USD 0.14：這部影片約 USD 1.12"

    chooser = await zh_click(world, message, "job:upscale:")
    assert chooser.message is not None
    assert chooser.message.content == "用 Atlas Video Upscaler 把這部影片提升到："
    (menu,) = [c for row in chooser.message.components for c in row["components"]]
    assert menu["placeholder"] == "選擇解析度"
    assert menu["options"][0]["description"] == "每 5 秒 USD 0.025：這部影片約 USD 0.05"


async def test_refusals_of_the_new_paths_in_chinese(world: World) -> None:
    long_clip = world.discord.add_attachment("long.mp4", mp4(45), content_type="video/mp4")
    text = await private_text(await zh(world, "edit-video", video=long_clip, prompt="變成夜晚"))
    assert text == (
        "`long.mp4` 長 45 秒；Gemini Omni Flash (edit) 只接受最長 30 秒（且不超過 20 MB）"
        "的影片。請剪短後再試一次。"
    )

    cat = world.discord.add_attachment(
        "cat.png", png(256, 256), content_type="image/png", width=256, height=256
    )
    gemini = "google/gemini-omni-flash/image-to-video-developer"
    text = await private_text(
        await zh(world, "animate", image=cat, prompt="貓轉身", model=gemini, loop="yes")
    )
    assert text.startswith("Gemini Omni Flash 無法以指定的圖片結束影片。請選擇可以的模型")

    choices = await world.discord.autocomplete(
        "animate",
        "loop",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"model": "bytedance/seedance-2.0/image-to-video"},
        locale=ZH,
    )
    assert [c.get("name_localizations", {}).get(ZH, c["name"]) for c in choices] == [
        "是：以第一張圖片結束"
    ]


async def test_a_last_frame_job_in_chinese(world: World) -> None:
    first, last = (
        world.discord.add_attachment(
            name, png(256, 256), content_type="image/png", width=256, height=256
        )
        for name in ("a.png", "b.png")
    )
    interaction = await zh(world, "animate", image=first, prompt="門打開", last_image=last)
    message = await interaction.wait_message(zh_done)
    assert zh_fields(message)["結束畫面"] == "指定的最後一張圖片"


async def test_the_prompt_helper_answers_in_chinese(world: World) -> None:
    message = await zh_video(world)
    clicked = await zh_click(world, message, "job:improve:")
    (shown,) = await clicked.wait_followups(1)

    (chat,) = world.sim.chats
    system = chat["request"]["messages"][0]["content"]
    assert system.endswith("Write it in Traditional Chinese (zh-TW).")
    embed = shown.embeds[0]
    assert embed["title"] == "改善後的提示詞"
    assert embed["description"].startswith("池塘上的紙船。電影感廣角鏡頭")
    cost = {f["name"]: f["value"] for f in embed["fields"]}["費用"]
    assert "個 token（最多預扣 USD" in cost
    labels = [c["label"] for row in shown.components for c in row["components"]]
    assert labels == ["使用", "編輯", "關閉"]
