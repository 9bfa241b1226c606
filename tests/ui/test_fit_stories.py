"""Stories of videos larger than where they go (issue #19): made to fit the destination's upload
limit, attached untouched when they fit, and a link (saying why) only when nothing fits.

End to end: the real bot, the fake Discord (which refuses an upload over the limit with 413 /
40005, as Discord does: the interaction's limit, the server's on channel posts, 10 MiB in a
DM), the simulator with realistic outputs (real H.264 + AAC at Atlas's bitrates, made once per
session) and the real encoder. Scaled down to stay quick on two cores: a 2 MiB limit and a
720p 8 s source (3 MB) take the same path as a 10 MiB server and a 4k clip.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.sim import AtlasSimulator
from bot.transcode import MediaInfo, decodes, faststart, find_encoder, probe
from tests.e2e.conftest import CHANNEL, GUILD, MEMBER, World, running_world, status_of
from tests.exts.settings.test_settings_stories import data, fields, settings
from tests.fake_discord import FakeFile, FakeMessage

MIB = 1024 * 1024
LIMIT = 2 * MIB
GEMINI = "google/gemini-omni-flash/text-to-video-developer"
SMALL = {"resolution": "720p", "duration": 8}
"""3 MB at Atlas's 3 Mbit/s: over the 2 MiB limit."""
FOUR_S = {"resolution": "720p", "duration": 4}
PRICE = 1_000_000  # 8 s at 720p: USD 0.20 + 8 x 0.10
GALLERY = 2002


@pytest.fixture
async def fit_world(tmp_path: Path, realistic_outputs: dict[str, Any]) -> AsyncIterator[World]:
    """A running bot whose Atlas serves realistic outputs."""
    async with running_world(tmp_path, sim_options=realistic_outputs) as world:
        yield world


def limit_server(world: World, limit: int) -> None:
    """The server's boost level lets the bot attach `limit` bytes (its interactions say so)."""
    world.discord.guilds[GUILD].upload_limit = limit


async def source_of(sim: AtlasSimulator, resolution: str, duration: int) -> bytes:
    """The bytes Atlas (the simulator) serves for such a video."""
    outputs = sim.realistic_outputs
    assert outputs is not None
    path = await outputs.path(outputs.spec_for(GEMINI, resolution, "16:9", duration))
    return path.read_bytes()


async def read_video(tmp_path: Path, file: FakeFile) -> tuple[MediaInfo, bool, bool]:
    """What the encoder reads of an attachment: its streams, whether its moov is in front
    and whether every frame decodes."""
    path = tmp_path / file.filename
    path.write_bytes(file.data)
    encoder = await find_encoder()
    return await probe(path, encoder), faststart(path), await decodes(path, encoder)


def statuses(message: FakeMessage) -> list[str]:
    """The Status field of each version of the job message, in order."""
    shown = []
    for body in message.edits:
        for embed in body.get("embeds") or []:
            shown += [f["value"] for f in embed.get("fields", []) if f["name"] == "Status"]
    return shown


async def spent(world: World) -> tuple[int, int]:
    summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
    return summary.spent, summary.held


async def info_of(world: World, message: FakeMessage) -> dict[str, str]:
    """The Info embed's fields, as the requester sees them."""
    pressed = await world.discord.click(
        message.id,
        next(c for c in message.custom_ids() if c.startswith("job:info:")),
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
    )
    await pressed.wait_response()
    return fields(data(pressed)["embeds"][0])


async def test_a_video_over_the_servers_limit_arrives_compressed_with_the_originals_link(
    fit_world: World, tmp_path: Path
) -> None:
    world = fit_world
    limit_server(world, LIMIT)
    interaction = await world.video(prompt="a harbour at dawn", **SMALL)
    message = await world.final(interaction, timeout=60)

    assert status_of(message).startswith("Done")
    [video] = message.attachments
    assert video.size <= LIMIT
    info, moov_first, clean = await read_video(tmp_path, video)
    assert (info.video_codec, info.pix_fmt, info.audio_codec) == ("h264", "yuv420p", "aac")
    assert info.duration == pytest.approx(8.0, abs=0.2)
    assert moov_first, "it plays inline in every Discord client"
    assert clean
    original = await source_of(world.sim, "720p", 8)
    assert len(original) > LIMIT
    content = message.content or ""
    size = f"{len(original) / MIB:.1f} MB"
    resolution = f"{min(info.width, info.height)}p"
    assert content.startswith(
        f"{resolution}, compressed to fit this server's 2 MB limit. The original ({size}): "
        "[download it](http://127.0.0.1:"
    ), content
    assert re.search(r"kept by Atlas until <t:\d+:f>\.$", content), "the link's expiry"
    assert "Compressing for Discord" in statuses(message), "the member saw it being compressed"
    assert await spent(world) == (PRICE, 0)

    shown = await info_of(world, message)
    attached = f"{video.size / MIB:.1f} MB".replace(".0 MB", " MB")
    assert shown["Video file"] == (
        f"Atlas's original: {size}\n"
        f"Attached: {attached}, {info.width}x{info.height}, "
        "compressed to fit this server's 2 MB limit"
    )


