"""Stories of the Copy command button: a finished video shows the exact slash command that makes
it again; run as shown, it sends Atlas the very same request."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import CHANNEL, GUILD, MEMBER, OTHER_MEMBER, World, status_of
from tests.exts.settings.test_settings_stories import click, data, generate_requests
from tests.images import png

OPTION = re.compile(r" (prompt|duration|aspect_ratio|resolution|seed|model):")


def parse(line: str) -> tuple[str, dict[str, Any]]:
    """A typed slash command as Discord's client reads it: the name, then `option:value`s."""
    name, *rest = OPTION.split(line)
    options: dict[str, Any] = {}
    for option, value in zip(rest[::2], rest[1::2], strict=True):
        options[option] = int(value) if option in ("duration", "seed") else value
    return name.removeprefix("/"), options


def the_line(content: str) -> str:
    """The command inside the answer's code block."""
    match = re.search(r"```\n(.*)\n```", content)
    assert match is not None, content
    return match.group(1)


async def test_copy_command_shows_the_line_that_makes_the_same_video(world: World) -> None:
    first = await world.final(
        await world.video(prompt="a red fox\nrunning through snow", resolution="720p")
    )
    assert "job:copy:" in " ".join(first.custom_ids()), "on a delivered video"
    shown = await click(world, first, "job:copy:", OTHER_MEMBER)
    assert data(shown)["flags"] & 64, "only the member who asked sees it"
    assert data(shown)["content"].startswith("Run this to make the same video again:\n```")
    line = the_line(data(shown)["content"])
    seed = generate_requests(world)[0]["seed"]
    assert line == (
        "/video prompt:a red fox running through snow duration:8 aspect_ratio:16:9 "
        f"resolution:720p seed:{seed} model:google/gemini-omni-flash/text-to-video-developer"
    )

    name, options = parse(line)
    again = await world.discord.invoke(
        name, user_id=OTHER_MEMBER, guild_id=GUILD, channel_id=CHANNEL, options=options
    )
    assert status_of(await world.final(again)).startswith("Done")
    original, copied = generate_requests(world)
    assert copied == {**original, "prompt": "a red fox running through snow"}


async def test_copy_command_of_an_animation_asks_for_the_same_images(world: World) -> None:
    image = world.discord.add_attachment(
        "cat.png", png(), content_type="image/png", width=256, height=256
    )
    message = await world.final(await world.animate([image], prompt="cat jumps", seed=3))
    shown = await click(world, message, "job:copy:", MEMBER)
    content = data(shown)["content"]
    assert "Attach the same 1 image(s) to the image options." in content
    assert the_line(content).startswith("/animate prompt:cat jumps duration:8 ")
    assert " seed:3 " in the_line(content)


async def test_no_copy_command_on_a_failed_video(world: World) -> None:
    world.sim.script_prompt("[forbidden]", outcome="reject")
    message = await world.final(await world.video(prompt="something [forbidden]"))
    assert status_of(message).startswith("Failed")
    assert not [c for c in message.custom_ids() if c.startswith("job:copy:")]
    # A prompt moderation rejected: Edit prompt, not Re-roll (the same prompt fails again).
    assert any(c.startswith("job:edit:") for c in message.custom_ids())
