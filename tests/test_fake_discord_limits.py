"""The fake Discord's rate limits: buckets, the global limit, invalid requests, what it recorded.

Raw aiohttp requests show the headers and the 429s on a clock the test moves by hand; real
discord.py clients show that the headers make discord.py wait (and retry) as Discord's do.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

from tests.fake_discord import FakeDiscord, FakeInteraction, ManualClock, RouteLimit
from tests.fake_discord.fixtures import discord_py_pointed_at
from tests.fake_discord.interactions import new_interaction

GUILD, CHANNEL, OTHER_CHANNEL = (
    111_000_000_000_000_001,
    111_000_000_000_000_002,
    111_000_000_000_000_003,
)
MEMBER = 222_000_000_000_000_001
SEND = "POST /channels/{channel_id}/messages"
EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"


@asynccontextmanager
async def started(**kw: Any) -> AsyncIterator[FakeDiscord]:
    """A running fake with one guild, two channels and a member."""
    async with FakeDiscord(**kw) as fake:
        fake.add_guild(GUILD)
        fake.add_channel(GUILD, CHANNEL)
        fake.add_channel(GUILD, OTHER_CHANNEL, name="other")
        fake.add_member(GUILD, MEMBER, name="mia")
        yield fake


class Raw:
    """Plain HTTP to the fake, as the bot's token (or none, as discord.py sends interactions)."""

    def __init__(self, fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
        self.fake, self.http = fake, http

    async def call(
        self, method: str, path: str, *, json: Any = None, auth: str | None = "bot"
    ) -> tuple[int, Any, dict[str, str]]:
        headers = {} if auth is None else {"Authorization": f"Bot {self.fake.bot_token}"}
        if auth not in (None, "bot"):
            headers["Authorization"] = auth
        url = self.fake.api_base + path
        async with self.http.request(method, url, json=json, headers=headers) as response:
            body = await response.json() if response.content_length else None
            return response.status, body, dict(response.headers)

    async def send(self, channel_id: int = CHANNEL) -> tuple[int, Any, dict[str, str]]:
        return await self.call("POST", f"/channels/{channel_id}/messages", json={"content": "hi"})


@asynccontextmanager
async def raw(fake: FakeDiscord) -> AsyncIterator[Raw]:
    async with aiohttp.ClientSession() as http:
        yield Raw(fake, http)


def interaction(fake: FakeDiscord) -> FakeInteraction:
    """A member's slash command the bot can answer (the gateway is not needed for raw calls)."""
    data = {"id": "1", "name": "video", "type": 1}
    it = new_interaction(fake, 2, data, MEMBER, GUILD, CHANNEL, "en-US", 10 * 1024 * 1024, None)
    fake.interactions[it.id] = it
    return it


# -- headers and route buckets ------------------------------------------------------------------


async def test_every_answer_carries_its_bucket_headers() -> None:
    async with started(limits_clock=ManualClock(0)) as fake, raw(fake) as api:
        before = time.time()
        status, _, headers = await api.send()
        assert status == 200
        assert headers["X-RateLimit-Limit"] == "5"
        assert headers["X-RateLimit-Remaining"] == "4"
        assert headers["X-RateLimit-Reset-After"] == "5.000"
        assert before + 4.999 <= float(headers["X-RateLimit-Reset"]) <= time.time() + 5.001
        assert headers["X-RateLimit-Bucket"] == "channel-message-create"

        status, _, headers = await api.call("GET", "/users/@me")
        assert status == 200
        assert (
            headers["X-RateLimit-Bucket"] == "GET /users/@me"
        )  # a route Discord's figure is not known for
        assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"]) == ("50", "49")

        status, _, headers = await api.call("GET", f"/channels/{CHANNEL}/messages/1")
        assert status == 404
        assert "X-RateLimit-Remaining" in headers, "errors carry them too"
        assert "X-RateLimit-Scope" not in headers, "only a 429 has a scope"


async def test_a_channel_bucket_refuses_the_sixth_message_until_its_window_ends() -> None:
    clock = ManualClock(0)
    async with started(limits_clock=clock) as fake, raw(fake) as api:
        remaining = [(await api.send())[2]["X-RateLimit-Remaining"] for _ in range(5)]
        assert remaining == ["4", "3", "2", "1", "0"]

        clock.advance(2)
        status, body, headers = await api.send()
        assert status == 429
        assert body == {
            "message": "You are being rate limited.",
            "retry_after": 3.0,
            "global": False,
        }
        assert headers["X-RateLimit-Scope"] == "user"
        assert (headers["X-RateLimit-Remaining"], headers["X-RateLimit-Reset-After"]) == (
            "0",
            "3.000",
        )
        assert headers["X-RateLimit-Bucket"] == "channel-message-create"
        assert headers["Retry-After"] == "3"
        assert "X-RateLimit-Global" not in headers

        clock.advance(3)
        status, _, headers = await api.send()
        assert status == 200, "a new window"
        assert headers["X-RateLimit-Remaining"] == "4"

        [hit] = fake.rate_limited
        assert (hit.route, hit.bucket, hit.scope) == (
            SEND,
            f"channel-message-create channel:{CHANNEL}",
            "user",
        )
        assert (hit.at, hit.retry_after, hit.scripted) == (2, 3.0, False)
        sends = fake.requests_to("POST", rf"^/channels/{CHANNEL}/messages$")
        assert [r.status for r in sends] == [200] * 5 + [429, 200]
        assert len(fake.messages) == 6, "the refused message was not sent"
        assert fake.exhausted_by_route() == {SEND: 1}, "the fifth send emptied the bucket"


async def test_each_channel_and_each_route_counts_apart() -> None:
    async with started(limits_clock=ManualClock(0)) as fake, raw(fake) as api:
        for _ in range(5):
            await api.send(CHANNEL)
        assert (await api.send(CHANNEL))[0] == 429
        assert (await api.send(OTHER_CHANNEL))[0] == 200, "another channel, another bucket"
        message_id = next(iter(fake.messages))
        edited, _, headers = await api.call(
            "PATCH", f"/channels/{CHANNEL}/messages/{message_id}", json={"content": "edited"}
        )
        assert edited == 200, "an edit is not a send"
        assert headers["X-RateLimit-Bucket"] == "channel-message-edit"
        assert fake.calls_by_route() == {SEND: 7, EDIT: 1}


async def test_routes_naming_one_bucket_share_its_count() -> None:
    shared = RouteLimit(2, 1.0, "channel-messages")
    async with (
        started(limits_clock=ManualClock(0), route_limits={SEND: shared, EDIT: shared}) as fake,
        raw(fake) as api,
    ):
        await api.send()
        message_id = next(iter(fake.messages))
        path = f"/channels/{CHANNEL}/messages/{message_id}"
        assert (await api.call("PATCH", path, json={"content": "a"}))[0] == 200
        assert (await api.call("PATCH", path, json={"content": "b"}))[0] == 429
        assert (await api.send(OTHER_CHANNEL))[0] == 200


async def test_a_compressed_test_clock_compresses_every_window_alike() -> None:
    clock = ManualClock(0)
    async with started(limits_clock=clock, window_scale=0.1) as fake, raw(fake) as api:
        assert (await api.send())[2]["X-RateLimit-Reset-After"] == "0.500", "5 s at a tenth"
        for _ in range(4):
            await api.send()
        clock.advance(0.2)
        status, body, _ = await api.send()
        assert (status, body["retry_after"]) == (429, 0.3)
        clock.advance(0.3)
        assert (await api.send())[0] == 200
        for i in range(49):
            await api.call("GET", f"/channels/{CHANNEL + i}")
        assert (await api.call("GET", "/users/@me"))[0] == 429, "50 per 0.1 s"
        clock.advance(0.1)
        assert (await api.call("GET", "/users/@me"))[0] == 200


async def test_each_interaction_token_has_its_own_webhook_bucket() -> None:
    async with started(limits_clock=ManualClock(0)) as fake, raw(fake) as api:
        first, second = interaction(fake), interaction(fake)
        for it in (first, second):
            path = f"/interactions/{it.id}/{it.token}/callback"
            assert (await api.call("POST", path, json={"type": 5}, auth=None))[0] == 204
        hook = f"/webhooks/{fake.application_id}/{first.token}"
        statuses = [
            (await api.call("POST", hook, json={"content": f"{n}"}, auth=None))[0] for n in range(3)
        ]
        original = f"{hook}/messages/@original"
        for n in range(3):
            statuses.append(
                (await api.call("PATCH", original, json={"content": f"{n}"}, auth=None))[0]
            )
        assert statuses == [204, 204, 204, 200, 200, 429], "5 per token, every verb"
        other = f"/webhooks/{fake.application_id}/{second.token}"
        assert (await api.call("POST", other, json={"content": "mine"}, auth=None))[0] == 204
        [hit] = fake.rate_limited
        assert hit.bucket == f"interaction-webhook webhook:{fake.application_id}+{first.token}"
        assert hit.scope == "user"


# -- the global limit -----------------------------------------------------------------------


async def test_the_global_limit_refuses_the_51st_bot_request_in_its_second() -> None:
    clock = ManualClock(0)
    async with started(limits_clock=clock) as fake, raw(fake) as api:
        await api.call("GET", f"/channels/{CHANNEL}")  # opens the second at t=0
        clock.advance(0.5)
        for i in range(1, 50):  # other channels: other buckets, one global limit
            assert (await api.call("GET", f"/channels/{CHANNEL + i}"))[0] != 429
        status, body, headers = await api.call("GET", f"/channels/{CHANNEL + 50}")
        assert status == 429
        assert body == {
            "message": "You are being rate limited.",
            "retry_after": 0.5,
            "global": True,
        }
        assert headers["X-RateLimit-Global"] == "true"
        assert headers["X-RateLimit-Scope"] == "global"
        assert headers["Retry-After"] == "1"
        assert "X-RateLimit-Bucket" not in headers, "the global limit is no route's bucket"

        clock.advance(0.5)  # a new second: all 50 again
        assert [(await api.call("GET", f"/channels/{CHANNEL}"))[0] for _ in range(2)] == [200] * 2
        [hit] = fake.rate_limited
        assert (hit.bucket, hit.scope, hit.route) == (
            "global",
            "global",
            "GET /channels/{channel_id}",
        )
        # Within (0, 1] s the bot sent 52 requests: the peak is measured over any sliding second.
        assert fake.peak_global_rate == 52


async def test_interaction_endpoints_are_exempt_from_the_global_limit() -> None:
    async with started(limits_clock=ManualClock(0)) as fake, raw(fake) as api:
        it = interaction(fake)
        for i in range(50):
            await api.call("GET", f"/channels/{CHANNEL + i}")
        assert (await api.call("GET", "/users/@me"))[0] == 429
        callback = f"/interactions/{it.id}/{it.token}/callback"
        assert (await api.call("POST", callback, json={"type": 5}, auth=None))[0] == 204
        hook = f"/webhooks/{fake.application_id}/{it.token}"
        assert (await api.call("POST", hook, json={"content": "done"}, auth=None))[0] == 204
        original = f"{hook}/messages/@original"
        assert (await api.call("PATCH", original, json={"content": "ok"}, auth=None))[0] == 200
        assert fake.peak_global_rate == 51, "interaction calls are not counted either"


async def test_no_global_limit_when_a_test_turns_it_off() -> None:
    async with started(limits_clock=ManualClock(0), global_limit=None) as fake, raw(fake) as api:
        statuses = {(await api.call("GET", f"/channels/{CHANNEL + i}"))[0] for i in range(60)}
        assert 429 not in statuses
        assert fake.peak_global_rate == 60, "still measured"


# -- invalid requests and scripted 429s -----------------------------------------------------


async def test_401_403_and_429_count_as_invalid_for_ten_minutes_but_shared_429s_do_not() -> None:
    clock = ManualClock(0)
    async with started(limits_clock=clock) as fake, raw(fake) as api:
        assert (await api.call("GET", "/users/@me", auth="Bot not-the-token"))[0] == 401
        other_app = f"/applications/{fake.application_id + 1}/commands"
        assert (await api.call("GET", other_app))[0] == 403
        for _ in range(6):
            await api.send()
        fake.fail_next("POST", r"/messages$", 429, scope="shared", retry_after=1.5)
        status, body, headers = await api.send(OTHER_CHANNEL)
        assert status == 429
        assert headers["X-RateLimit-Scope"] == "shared"
        assert body["message"] == "The resource is being rate limited."
        assert fake.invalid_requests == 3, "401, 403 and the user-scope 429"

        clock.advance(599)
        assert (await api.call("GET", "/users/@me", auth="Bot still-wrong"))[0] == 401
        assert fake.invalid_requests == 4
        clock.advance(2)
        assert fake.invalid_requests == 1, "the first three are older than 10 minutes"
        assert fake.invalid_requests_peak == 4


async def test_a_scripted_429_is_recorded_with_the_routes_bucket() -> None:
    async with started(limits_clock=ManualClock(0)) as fake, raw(fake) as api:
        fake.fail_next("POST", r"/messages$", 429, retry_after=0.25)
        status, body, headers = await api.send()
        assert status == 429
        assert body == {
            "message": "You are being rate limited.",
            "retry_after": 0.25,
            "global": False,
        }
        assert headers["X-RateLimit-Bucket"] == "channel-message-create"
        assert (headers["X-RateLimit-Reset-After"], headers["Retry-After"]) == ("0.250", "1")
        [hit] = fake.rate_limited
        assert (hit.scope, hit.retry_after, hit.scripted) == ("user", 0.25, True)
        assert (await api.send())[2]["X-RateLimit-Remaining"] == "4", "the 429 spent nothing"


async def test_a_suite_can_log_every_fakes_traffic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "traffic.jsonl"
    monkeypatch.setenv("FAKE_DISCORD_TRAFFIC_LOG", str(log))
    async with started(limits_clock=ManualClock(0)) as fake, raw(fake) as api:
        for _ in range(6):
            await api.send()
    [entry] = [json.loads(line) for line in log.read_text().splitlines()]
    assert entry["test"].startswith("tests/test_fake_discord_limits.py::test_a_suite_can_log")
    assert entry["calls_by_route"] == {SEND: 6}
    assert entry["exhausted_by_route"] == {SEND: 1}
    assert [(h["route"], h["scope"]) for h in entry["rate_limited"]] == [(SEND, "user")]
    assert (entry["peak_global_rate"], entry["invalid_requests_peak"]) == (6, 1)


async def test_close_fails_when_discord_would_have_banned_the_bot() -> None:
    fake = FakeDiscord(limits_clock=ManualClock(0))
    await fake.start()
    for _ in range(10_000):
        fake.limits.answered(401, None, 0.0)
    with pytest.raises(AssertionError, match="would have banned the bot: 10000 answers"):
        await fake.close()


# -- a real discord.py client ---------------------------------------------------------------


async def client_of(fake: FakeDiscord) -> discord.Client:
    client = discord.Client(intents=discord.Intents.none())
    await client.login(fake.bot_token)
    return client


async def test_discord_py_waits_out_a_channel_bucket_and_every_edit_lands() -> None:
    per = 0.4  # Discord's 5 per 5 s, with the window shrunk to keep the test short
    async with started(route_limits={EDIT: RouteLimit(5, per, "channel-message-edit")}) as fake:
        with discord_py_pointed_at(fake):
            client = await client_of(fake)
            try:
                channel = await client.fetch_channel(CHANNEL)
                assert isinstance(channel, discord.TextChannel)
                message = await channel.send("queue: 12 members waiting")
                await asyncio.gather(
                    *(
                        message.edit(content=f"queue: {n} members waiting")
                        for n in range(11, -1, -1)
                    )
                )
            finally:
                await client.close()
    edits = fake.requests_to("PATCH", rf"^/channels/{CHANNEL}/messages/{message.id}$")
    assert [r.status for r in edits] == [200] * 12
    assert fake.rate_limited == [], "discord.py read Remaining: 0 and waited, as with Discord"
    arrivals = [r.limits_at for r in edits]
    assert arrivals[-1] - arrivals[0] >= 2 * per, "twelve edits at five per window: three windows"
    assert len(fake.messages[message.id].edits) == 13


async def test_two_processes_share_a_bucket_and_discord_py_retries_its_429s() -> None:
    per = 0.4
    async with started(route_limits={EDIT: RouteLimit(5, per, "channel-message-edit")}) as fake:
        with discord_py_pointed_at(fake):
            first, second = await client_of(fake), await client_of(fake)
            try:
                channel = await first.fetch_channel(CHANNEL)
                assert isinstance(channel, discord.TextChannel)
                message = await channel.send("0")
                also = second.get_partial_messageable(CHANNEL).get_partial_message(message.id)
                await asyncio.gather(
                    *(message.edit(content=f"first {n}") for n in range(5)),
                    *(also.edit(content=f"second {n}") for n in range(5)),
                )
            finally:
                await first.close()
                await second.close()
    edits = fake.requests_to("PATCH", rf"/messages/{message.id}$")
    assert [r.status for r in edits].count(200) == 10
    assert fake.rate_limited, "each process saw Remaining for its own requests only"
    assert {(h.scope, h.bucket) for h in fake.rate_limited} == {
        ("user", f"channel-message-edit channel:{CHANNEL}")
    }


async def test_discord_py_sleeps_out_global_429s_and_every_request_lands() -> None:
    channels = [CHANNEL + 10 + i for i in range(15)]
    async with started(global_limit=10, global_window=0.3) as fake:
        for channel_id in channels:
            fake.add_channel(GUILD, channel_id, name=f"c{channel_id}")
        with discord_py_pointed_at(fake):
            client = await client_of(fake)
            try:
                fetched = await asyncio.gather(*(client.fetch_channel(c) for c in channels))
            finally:
                await client.close()
    assert [c.id for c in fetched] == channels
    assert fake.rate_limited, "fifteen at once is more than ten per window"
    assert {h.scope for h in fake.rate_limited} == {"global"}
    assert fake.peak_global_rate > 10
