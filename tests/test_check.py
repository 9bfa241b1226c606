"""`atlas-video-bot check` against the Atlas simulator and the fake Discord over 127.0.0.1.

Each story sets one thing wrong and reads the report as an operator would: which line fails,
does it name the setting to fix, and are the token and key absent from everything printed.
"""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.check import CheckResult, check_main, run_checks
from bot.cli import main
from bot.logs import clear_secrets
from bot.settings import Settings, load
from bot.sim import AtlasSimulator
from bot.transcode import find_encoder
from tests.conftest import CONFIG, make_env
from tests.fake_discord import FakeDiscord


@dataclass
class World:
    atlas: AtlasSimulator
    discord: FakeDiscord
    database: Path

    @property
    def key(self) -> str:
        return self.atlas.api_key

    def env_values(self, **overrides: object) -> dict[str, object]:
        values: dict[str, object] = {
            "discord_token": self.discord.bot_token,
            "atlascloud_api_key": self.key,
            "atlas_base_url": self.atlas.base_url,
            "discord_api_base_url": self.discord.api_base,
            "database_path": self.database,
        }
        values.update(overrides)
        return values


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI installs a root handler and quiets discord.py: undo both after each test."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {n: logging.getLogger(n).level for n in ("discord", "discord.gateway")}
    yield
    root.handlers[:], root.level = saved
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    clear_secrets()


@pytest.fixture
async def world(settings: Settings, tmp_path: Path) -> AsyncIterator[World]:
    key = f"atlas-{secrets.token_urlsafe(16)}"
    async with (
        AtlasSimulator(settings.catalogue, api_key=key) as atlas,
        FakeDiscord() as discord,
    ):
        yield World(atlas, discord, tmp_path / "data" / "bot.sqlite3")


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.name: r for r in results}


async def report(world: World, **overrides: object) -> tuple[int, str]:
    out = io.StringIO()
    code = await check_main(make_env(**world.env_values(**overrides)), out=out, timeout=5)
    return code, out.getvalue()


def assert_no_secrets(text: str, world: World) -> None:
    assert world.key not in text
    assert world.discord.bot_token not in text


async def test_a_good_setup_passes_every_check_and_creates_the_database(world: World) -> None:
    code, text = await report(world)

    assert code == 0, text
    lines = text.splitlines()
    assert [line.split()[:2] for line in lines[:6]] == [
        ["OK", "settings"],
        ["OK", "config"],
        ["OK", "database"],
        ["OK", "Atlas"],
        ["OK", "Discord"],
        ["OK", "encoder"],
    ]
    assert lines[-1] == "all checks passed: ready to run"
    assert f"logged in as atlas_video_bot ({world.discord.bot_user_id})" in text
    assert world.database.is_file()  # opened and migrated
    balance = world.atlas.requests_to("/public/v1/balance", "GET")
    assert [r.headers["Authorization"] for r in balance] == [f"Bearer {world.key}"]
    assert [r.status for r in world.discord.requests_to("GET", "^/users/@me$")] == [200]
    assert_no_secrets(text, world)


async def test_it_names_the_encoder_found_and_its_version(world: World) -> None:
    encoder = await find_encoder()

    results = by_name(await run_checks(make_env(**world.env_values())))

    line = results["encoder"]
    assert line.ok
    assert (
        line.detail == f"ffmpeg {encoder.version} (bundled with imageio-ffmpeg) at {encoder.path}"
    )


