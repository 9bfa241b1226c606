"""First and last frame in /animate: a `last_image`, or a `loop` that ends on the first image,
offered and accepted only with the models that can end a video on a given image."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import CHANNEL, GUILD, MEMBER, World, status_of
from tests.fake_discord import FakeInteraction
from tests.images import png

SEEDANCE_I2V = "bytedance/seedance-2.0/image-to-video"  # one image, an optional last image
VEO_FRAMES = "google/veo3.1-lite/start-end-frame-to-video"  # first and last image, both needed
GEMINI_I2V = "google/gemini-omni-flash/image-to-video-developer"  # images only


def image(world: World, name: str) -> dict[str, Any]:
    return world.discord.add_attachment(
        name, png(256, 256), content_type="image/png", width=256, height=256
    )


def submits(world: World) -> list[dict[str, Any]]:
    return [r.json for r in world.sim.requests if r.path.endswith("/model/generateVideo")]


async def offered(world: World, option: str, **options: Any) -> list[object]:
    choices = await world.discord.autocomplete(
        "animate", option, user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL, options=options
    )
    return [choice["value"] for choice in choices]


async def refusal(interaction: FakeInteraction) -> str:
    await interaction.wait_response()
    if interaction.response_type == 4:
        return str((interaction.response_data or {}).get("content"))
    (sent,) = await interaction.wait_followups(1)
    return str(sent.content)


def fields(message: Any) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message.embeds[0].get("fields", [])}


async def test_a_last_image_picks_a_model_that_takes_one_and_is_sent_as_its_last_image(
    world: World,
) -> None:
    first, last = image(world, "start.png"), image(world, "end.png")
    interaction = await world.animate([first], prompt="a door opens", last_image=last)
    message = await world.final(interaction)

    assert status_of(message).startswith("Done"), status_of(message)
    (body,) = submits(world)
    # No model named: the default (Gemini) cannot end on an image, Seedance can.
    assert body["model"] == SEEDANCE_I2V
    uploads = world.sim.requests_to("/model/uploadMedia", "POST")
    assert len(uploads) == 2, "the first and the last image"
    assert body["image"] != body["last_image"]
    assert body["image"].startswith(world.sim.base_url.removesuffix("/api/v1"))
    assert body["last_image"].startswith(world.sim.base_url.removesuffix("/api/v1"))
    assert "images" not in body
    assert fields(message)["Ends on"] == "the last image given"
    (job,) = await world.bot.job_store.recent(MEMBER, GUILD)
    assert job.meta.last_image_url == body["last_image"]


async def test_a_loop_ends_on_the_first_image(world: World) -> None:
    interaction = await world.animate(
        [image(world, "cat.png")], prompt="the cat turns around", model=VEO_FRAMES, loop="yes"
    )
    message = await world.final(interaction)

    assert status_of(message).startswith("Done"), status_of(message)
    (body,) = submits(world)
    assert body["model"] == VEO_FRAMES
    assert body["image"] == body["last_image"], "the same uploaded image"
    assert "seed" not in body, "this model takes no seed"
    assert len(world.sim.requests_to("/model/uploadMedia", "POST")) == 1
    assert fields(message)["Ends on"] == "its first image (a loop)"
    # 8 s of Veo 3.1 Lite at USD 0.05 a second.
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (400_000, 0)


async def test_the_options_appear_only_for_models_that_can_end_on_an_image(world: World) -> None:
    # The loop is offered only when the chosen (or default) model can end on an image.
    assert await offered(world, "loop") == []  # the default, Gemini, cannot
    assert await offered(world, "loop", model=SEEDANCE_I2V) == ["yes"]
    assert await offered(world, "loop", model=GEMINI_I2V) == []
    # With a loop asked for, only the models that can do it are offered.
    assert await offered(world, "model", loop="yes") == [SEEDANCE_I2V, VEO_FRAMES]
    # Without, a model that needs a last image is not.
    assert GEMINI_I2V in await offered(world, "model")
    assert VEO_FRAMES not in await offered(world, "model")


async def test_a_model_that_cannot_end_on_an_image_is_refused_before_any_hold(
    world: World,
) -> None:
    text = await refusal(
        await world.animate(
            [image(world, "cat.png")], prompt="the cat turns", model=GEMINI_I2V, loop="yes"
        )
    )
    assert text == (
        "Gemini Omni Flash cannot end a video on a given image. Pick one that can "
        "(Seedance 2.0, Veo 3.1 Lite (first and last frame)), or leave out last_image and loop."
    )
    text = await refusal(
        await world.animate([image(world, "cat.png")], prompt="the cat turns", model=VEO_FRAMES)
    )
    assert text.startswith("Veo 3.1 Lite (first and last frame) makes a video from a first")
    text = await refusal(
        await world.animate([image(world, "cat.png")], prompt="x", loop="sometimes")
    )
    assert text.startswith("loop takes one value")
    assert not submits(world)
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (0, 0)
