"""The simulator as Atlas serves what #17 needs: the model list and each model's input schema
(built from the simulator's own rules, not the bot's catalogue), videos through uploadMedia
(their length read and checked by the model that takes them), and the chat endpoint billed by
its tokens."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.atlas.schemas import parse_input_schema, parse_model_list
from bot.sim import AtlasSimulator
from bot.sim.chat import count_tokens
from tests.sim.conftest import AUTH
from tests.videos import mp4

EDIT = "google/gemini-omni-flash/video-edit"
EXTEND = "google/gemini-omni-1.1-flash/video-extend"


async def get(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with http.get(url, **kwargs) as response:
        return response.status, await response.json(content_type=None)


async def post(http: aiohttp.ClientSession, url: str, body: Any) -> tuple[int, Any]:
    async with http.post(url, json=body, headers=AUTH) as response:
        return response.status, await response.json(content_type=None)


async def upload_video(sim: AtlasSimulator, http: aiohttp.ClientSession, seconds: float) -> Any:
    form = aiohttp.FormData()
    form.add_field("file", mp4(seconds), filename="in.mp4", content_type="video/mp4")
    async with http.post(f"{sim.base_url}/model/uploadMedia", data=form, headers=AUTH) as r:
        assert r.status == 200
        return await r.json()


async def test_the_model_list_and_schemas_need_no_key(
    sim: AtlasSimulator, http: aiohttp.ClientSession
) -> None:
    status, body = await get(http, f"{sim.base_url}/models")
    assert status == 200
    listed = {m.id: m for m in parse_model_list(body)}
    upscaler = listed["atlascloud/video-upscaler"]
    assert upscaler.price.base == 25_000
    assert listed["qwen/qwen3-8b"].price.output_per_million == 120_000
    assert listed["qwen/qwen3-8b"].schema_url is None, "a chat model has no input schema"
    assert upscaler.schema_url is not None
    status, document = await get(http, upscaler.schema_url)
    assert status == 200
    schema = parse_input_schema(upscaler.id, document)
    assert schema is not None
    assert schema.names == ["video", "target_resolution"]
    assert schema.properties["target_resolution"].enum == ("1080p", "2k")
    assert schema.required == frozenset({"video", "target_resolution"})


async def test_a_video_is_uploaded_with_its_length_and_the_edit_model_checks_it(
    sim: AtlasSimulator, http: aiohttp.ClientSession
) -> None:
    short = await upload_video(sim, http, 6)
    assert short["data"]["content_type"] == "video/mp4"
    status, answer = await post(
        http,
        f"{sim.base_url}/model/generateVideo",
        {"model": EDIT, "video": short["data"]["download_url"], "prompt": "night"},
    )
    assert status == 200, answer
    job = sim.jobs[answer["data"]["id"]]
    assert job.input_seconds == 6.0

    long = await upload_video(sim, http, 45)
    status, answer = await post(
        http,
        f"{sim.base_url}/model/generateVideo",
        {"model": EDIT, "video": long["data"]["download_url"], "prompt": "night"},
    )
    assert (status, answer["msg"]) == (400, "video: 45.0 s, longer than 30 s")

    ten = await upload_video(sim, http, 9)
    status, answer = await post(
        http,
        f"{sim.base_url}/model/generateVideo",
        {"model": EXTEND, "video": ten["data"]["download_url"], "prompt": "on", "duration": 10},
    )
    assert status == 200, answer
    status, answer = await post(
        http,
        f"{sim.base_url}/model/generateVideo",
        {"model": EXTEND, "video": ten["data"]["download_url"], "prompt": "on", "duration": 11},
    )
    assert (status, answer["msg"]) == (400, "duration: must be at most 10")


async def test_the_chat_model_answers_counts_tokens_and_bills_them(
    sim: AtlasSimulator, http: aiohttp.ClientSession
) -> None:
    before = sim.account.balance
    messages = [
        {"role": "system", "content": "Improve it. Write it in English."},
        {"role": "user", "content": "a red fox"},
    ]
    status, answer = await post(
        http,
        f"{sim.base_url.removesuffix('/api/v1')}/v1/chat/completions",
        {"model": "qwen/qwen3-8b", "messages": messages, "max_tokens": 8},
    )
    assert status == 200, answer
    text = answer["choices"][0]["message"]["content"]
    assert text.startswith("a red fox.")
    assert answer["choices"][0]["finish_reason"] == "length", "cut at max_tokens"
    usage = answer["usage"]
    assert usage["completion_tokens"] == count_tokens(text) <= 8
    assert usage["prompt_tokens"] == sum(count_tokens(m["content"]) + 4 for m in messages)
    (kept,) = sim.chats
    assert sim.account.balance == before - kept["price"]

    status, answer = await post(
        http,
        f"{sim.base_url.removesuffix('/api/v1')}/v1/chat/completions",
        {"model": "acme/none", "messages": messages},
    )
    assert (status, answer["msg"]) == (404, "model not found: acme/none")
