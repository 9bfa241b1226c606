"""Stories of a cheaper way: a member over budget is offered the cheapest video that still fits,
as a button that makes it, through the budget like any job."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import CHANNEL, GUILD, MEMBER, OTHER_MEMBER, World, running_world, status_of
from tests.exts.settings.test_settings_stories import data
from tests.fake_discord import FakeInteraction, FakeMessage


def offer_button(message: FakeMessage) -> dict[str, object]:
    """The refusal's offer button."""
    return next(
        c
        for row in message.components
        for c in row.get("components", [])
        if str(c.get("custom_id", "")).startswith("offer:")
    )


async def press(world: World, message: FakeMessage, user_id: int) -> FakeInteraction:
    """`user_id` presses the offer button on the ephemeral refusal."""
    pressed = await world.discord.click(
        message.id,
        str(offer_button(message)["custom_id"]),
        user_id=user_id,
        guild_id=GUILD,
        channel_id=CHANNEL,
    )
    await pressed.wait_response()
    return pressed


async def test_the_refusal_offers_what_fits_and_its_button_makes_it(tmp_path: Path) -> None:
    async with running_world(tmp_path, default_user_limit_usd="0.70") as world:
        refused = await world.video(prompt="a castle at dawn", seed=5)
        await refused.wait_response()
        text = data(refused)["content"]
        assert data(refused)["flags"] & 64, "only the member sees it"
        assert "This video costs USD 1.00, but you have USD 0.70 left" in text
        assert text.endswith(
            "4 s at 1080p costs USD 0.60 and fits. Press the button to make that instead."
        )
        assert refused.message is not None
        assert offer_button(refused.message)["label"] == "Make it for USD 0.60"
        assert not [r for r in world.sim.requests if "/model/" in r.path], "nothing ran yet"

        stranger = await press(world, refused.message, OTHER_MEMBER)
        assert "This offer is for the member who asked" in data(stranger)["content"]

        pressed = await press(world, refused.message, MEMBER)
        assert pressed.response_type == 4, "a public job message, like /video's"
        message = await world.final(pressed)
        assert status_of(message).startswith("Done")
        body = next(r.json for r in world.sim.requests if r.path.endswith("/generateVideo"))
        assert (body["duration"], body["resolution"], body["aspect_ratio"]) == (4, "1080p", "16:9")
        assert (body["prompt"], body["seed"]) == ("a castle at dawn", 5)
        summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
        assert (summary.spent, summary.held, summary.remaining) == (600_000, 0, 100_000)

        again = await press(world, refused.message, MEMBER)
        assert "already used or has expired" in data(again)["content"]
        assert world.sim.submits_by_prompt["a castle at dawn"] == 1


async def test_another_model_is_offered_only_when_none_of_the_asked_one_fits(
    tmp_path: Path,
) -> None:
    async with running_world(tmp_path, default_user_limit_usd="0.30") as world:
        refused = await world.video(prompt="a snail race")
        await refused.wait_response()
        assert data(refused)["content"].endswith(
            "Veo 3.1 Lite, 4 s at 1080p, costs USD 0.20 and fits. "
            "Press the button to make that instead."
        )
        assert refused.message is not None
        message = await world.final(await press(world, refused.message, MEMBER))
        assert status_of(message).startswith("Done")
        body = next(r.json for r in world.sim.requests if r.path.endswith("/generateVideo"))
        assert body["model"] == "google/veo3.1-lite/text-to-video"


async def test_no_offer_when_nothing_fits_or_the_limit_is_not_money(tmp_path: Path) -> None:
    async with running_world(tmp_path, default_user_limit_usd="0.10") as world:
        refused = await world.video(prompt="a comet")
        await refused.wait_response()
        assert "fits" not in data(refused)["content"]
        assert not data(refused).get("components"), "no button without an offer"
