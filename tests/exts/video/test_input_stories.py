"""Inputs that cannot slip past: the bot checks what it promises even when a request arrives
that Discord's client would not have sent (a forged payload, a Discord bug). Each refusal
says what is wrong, holds nothing, sends nothing to Atlas and downloads nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.jobs.orders import OPTION_MAX_CHARS, form_prompt_limit, prompt_limit
from tests.e2e.conftest import CHANNEL, GUILD, MEMBER, World, status_of
from tests.fake_discord import FakeInteraction, FakeMessage
from tests.images import png

VEO = "google/veo3.1-lite/text-to-video"  # takes 2,000 characters
GEMINI = "google/gemini-omni-flash/text-to-video-developer"  # takes 20,000


async def refusal(interaction: FakeInteraction) -> str:
    """The ephemeral answer of a refused command."""
    await interaction.wait_response()
    data = interaction.response_data or {}
    assert data.get("flags", 0) & 64, f"not ephemeral: {data}"
    return str(data["content"])


async def assert_nothing_happened(world: World) -> None:
    """Nothing reached Atlas, no attachment was downloaded, nothing is held or charged."""
    assert not [r for r in world.sim.requests if "/model/" in r.path], "Atlas was called"
    assert not world.discord.requests_to("GET", r"attachments/"), "an attachment was fetched"
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (0, 0)
    assert await world.bot.job_store.recent(MEMBER, GUILD) == []


def submitted_prompts(world: World) -> list[str]:
    return [r.json["prompt"] for r in world.sim.requests if r.path.endswith("/generateVideo")]


# -- prompt length: one limit, registered and enforced ----------------------------------------


async def test_the_commands_register_the_longest_prompt_a_model_takes(world: World) -> None:
    limit = prompt_limit(world.settings.catalogue)
    assert limit == OPTION_MAX_CHARS == 6000, "Gemini takes 20,000: Discord's 6,000 caps it"
    for name in ("video", "animate"):
        command = world.discord.command_for(name, GUILD)
        assert command is not None
        prompt = next(o for o in command["options"] if o["name"] == "prompt")
        assert prompt["max_length"] == limit, name


async def test_a_long_prompt_reaches_a_model_that_takes_it_whole(world: World) -> None:
    long_prompt = "a slow pan over a misty valley, " * 150  # 4,800 characters
    message = await world.final(await world.video(prompt=long_prompt, model=GEMINI))
    assert status_of(message).startswith("Done")
    assert submitted_prompts(world) == [long_prompt.strip()], "not cut to 2,000"


async def test_a_prompt_longer_than_the_model_takes_is_refused(world: World) -> None:
    text = await refusal(await world.video(prompt="x" * 2500, model=VEO))
    expected = "Your prompt has 2500 characters; this model takes at most 2000. "
    assert text == expected + "Shorten it and try again."
    await assert_nothing_happened(world)


async def test_a_forged_prompt_longer_than_the_command_takes_is_refused(world: World) -> None:
    interaction = await world.discord.invoke(
        "video",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"prompt": "y" * 6001, "model": GEMINI},
        forged=True,
    )
    text = await refusal(interaction)
    assert "6001 characters" in text
    assert "at most 6000" in text
    await assert_nothing_happened(world)


# -- control characters ---------------------------------------------------------------------


async def test_control_characters_are_stripped_before_atlas(world: World) -> None:
    prompt = "a fox\x00 in \x1b[1msnow\x07\r\nat night,\tslowly\x7f"
    message = await world.final(await world.video(prompt=prompt))
    assert status_of(message).startswith("Done")
    assert submitted_prompts(world) == ["a fox in [1msnow\nat night,\tslowly"]
    job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
    assert job.meta.prompt == "a fox in [1msnow\nat night,\tslowly", "stored as sent"


async def test_a_prompt_of_control_characters_only_is_refused_as_empty(world: World) -> None:
    text = await refusal(await world.video(prompt="\x00\x01\x1b\x7f"))
    assert text.startswith("Your prompt is empty.")
    await assert_nothing_happened(world)


# -- attachments, judged from their metadata ---------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"size": 0, "width": 256, "height": 256}, "`cat.png` is empty (0 bytes)."),
        ({"width": None, "height": None}, "`cat.png` could not be read as an image"),
        ({"width": 0, "height": 0}, "`cat.png` could not be read as an image"),
    ],
    ids=["zero-bytes", "no-dimensions", "zero-dimensions"],
)
async def test_an_attachment_refused_from_its_metadata_is_never_downloaded(
    world: World, metadata: dict[str, Any], expected: str
) -> None:
    image = world.discord.add_attachment(
        "cat.png", png(256, 256), content_type="image/png", **metadata
    )
    text = await refusal(await world.animate([image], prompt="the cat jumps"))
    assert text.startswith(expected), text
    await assert_nothing_happened(world)


async def test_an_attachment_missing_from_the_resolved_data_gets_a_clear_message(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    image = world.discord.add_attachment(
        "cat.png", png(256, 256), content_type="image/png", width=256, height=256
    )
    with caplog.at_level(logging.INFO):
        interaction = await world.discord.invoke(
            "animate",
            user_id=MEMBER,
            guild_id=GUILD,
            channel_id=CHANNEL,
            options={"image": image, "prompt": "the cat jumps"},
            unresolved=("image",),
        )
        text = await refusal(interaction)
    assert text == (
        "One of the attached images did not arrive with the command. "
        "Attach it again and run the command once more."
    )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    ]
    await assert_nothing_happened(world)


# -- a job its input made fail offers Edit prompt, not Re-roll -------------------------------


def custom_ids(message: FakeMessage) -> list[str]:
    return [i.rsplit(":", 1)[0] for i in message.custom_ids()]


async def test_a_prompt_atlas_refuses_as_bad_input_offers_edit_not_reroll(world: World) -> None:
    world.sim.fail_next("submit", 400)
    message = await world.final(await world.video(prompt="a lighthouse"))
    assert status_of(message).startswith("Failed")
    assert "job:edit" in custom_ids(message)
    assert "job:reroll" not in custom_ids(message)


async def test_a_prompt_moderation_rejects_offers_edit_not_reroll(world: World) -> None:
    world.sim.script_prompt("[forbidden]", outcome="reject")
    message = await world.final(await world.video(prompt="something [forbidden]"))
    assert "content moderation rejected" in status_of(message)
    assert "job:edit" in custom_ids(message)
    assert "job:reroll" not in custom_ids(message)


async def test_an_image_that_is_not_an_image_offers_edit_not_reroll(world: World) -> None:
    fake_png = world.discord.add_attachment(
        "notes.png", b"these are my notes" * 20, content_type="image/png", width=300, height=300
    )
    message = await world.final(await world.animate([fake_png], prompt="the notes fly away"))
    status = status_of(message)
    assert status.startswith("Failed: nothing was charged"), status
    assert "Run /animate again with another image." in status
    assert "job:edit" in custom_ids(message)
    assert "job:reroll" not in custom_ids(message)
    assert not [r for r in world.sim.requests if r.path.endswith("/generateVideo")]


async def test_a_failure_that_is_not_the_inputs_still_offers_reroll(world: World) -> None:
    world.sim.fail_next("submit", 402)
    message = await world.final(await world.video(prompt="a lighthouse"))
    assert "out of balance" in status_of(message)
    assert {"job:reroll", "job:edit"} <= set(custom_ids(message))


async def test_the_edit_prompt_form_takes_what_discord_allows_a_form(world: World) -> None:
    message = await world.final(await world.video(prompt="a red fox"))
    custom_id = next(c for c in message.custom_ids() if c.startswith("job:edit:"))
    opened = await world.discord.click(
        message.id, custom_id, user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL
    )
    await opened.wait_response()
    assert opened.response_type == 9, "a modal"
    modal = opened.response_data or {}
    [text_input] = [
        c for row in modal["components"] for c in row.get("components", [row.get("component")])
    ]
    assert text_input["max_length"] == form_prompt_limit(world.settings.catalogue) == 4000
