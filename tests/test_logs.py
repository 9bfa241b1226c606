"""Structured logs: JSON lines with context fields, and no secret ever written.

The redaction stories log the Discord token and the Atlas key through every path a log record
has (message, %-args, mapping args, objects, `extra=`, exceptions, stack), then run a real
AtlasClient against the simulator and a real discord.py client against the fake Discord at
DEBUG, and grep everything written for the two secrets.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import secrets
from collections.abc import Iterator
from enum import StrEnum

import discord
import pytest
from pydantic import SecretStr

from bot.atlas import AtlasClient, RetryPolicy, VideoRequest
from bot.atlas.errors import AuthenticationError
from bot.logs import (
    clear_secrets,
    json_logs_from_env,
    logging_configured,
    redact,
    register_secret,
    setup_logging,
)
from bot.settings import ConfigError, Settings
from bot.sim import AtlasSimulator
from tests.fake_discord.fixtures import discord_py_pointed_at, running_fake_discord

T2V = "google/gemini-omni-flash/text-to-video-developer"
GUILD = 111_000_000_000_000_001
MEMBER = 222_000_000_000_000_001


class State(StrEnum):
    RUNNING = "running"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """`setup_logging` changes global state: put the root logger and discord.py's back."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {n: logging.getLogger(n).level for n in ("discord", "discord.gateway")}
    yield
    root.handlers[:], root.level = saved
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    clear_secrets()


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()