async def test_a_server_with_a_100_mb_limit_gets_the_original_bytes(fit_world: World) -> None:
    world = fit_world
    limit_server(world, 100 * MIB)
    message = await world.final(await world.video(prompt="a harbour at noon", **SMALL), 60)

    [video] = message.attachments
    assert video.data == await source_of(world.sim, "720p", 8), "byte for byte the original"
    assert message.content is None, "nothing to explain"
    assert "Compressing for Discord" not in statuses(message)
    assert (await info_of(world, message))["Video file"].endswith("\nAttached as it is")


@pytest.mark.parametrize("over", [True, False], ids=["just-over", "just-under"])
async def test_a_1080p_video_near_the_limit(
    fit_world: World, caplog: pytest.LogCaptureFixture, over: bool
) -> None:
    """Just over the limit: transcoded once, still 1080p, and it fits. Just under: never
    touched. (8 s, as a real one: on a clip of a few seconds the rate control's one-second
    buffer is a large share of the file, and a first attempt may come out over.)"""
    world = fit_world
    original = await source_of(world.sim, "1080p", 8)  # the default /video: about 8 MB
    limit = len(original) - 40_000 if over else len(original)
    limit_server(world, limit)
    with caplog.at_level(logging.INFO, logger="bot.jobs.service"):
        interaction = await world.video(prompt="a city at night", resolution="1080p", duration=8)
        message = await world.final(interaction, timeout=60)

    [video] = message.attachments
    fitted = [r.getMessage() for r in caplog.records if r.getMessage().startswith("video fitted")]
    if not over:
        assert video.data == original
        assert fitted == []
        return
    assert video.size <= limit
    assert video.data != original
    [line] = fitted
    assert "at 1920x1080" in line, line
    assert line.endswith("(1 attempt)"), line
    assert (message.content or "").startswith("1080p, compressed to fit this server's")


async def test_a_dm_fits_its_own_10_mib_while_the_server_takes_the_original(
    tmp_path: Path, realistic_outputs: dict[str, Any]
) -> None:
    """A boosted server (100 MiB) attaches the 12.5 MB video as it is; a member who gets
    videos by DM gets a rendition under a DM's 10 MiB."""
    heavy = {**realistic_outputs, "output_bitrates": {"*": {"720p": 25.0}}}
    async with running_world(tmp_path, sim_options=heavy) as world:
        limit_server(world, 100 * MIB)
        here = await world.final(await world.video(prompt="rain", **FOUR_S), 60)
        [video] = here.attachments
        assert video.size > 10 * MIB, "the server takes the original"

        answer = await settings(world, "delivery", mode="dm")
        assert data(answer)["content"] == "Saved."
        message = await world.final(await world.video(prompt="snow", **FOUR_S), 60)
        assert message.content == "Your video was sent to you by direct message."
        dm = world.discord.dm_channels[MEMBER].id
        [post] = [m for m in world.discord.messages.values() if m.channel_id == dm]
        [sent] = post.attachments
        assert sent.size <= 10 * MIB
        assert "compressed to fit the 10 MB limit of direct messages" in (post.content or "")


async def test_the_gallery_gets_a_rendition_under_the_servers_limit(fit_world: World) -> None:
    world = fit_world
    limit_server(world, LIMIT)  # the fake refuses a larger post in the gallery too
    world.discord.add_channel(GUILD, GALLERY, name="gallery")
    answer = await settings(world, "delivery", mode="gallery", gallery=GALLERY)
    assert data(answer)["content"] == "Saved."

    message = await world.final(await world.video(prompt="a kite", **SMALL), 60)
    [post] = [m for m in world.discord.messages.values() if m.channel_id == GALLERY]
    [video] = post.attachments
    assert video.size <= LIMIT
    assert "compressed to fit this server's 2 MB limit" in (post.content or "")
    assert message.attachments == []
    refused = [r for r in world.discord.requests if r.status == 413]
    assert refused == [], "nothing too large was ever sent"


async def test_an_output_the_encoder_cannot_read_ends_with_the_link(fit_world: World) -> None:
    world = fit_world
    limit_server(world, LIMIT)
    world.sim.script_prompt("[broken]", damaged=True, output_bytes=3_000_000)
    message = await world.final(await world.video(prompt="a [broken] reel", **SMALL), 60)

    assert status_of(message).startswith("Done")
    assert message.attachments == []
    content = message.content or ""
    assert content.startswith(
        "The video (2.9 MB) is over this server's 2 MB limit, and the bot could not read it "
        "to compress it: [download it](http://127.0.0.1:"
    ), content
    assert "It is charged all the same: Atlas made the video and billed it." in content
    assert await spent(world) == (PRICE, 0), "Atlas billed it"


async def test_without_an_encoder_a_large_video_is_a_link_and_the_start_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = {"encoder_path": str(tmp_path / "no-such-ffmpeg")}
    with caplog.at_level(logging.WARNING):
        async with running_world(tmp_path, delivery=missing) as world:
            warned = [r for r in caplog.records if "no video encoder" in r.getMessage()]
            assert [r.levelno for r in warned] == [logging.WARNING]
            world.sim.script_prompt("[big]", output_bytes=3_000_000)
            limit_server(world, LIMIT)
            message = await world.final(await world.video(prompt="a [big] moon"))

    assert message.attachments == []
    assert (message.content or "").startswith(
        "The video is over this server's 2 MB limit, and this bot cannot compress videos "
        "(it has no encoder): [download it](http://127.0.0.1:"
    )
    downloads = world.sim.requests_to(".mp4", "GET")
    assert len(downloads) == 1, "the download stopped at the limit: nothing more to fetch"