async def test_without_an_encoder_it_fails_saying_what_to_do(world: World, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-ffmpeg"
    config = tmp_path / "bot.toml"
    config.write_text(
        CONFIG.read_text().replace('encoder_path = ""', f'encoder_path = "{missing}"')
    )

    code, text = await report(world, bot_config=config)

    assert code == 1
    (line,) = [line for line in text.splitlines() if line.startswith("FAIL")]
    assert line.startswith("FAIL  encoder")
    assert f"encoder_path {missing}: does not exist; fix the path or leave it empty" in line
    assert line.endswith("Without one, videos over Discord's upload limit go as links")


async def test_a_wrong_atlas_key_fails_naming_ATLASCLOUD_API_KEY(world: World) -> None:
    wrong = f"wrong-{secrets.token_urlsafe(16)}"
    code, text = await report(world, atlascloud_api_key=wrong)

    assert code == 1
    (line,) = [line for line in text.splitlines() if line.startswith("FAIL")]
    assert "Atlas Cloud" in line
    assert "ATLASCLOUD_API_KEY is rejected by Atlas Cloud" in line
    assert len(world.atlas.requests_to("/public/v1/balance")) == 1  # no retries of a 401
    assert wrong not in text
    assert_no_secrets(text, world)


async def test_a_wrong_discord_token_fails_naming_DISCORD_TOKEN(world: World) -> None:
    wrong = f"wrong.{secrets.token_urlsafe(24)}"
    code, text = await report(world, discord_token=wrong)

    assert code == 1
    (line,) = [line for line in text.splitlines() if line.startswith("FAIL")]
    assert "DISCORD_TOKEN is rejected by Discord" in line
    assert [r.status for r in world.discord.requests_to("GET", "^/users/@me$")] == [401]
    assert wrong not in text
    assert_no_secrets(text, world)


async def test_a_database_path_that_is_a_directory_fails_naming_DATABASE_PATH(
    world: World, tmp_path: Path
) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()

    results = by_name(await run_checks(make_env(**world.env_values(database_path=folder))))

    assert not results["database"].ok
    assert results["database"].detail.startswith("DATABASE_PATH:")
    assert [r.name for r in results.values() if not r.ok] == ["database"]


async def test_a_database_folder_that_cannot_be_created_fails_naming_DATABASE_PATH(
    world: World, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")

    code, text = await report(world, database_path=blocker / "bot.sqlite3")

    assert code == 1
    (line,) = [line for line in text.splitlines() if line.startswith("FAIL")]
    assert "database" in line
    assert "DATABASE_PATH" in line
    assert_no_secrets(text, world)


async def test_unreachable_services_are_named_with_their_url(world: World) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"

    code, text = await report(
        world, atlas_base_url=f"{dead}/api/v1", discord_api_base_url=f"{dead}/api/v10"
    )

    assert code == 1
    assert f"cannot reach Atlas at {dead}/api/v1" in text
    assert f"cannot reach Discord at {dead}/api/v10" in text
    assert_no_secrets(text, world)


async def test_missing_secrets_and_a_missing_config_file_each_fail(
    world: World, tmp_path: Path
) -> None:
    results = by_name(
        await run_checks(
            make_env(
                **world.env_values(
                    discord_token="", atlascloud_api_key="", bot_config=tmp_path / "nope.toml"
                )
            )
        )
    )

    assert "BOT_CONFIG" in results["config"].detail
    assert "ATLASCLOUD_API_KEY is not set" in results["Atlas Cloud"].detail
    assert "DISCORD_TOKEN is not set" in results["Discord"].detail
    assert [r.name for r in results.values() if r.ok] == ["settings", "database", "encoder"]
    assert world.atlas.requests == []
    assert world.discord.requests_to("GET", "^/users/@me$") == []


async def test_the_cli_reads_the_environment_and_exits_non_zero_on_failure(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in world.env_values().items():
        monkeypatch.setenv(name.upper(), str(value))
    monkeypatch.setenv("BOT_CONFIG", str(CONFIG))
    monkeypatch.delenv("LOG_FORMAT", raising=False)

    # The servers run on this loop; the CLI runs its own in a thread, as from a shell.
    ok_code = await asyncio.to_thread(main, ["check"])
    ok = capsys.readouterr()
    monkeypatch.setenv("ATLASCLOUD_API_KEY", "not-the-key")
    bad_code = await asyncio.to_thread(main, ["check"])
    bad = capsys.readouterr()

    assert ok_code == 0, ok.out + ok.err
    models = len(load(make_env()).catalogue.entries())  # one line per catalogue entry
    assert ok.out.count("\nOK  ") + ok.out.startswith("OK  ") == 6 + models
    assert bad_code == 1
    assert "FAIL  Atlas Cloud" in bad.out
    assert "ATLASCLOUD_API_KEY is rejected" in bad.out
    for text in (ok.out, ok.err, bad.out, bad.err):
        assert_no_secrets(text, world)


async def test_a_bad_setting_fails_the_settings_line_and_skips_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATLAS_BASE_URL", "ftp://atlas")
    out = io.StringIO()

    code = await check_main(out=out)

    lines = out.getvalue().splitlines()
    assert code == 1
    assert lines[0].startswith("FAIL  settings")
    assert "ATLAS_BASE_URL" in lines[0]
    assert all(line.startswith("FAIL") and "not checked" in line for line in lines[1:5])


@pytest.mark.parametrize("folder", [CONFIG.parent, Path()], ids=["folder", "empty"])
async def test_a_config_path_that_is_a_folder_fails_naming_BOT_CONFIG(
    world: World, folder: Path
) -> None:
    results = by_name(await run_checks(make_env(**world.env_values(bot_config=folder))))

    assert results["config"].detail.startswith(
        f"BOT_CONFIG: {folder} is a directory, not a TOML file"
    )
    assert [r.name for r in results.values() if not r.ok] == ["config"]


async def test_a_database_path_naming_some_other_file_fails_and_leaves_it_alone(
    world: World, tmp_path: Path
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Not a database\n" * 300)

    code, text = await report(world, database_path=readme)

    assert code == 1
    (line,) = [line for line in text.splitlines() if line.startswith("FAIL")]
    assert f"DATABASE_PATH: the database {readme} is damaged" in line
    assert line.endswith("If DATABASE_PATH names the wrong file, fix DATABASE_PATH")
    assert readme.read_text() == "# Not a database\n" * 300


async def test_a_dev_guild_the_bot_is_not_in_fails_naming_DEV_GUILD_ID(world: World) -> None:
    world.discord.add_guild(1000, name="Video Club")

    code, text = await report(world, dev_guild_id=4242)

    assert code == 1
    lines = text.splitlines()
    assert [line.split()[:2] for line in lines[:6]][-2:] == [["OK", "Discord"], ["FAIL", "dev"]]
    assert "DEV_GUILD_ID: Discord refused the slash commands for server 4242" in lines[5]
    assert "applications.commands" in lines[5]
    assert world.discord.requests_to("PUT", "commands") == [], "the check changes nothing"
    assert_no_secrets(text, world)


async def test_a_dev_guild_the_bot_is_in_passes(world: World) -> None:
    world.discord.add_guild(1000, name="Video Club")

    code, text = await report(world, dev_guild_id=1000)

    assert code == 0, text
    assert "OK    dev server   DEV_GUILD_ID 1000: the bot may publish its commands there" in text
    assert world.discord.requests_to("PUT", "commands") == []


async def test_with_webhooks_it_checks_that_atlas_signing_keys_are_readable(world: World) -> None:
    url = "http://127.0.0.1:8088/atlas/webhook"
    code, text = await report(world, public_webhook_url=url)

    assert code == 0, text
    (line,) = [line for line in text.splitlines() if line.split()[1:2] == ["webhooks"]]
    assert line.split()[:2] == ["OK", "webhooks"]
    assert f"Atlas will call {url} (served on 0.0.0.0:8080); 1 signing key readable" in line
    assert world.atlas.requests_to("/webhooks/jwks.json", "GET")

    world.atlas.fail_next("jwks", 503)
    code, text = await report(world, public_webhook_url=url)
    assert code == 1
    assert "FAIL  webhooks" in text
    assert "unset PUBLIC_WEBHOOK_URL to poll instead" in text
    assert_no_secrets(text, world)