def entries(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_each_record_is_one_json_object_with_its_context(out: io.StringIO) -> None:
    setup_logging("DEBUG", stream=out)
    log = logging.getLogger("bot.jobs")

    log.info(
        "job %s is %s",
        "j-1",
        "running",
        extra={
            "job_id": "j-1",
            "user_id": MEMBER,
            "guild_id": GUILD,
            "prediction_id": "p-9",
            "state": State.RUNNING,
        },
    )
    try:
        raise ValueError("bad frame\nsecond line")
    except ValueError:
        log.exception("delivery failed", extra={"job_id": "j-2"})

    first, second = entries(out)
    assert first.pop("time")
    assert first == {
        "level": "INFO",
        "logger": "bot.jobs",
        "message": "job j-1 is running",
        "job_id": "j-1",
        "user_id": str(MEMBER),  # snowflakes as strings, every digit kept
        "guild_id": str(GUILD),
        "prediction_id": "p-9",
        "state": "running",
    }
    assert second["level"] == "ERROR"
    assert second["job_id"] == "j-2"
    exception = second["exception"]
    assert isinstance(exception, str)
    assert exception.startswith("Traceback (most recent call last):")
    assert exception.endswith("ValueError: bad frame\nsecond line")
    assert len(out.getvalue().splitlines()) == 2  # the traceback stays inside its line


class Terminal(io.StringIO):
    """An output stream that is a terminal, as stderr is in an interactive shell."""

    def isatty(self) -> bool:
        return True


def test_without_LOG_FORMAT_a_terminal_reads_text_and_anything_else_json() -> None:
    assert json_logs_from_env({}, stream=Terminal()) is False
    assert json_logs_from_env({"LOG_FORMAT": " "}, stream=Terminal()) is False
    assert json_logs_from_env({}, stream=io.StringIO()) is True  # a pipe, a file, Docker
    closed = io.StringIO()
    closed.close()
    assert json_logs_from_env({}, stream=closed) is True
    assert json_logs_from_env({"LOG_FORMAT": "json"}, stream=Terminal()) is True
    assert json_logs_from_env({"LOG_FORMAT": "text"}, stream=io.StringIO()) is False


def test_text_format_and_LOG_FORMAT(out: io.StringIO) -> None:
    assert json_logs_from_env({"LOG_FORMAT": "json"}) is True
    assert json_logs_from_env({"LOG_FORMAT": "TEXT"}) is False
    with pytest.raises(ConfigError, match=r"^LOG_FORMAT: must be json or text"):
        json_logs_from_env({"LOG_FORMAT": "xml"})

    setup_logging("INFO", json=False, stream=out)
    logging.getLogger("bot.jobs").warning("slow poll", extra={"job_id": "j-1", "user_id": 5})

    line = out.getvalue().strip()
    assert line.endswith(" WARNING bot.jobs slow poll job_id=j-1 user_id=5")


def test_calling_setup_again_replaces_its_handler(out: io.StringIO) -> None:
    first = setup_logging("INFO", stream=io.StringIO())
    second = setup_logging("INFO", stream=out)

    root = logging.getLogger()
    assert second in root.handlers
    assert first not in root.handlers


def test_a_configured_block_puts_the_previous_logging_back(out: io.StringIO) -> None:
    root = logging.getLogger()
    root.setLevel(logging.ERROR)
    before = list(root.handlers)
    discord_level = logging.getLogger("discord").level

    with logging_configured("INFO", stream=out) as handler:
        assert handler in root.handlers
        assert logging.getLogger("discord").level == logging.WARNING
        logging.getLogger("bot").info("inside")

    logging.getLogger("bot").error("outside")
    assert root.handlers == before
    assert root.level == logging.ERROR
    assert logging.getLogger("discord").level == discord_level
    assert [e["message"] for e in entries(out)] == ["inside"]


@pytest.mark.parametrize(
    ("level", "shown"),
    [
        ("DEBUG", ["http debug", "client info", "gateway connected", "client warning"]),
        ("INFO", ["gateway connected", "client warning"]),
        ("WARNING", ["client warning"]),
    ],
)
def test_discord_py_is_quiet_except_gateway_connection_lines(
    out: io.StringIO, level: str, shown: list[str]
) -> None:
    setup_logging(level, stream=out)

    logging.getLogger("discord.http").debug("http debug")
    logging.getLogger("discord.client").info("client info")
    logging.getLogger("discord.gateway").info("gateway connected")
    logging.getLogger("discord.client").warning("client warning")

    assert [e["message"] for e in entries(out)] == shown


class Leaky(Exception):
    pass


class Holder:
    """An object whose str() shows what it holds, as careless reprs do."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __str__(self) -> str:
        return f"Holder({self.value})"


@pytest.mark.parametrize("as_json", [True, False])
def test_secrets_are_redacted_through_every_path(out: io.StringIO, as_json: bool) -> None:
    token = f"tok.{secrets.token_urlsafe(24)}"
    key = f"apikey-{secrets.token_urlsafe(24)}"
    register_secret(SecretStr(token))
    register_secret(key)
    register_secret("")  # ignored, not a secret that matches everything
    setup_logging("DEBUG", json=as_json, stream=out)
    log = logging.getLogger("bot.anything")

    log.info(f"an f-string with {token}")
    log.info("percent args %s and %r", token, key)
    log.info("mapping args %(t)s", {"t": token})
    log.info("an object %s", Holder(key))
    log.info("a number %d stays a number", 42)
    log.info("context", extra={"job_id": token, "prediction_id": key})
    logging.getLogger("discord.http").debug("Authorization: Bot %s", token)
    try:
        raise Leaky(f"Bearer {key}")
    except Leaky:
        log.exception("failed with %s", token)
    log.warning("with a stack", stack_info=True, extra={"state": key})

    written = out.getvalue()
    assert token not in written
    assert key not in written
    assert written.count("***") >= 11
    assert "a number 42 stays a number" in written
    assert "Leaky: Bearer ***" in written
    assert redact(f"x{token}y{key}z") == "x***y***z"


async def test_real_clients_at_debug_never_write_the_key_or_token(
    out: io.StringIO, settings: Settings
) -> None:
    key = f"atlas-{secrets.token_urlsafe(24)}"
    wrong = f"atlas-wrong-{secrets.token_urlsafe(24)}"
    setup_logging("DEBUG", stream=out)
    fast = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)

    async with (
        AtlasSimulator(settings.catalogue, api_key=key, generation_seconds=0.05) as atlas,
        running_fake_discord() as fake,
    ):
        register_secret(key)
        register_secret(wrong)
        register_secret(fake.bot_token)
        async with AtlasClient(atlas.base_url, SecretStr(wrong), retry=fast) as rejected:
            with pytest.raises(AuthenticationError):
                await rejected.account("balance")
        async with AtlasClient(atlas.base_url, SecretStr(key), retry=fast) as client:
            await client.account("balance")
            atlas.fail_next("poll", 503)  # a retry warning names the request
            request = VideoRequest(
                model=T2V, prompt="a fox", duration=4, aspect_ratio="16:9", resolution="720p"
            )
            prediction_id = await client.submit(request)
            await client.get(prediction_id)

        fake.add_guild(GUILD, name="Film Club")
        with discord_py_pointed_at(fake):
            bot = discord.Client(intents=discord.Intents.none(), guild_ready_timeout=0.05)
            await bot.login(fake.bot_token)
            runner = asyncio.create_task(bot.connect(reconnect=False))
            await asyncio.wait_for(bot.wait_until_ready(), 10)
            await bot.close()
            await runner

    written = out.getvalue()
    loggers = {e["logger"] for e in entries(out)}
    assert {"discord.gateway", "discord.http", "bot.atlas.client"} <= loggers  # it did log
    for secret in (key, wrong, fake.bot_token):
        assert secret not in written


@pytest.mark.parametrize("short", ["k", " ", "   ", "sim-key", "\tabc\n"])
def test_a_short_or_blank_secret_cannot_garble_the_logs(out: io.StringIO, short: str) -> None:
    long_key = f"  apikey-{secrets.token_urlsafe(24)}\n"  # spaces around it do not count
    register_secret(short)
    register_secret(SecretStr(long_key))
    setup_logging("INFO", json=False, stream=out)

    logging.getLogger("bot.check").info("check ATLAS_BASE_URL and the key %s", long_key.strip())

    (line,) = out.getvalue().splitlines()
    assert line.endswith(" INFO bot.check check ATLAS_BASE_URL and the key ***")
    assert redact("a sim-key check") == "a sim-key check"
    assert redact(f"x{long_key}y") == "x  ***\ny"


def test_the_shortest_secret_still_redacted_has_eight_characters() -> None:
    register_secret("1234567")
    register_secret("abcdefgh")
    assert redact("1234567 abcdefgh") == "1234567 ***"
