"""The prompt helper: Improve prompt asks Atlas's chat model for a richer prompt, shows it
privately with Use, Edit and Dismiss, and charges its tokens to the member's budget: the most
they can cost is held first, what Atlas counted is captured."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.atlas import ChatMessage
from bot.catalogue import ModelKind, token_price
from bot.jobs.prompt_help import instructions, token_bound
from bot.jobs.record import JobRecord, JobState
from bot.money import format_usd, usd
from bot.sim.chat import count_tokens, default_reply
from tests.e2e.conftest import ADMIN, CHANNEL, GUILD, MEMBER, World, running_world, status_of
from tests.fake_discord import FakeInteraction, FakeMessage

HELPER = "qwen/qwen3-8b"
ONE_VIDEO = 1_000_000
PROMPT = "a paper boat on a pond"


async def delivered(world: World, prompt: str = PROMPT) -> FakeMessage:
    message = await world.final(await world.video(prompt=prompt))
    assert status_of(message).startswith("Done")
    return message


async def improve(world: World, message: FakeMessage, locale: str = "en-US") -> FakeInteraction:
    custom_id = next(c for c in message.custom_ids() if c.startswith("job:improve:"))
    return await world.discord.click(
        message.id, custom_id, user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL, locale=locale
    )


async def answer_of(interaction: FakeInteraction) -> FakeMessage:
    """The private message the member got after "thinking..."."""
    await interaction.wait_response()
    assert interaction.response_type == 5, "deferred: the answer takes a few seconds"
    assert interaction.message is not None
    assert interaction.message.ephemeral
    (sent,) = await interaction.wait_followups(1)
    assert sent.ephemeral
    return sent


async def helper_jobs(world: World) -> list[JobRecord]:
    for _ in range(200):
        found = [j for j in await world.bot.job_store.recent(MEMBER, GUILD) if j.model == HELPER]
        if all(j.state.is_terminal for j in found):
            return found
        await asyncio.sleep(0.01)
    return found


async def money(world: World) -> tuple[int, int]:
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    return summary.spent, summary.held


async def test_improve_prompt_is_charged_by_its_tokens_and_used(world: World) -> None:
    message = await delivered(world)
    shown = await answer_of(await improve(world, message))

    (chat,) = world.sim.chats
    request, answer = chat["request"], chat["answer"]
    assert request["model"] == HELPER
    assert request["max_tokens"] == 600
    system, user = request["messages"]
    assert system["role"] == "system"
    assert system["content"].endswith("Write it in English.")
    assert user == {"role": "user", "content": PROMPT}
    text = answer["choices"][0]["message"]["content"]
    assert text.startswith("a paper boat on a pond. Cinematic wide shot")
    embed = shown.embeds[0]
    assert (embed["title"], embed["description"]) == ("Improved prompt", text)

    # Held: every token the prompt can be and 600 of answer; charged: what Atlas counted.
    usage = answer["usage"]
    price = token_price(usage["prompt_tokens"], usd("0.04")) + token_price(
        usage["completion_tokens"], usd("0.12")
    )
    messages = [ChatMessage(**m) for m in request["messages"]]
    bound = token_price(token_bound(messages), usd("0.04")) + token_price(600, usd("0.12"))
    assert 0 < price < bound
    (job,) = await helper_jobs(world)
    assert (job.state, job.quote, job.actual_price) == (JobState.DELIVERED, bound, price)
    assert job.meta.answer == text
    assert job.meta.tokens == (usage["prompt_tokens"], usage["completion_tokens"])
    assert job.message_id is None, "shown privately, never as a job message"
    cost = {f["name"]: f["value"] for f in embed["fields"]}["Cost"]
    assert cost == (
        f"{format_usd(price)} for {usage['prompt_tokens']} + {usage['completion_tokens']} "
        f"tokens (at most {format_usd(bound)} was held)"
    )
    assert await money(world) == (ONE_VIDEO + price, 0)
    assert [c.split(":")[1] for c in shown.custom_ids()] == ["use", "edit", "dismiss"]

    # Use: the video again with the better prompt, through the budget.
    use = next(c for c in shown.custom_ids() if c.startswith("help:use:"))
    again = await world.discord.click(
        shown.id, use, user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL
    )
    made = await world.final(again)
    assert status_of(made).startswith("Done")
    first, second = [r.json for r in world.sim.requests if r.path.endswith("/generateVideo")]
    assert second["prompt"] == text
    assert second["seed"] == first["seed"], "only the words change, as with Edit prompt"


async def test_edit_and_dismiss_an_improved_prompt(world: World) -> None:
    message = await delivered(world)
    shown = await answer_of(await improve(world, message))
    text = shown.embeds[0]["description"]

    edit = next(c for c in shown.custom_ids() if c.startswith("help:edit:"))
    opened = await world.discord.click(
        shown.id, edit, user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL
    )
    await opened.wait_response()
    assert opened.response_type == 9, "the Edit prompt form"
    modal = opened.response_data or {}
    (field,) = [c for row in modal["components"] for c in row.get("components", [])]
    assert field["value"] == text, "filled with the improved prompt"

    dismiss = next(c for c in shown.custom_ids() if c.startswith("help:dismiss:"))
    await world.discord.click(shown.id, dismiss, user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL)
    await world.discord.wait_until(lambda: shown.deleted, 5, "the answer to be removed")


async def test_refused_when_the_budget_cannot_hold_the_most_it_can_cost(tmp_path: Path) -> None:
    # USD 0.00005 left after one video: more than the answer will cost, less than the most it
    # can cost (every prompt token and 600 of answer): refused, nothing asked of Atlas.
    async with running_world(tmp_path, default_user_limit_usd="1.00005") as world:
        message = await delivered(world)
        shown = await answer_of(await improve(world, message))

        messages = [
            ChatMessage(role="system", content=instructions(ModelKind.TEXT_TO_VIDEO, "en-US")),
            ChatMessage(role="user", content=PROMPT),
        ]
        bound = token_price(token_bound(messages), usd("0.04")) + token_price(600, usd("0.12"))
        # What the simulator's answer would have cost: it would have fit.
        reply = default_reply([m.model_dump() for m in messages])
        prompt_tokens = sum(count_tokens(m.content) + 4 for m in messages)
        would_cost = token_price(prompt_tokens, usd("0.04")) + token_price(
            count_tokens(reply), usd("0.12")
        )
        assert would_cost < 50 < bound
        assert shown.content is not None
        assert shown.content.startswith(f"Improving this prompt holds up to {format_usd(bound)}")
        assert "but you have USD 0.00005 left until <t:" in shown.content
        assert shown.content.endswith("Nothing was held.")
        assert world.sim.chats == [], "Atlas was never asked"
        assert await helper_jobs(world) == []
        assert await money(world) == (ONE_VIDEO, 0)


async def test_an_admin_turns_the_helper_off(world: World) -> None:
    message = await delivered(world)
    changed = await world.discord.invoke(
        "settings",
        subcommand="prompt-helper",
        user_id=ADMIN,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"enabled": False},
    )
    await changed.wait_response()
    shown_settings: Any = changed.response_data or {}
    lines = {f["name"]: f["value"] for f in shown_settings["embeds"][0]["fields"]}
    assert lines["Prompt helper"] == "Off"

    shown = await answer_of(await improve(world, message))
    assert shown.content == "The prompt helper is turned off on this server."
    assert world.sim.chats == []
    assert await money(world) == (ONE_VIDEO, 0)
