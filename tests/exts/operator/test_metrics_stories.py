"""The operator's view (#18), metrics: with METRICS_PORT set, Prometheus scrapes /metrics while
a real job runs (the real bot, the fake Discord, the simulator) and sees the counters move;
labels never carry a member, a prompt or a secret."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics
from bot.settings import ConfigError
from tests.e2e.conftest import ATLAS_KEY, GUILD, MEMBER, World, running_world, status_of
from tests.exts.operator.test_balance_stories import until

GEMINI_T2V = "google/gemini-omni-flash/text-to-video-developer"


async def scrape(world: World) -> tuple[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    """The exposition text, and every sample by (name, sorted labels)."""
    server = world.bot.services.metrics_server
    assert server is not None, "METRICS_PORT is set: the endpoint listens"
    async with aiohttp.ClientSession() as http, http.get(server.url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return text, samples


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_a_scrape_during_a_real_job_sees_the_counters_move(tmp_path: Path) -> None:
    async with running_world(
        tmp_path, env={"metrics_port": 0, "metrics_host": "127.0.0.1"}
    ) as world:
        _, before = await scrape(world)
        assert value(before, "atlas_bot_jobs_started_total", model=GEMINI_T2V) == 0
        world.sim.script_prompt("slow fox", generation_seconds=1.0)

        interaction = await world.video(prompt="a slow fox")
        await until(lambda: bool(world.sim.requests_to("/generateVideo", "POST")), "the submit")
        _, during = await scrape(world)
        assert value(during, "atlas_bot_jobs_started_total", model=GEMINI_T2V) == 1
        assert value(during, "atlas_bot_jobs_in_flight") == 1
        assert value(during, "atlas_bot_jobs_waiting") == 0
        assert value(during, "atlas_bot_held_micro_usd_total", model=GEMINI_T2V) == 1_000_000
        assert (
            value(during, "atlas_bot_jobs_ended_total", model=GEMINI_T2V, outcome="delivered") == 0
        )

        assert status_of(await world.final(interaction)).startswith("Done")
        for _ in range(100):  # the row is marked delivered just after the message shows it
            if (await world.bot.job_store.recent(MEMBER, GUILD))[0].state.is_terminal:
                break
            await asyncio.sleep(0.02)
        await world.bot.services.balance.check()  # the next reading of the Atlas balance
        text, after = await scrape(world)
        assert (
            value(after, "atlas_bot_jobs_ended_total", model=GEMINI_T2V, outcome="delivered") == 1
        )
        assert value(after, "atlas_bot_jobs_in_flight") == 0
        assert value(after, "atlas_bot_captured_micro_usd_total", model=GEMINI_T2V) == 1_000_000
        assert value(after, "atlas_bot_job_duration_seconds_count", model=GEMINI_T2V) == 1
        assert value(after, "atlas_bot_generation_seconds_count", model=GEMINI_T2V) == 1
        assert value(after, "atlas_bot_generation_seconds_sum", model=GEMINI_T2V) >= 0.9
        assert (
            value(after, "atlas_bot_atlas_requests_total", endpoint="generateVideo", status="200")
            == 1
        )
        assert (
            value(after, "atlas_bot_atlas_requests_total", endpoint="prediction", status="200") >= 1
        )
        assert (
            value(after, "atlas_bot_atlas_requests_total", endpoint="download", status="200") == 1
        )
        assert value(after, "atlas_bot_atlas_request_seconds_count", endpoint="generateVideo") == 1
        assert value(after, "atlas_bot_atlas_balance_usd") == 99.0, "USD 100.00 less the video"
        assert value(before, "atlas_bot_atlas_balance_usd") == 100.0
        # Nothing that names a member, a server, a prompt or a secret.
        label_values = {v for _, labels in after for _, v in labels}
        assert label_values.isdisjoint({str(MEMBER), str(GUILD)}), label_values
        for secret in ("slow fox", ATLAS_KEY, world.discord.bot_token):
            assert secret not in text


async def test_atlas_429s_and_discord_errors_are_counted(tmp_path: Path) -> None:
    async with running_world(
        tmp_path, env={"metrics_port": 0, "metrics_host": "127.0.0.1"}
    ) as world:
        world.sim.fail_next("poll", 429)
        world.discord.fail_next("PATCH", r"/webhooks/", 429)  # discord.py waits and retries
        assert status_of(await world.final(await world.video(prompt="a fox"))).startswith("Done")
        _, samples = await scrape(world)
        assert value(samples, "atlas_bot_atlas_backoffs_total", endpoint="prediction") == 1
        assert (
            value(samples, "atlas_bot_atlas_requests_total", endpoint="prediction", status="429")
            == 1
        )
        assert value(samples, "atlas_bot_discord_rate_limited_total") == 1
        assert value(samples, "atlas_bot_discord_rest_errors_total", status="429") == 1


async def test_a_video_compressed_to_fit_is_counted_with_its_encoding_time(
    tmp_path: Path, realistic_outputs: dict[str, Any]
) -> None:
    async with running_world(
        tmp_path,
        env={"metrics_port": 0, "metrics_host": "127.0.0.1"},
        sim_options=realistic_outputs,
    ) as world:
        world.discord.guilds[GUILD].upload_limit = 2 * 1024 * 1024  # 720p 8 s is 3 MB
        _, before = await scrape(world)
        assert value(before, "atlas_bot_encoders_busy") == 0
        assert value(before, "atlas_bot_transcode_seconds_count") == 0
        interaction = await world.video(prompt="a harbour at dawn", resolution="720p", duration=8)
        assert status_of(await world.final(interaction, timeout=60)).startswith("Done")
        _, after = await scrape(world)
        assert value(after, "atlas_bot_transcodes_total", outcome="compressed") == 1
        assert value(after, "atlas_bot_transcode_seconds_count") == 1
        assert value(after, "atlas_bot_transcode_seconds_sum") > 0
        assert value(after, "atlas_bot_encoders_busy") == 0
        assert value(after, "atlas_bot_encodes_waiting") == 0


def test_server_ids_only_when_asked_for() -> None:
    plain, per_guild = Metrics(), Metrics(per_guild=True)
    for metrics in (plain, per_guild):
        metrics.job_started(GEMINI_T2V, GUILD, 1_000_000)
    assert f'guild="{GUILD}"' not in plain.exposition().decode()
    assert f'atlas_bot_jobs_started_total{{guild="{GUILD}",model="{GEMINI_T2V}"}} 1.0' in (
        per_guild.exposition().decode()
    )


async def test_a_busy_metrics_port_stops_the_start_with_one_line(tmp_path: Path) -> None:
    async with running_world(
        tmp_path, env={"metrics_port": 0, "metrics_host": "127.0.0.1"}
    ) as world:
        server = world.bot.services.metrics_server
        assert server is not None
        port = int(server.url.rsplit(":", 1)[1].split("/")[0])
        from bot.builder import serve_metrics

        world.settings.env.metrics_port = port
        with pytest.raises(
            ConfigError, match=rf"metrics: port {port} on 127.0.0.1 is already in use"
        ):
            await serve_metrics(world.settings, Metrics())
