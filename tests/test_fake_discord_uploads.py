"""The fake Discord's upload limits, as Discord's (../shared/DISCORD-FACTS.md): a file over the
limit is refused with 413 / 40005 on every route that carries one. A server's limit follows its
boost level (10 MiB without boosts; its interactions say it, see tests/ui/test_fit_stories.py);
a DM takes 10 MiB."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.fake_discord import FakeDiscord
from tests.test_fake_discord_limits import CHANNEL, GUILD, MEMBER, started

MIB = 1024 * 1024


async def post_file(fake: FakeDiscord, path: str, size: int, method: str = "POST") -> Any:
    """Send one file of `size` bytes as discord.py does (multipart, `payload_json`)."""
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps({"content": "a clip"}))
    form.add_field("files[0]", bytes(size), filename="clip.mp4", content_type="video/mp4")
    headers = {"Authorization": f"Bot {fake.bot_token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, fake.api_base + path, data=form, headers=headers) as response,
    ):
        return response.status, await response.json()


async def open_dm(fake: FakeDiscord) -> int:
    headers = {"Authorization": f"Bot {fake.bot_token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            fake.api_base + "/users/@me/channels",
            json={"recipient_id": str(MEMBER)},
            headers=headers,
        ) as response,
    ):
        return int((await response.json())["id"])


TOO_LARGE = (413, {"code": 40005, "message": "Request entity too large"})


async def test_a_channel_post_over_the_servers_limit_is_refused() -> None:
    async with started() as fake:
        fake.guilds[GUILD].upload_limit = 2 * MIB
        status, _ = await post_file(fake, f"/channels/{CHANNEL}/messages", 2 * MIB)
        assert status == 200, "exactly the limit is allowed"
        status, body = await post_file(fake, f"/channels/{CHANNEL}/messages", 2 * MIB + 1)
        assert (status, body) == TOO_LARGE


async def test_a_boosted_server_takes_more_in_posts_and_edits() -> None:
    async with FakeDiscord() as fake:
        fake.add_guild(GUILD, upload_limit=100 * MIB)
        fake.add_channel(GUILD, CHANNEL)
        fake.add_member(GUILD, MEMBER, name="mia")
        status, posted = await post_file(fake, f"/channels/{CHANNEL}/messages", 50 * MIB)
        assert status == 200
        message = f"/channels/{CHANNEL}/messages/{posted['id']}"
        status, _ = await post_file(fake, message, 100 * MIB, method="PATCH")
        assert status == 200
        status, body = await post_file(fake, message, 100 * MIB + 1, method="PATCH")
        assert (status, body) == TOO_LARGE, "an edit that attaches a file is limited too"


async def test_a_dm_takes_10_mib_whatever_the_server() -> None:
    async with started() as fake:
        fake.guilds[GUILD].upload_limit = 100 * MIB
        dm = await open_dm(fake)
        status, _ = await post_file(fake, f"/channels/{dm}/messages", 10 * MIB)
        assert status == 200
        status, body = await post_file(fake, f"/channels/{dm}/messages", 10 * MIB + 1)
        assert (status, body) == TOO_LARGE
