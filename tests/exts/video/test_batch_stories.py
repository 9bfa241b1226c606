"""Batches: `count` videos from one command, quoted as one total, held all together or not at
all, each delivered in its own message as it finishes and charged on its own."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import GUILD, MEMBER, World, is_final, running_world, status_of
from tests.exts.settings.test_settings_stories import data
from tests.exts.video.test_offer_stories import offer_button, press
from tests.fake_discord import FakeInteraction, FakeMessage


async def _finals(interaction: FakeInteraction, count: int) -> list[FakeMessage]:
    """The batch's messages (the reply, then one follow-up per further video), once ended."""
    first = await interaction.wait_message(is_final, timeout=20)
    followups = await interaction.wait_followups(count - 1)
    for message in followups:
        await interaction._wait(lambda m=message: is_final(m), 20, "a batch video to end")
    return [first, *followups]


async def test_a_batch_makes_each_video_in_its_own_message_with_its_own_seed(world: World) -> None:
    asked = await world.video(prompt="paper boats on a pond", seed=40, count=3)
    messages = await _finals(asked, 3)

    assert all(status_of(m).startswith("Done") for m in messages)
    assert all(len(m.attachments) == 1 for m in messages), "each video attached to its own"
    batches = [
        next(f["value"] for f in m.embeds[0]["fields"] if f["name"] == "Batch") for m in messages
    ]
    assert batches == ["1 of 3", "2 of 3", "3 of 3"]
    seeds = sorted(r.json["seed"] for r in world.sim.requests_to("/model/generateVideo"))
    assert seeds == [40, 41, 42]
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    assert (summary.spent, summary.held) == (3_000_000, 0), "each charged on its own"


async def test_a_batch_the_budget_cannot_hold_whole_holds_nothing_and_offers_what_fits(
    tmp_path: Path,
) -> None:
    async with running_world(tmp_path, default_user_limit_usd="3.50") as world:
        refused = await world.video(prompt="a dragon kite", count=4)
        await refused.wait_response()
        text = data(refused)["content"]
        assert text.startswith("These 4 videos cost USD 4.00 in all, more than is left (USD 3.50")
        assert text.endswith(
            "3 of them (USD 3.00 in all) fit. Press the button to make those instead."
        )
        assert not world.sim.requests_to("/model/generateVideo"), "nothing ran"
        summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
        assert (summary.spent, summary.held) == (0, 0), "nothing held"
        assert refused.message is not None
        assert str(offer_button(refused.message)["custom_id"]).startswith("offer:")

        pressed = await press(world, refused.message, MEMBER)
        messages = await _finals(pressed, 3)
        assert [status_of(m).split(" ")[0] for m in messages] == ["Done"] * 3
        summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
        assert (summary.spent, summary.held) == (3_000_000, 0)


async def test_a_server_can_cap_the_count(world: World) -> None:
    await world.bot.server_settings.set(GUILD, by=MEMBER, max_count=2)
    refused = await world.video(prompt="too many", count=3)
    await refused.wait_response()
    assert data(refused)["content"] == "You can make 1 to 2 videos at once on this server."
    assert not world.sim.requests_to("/model/generateVideo")
