"""`atlas-video-bot check`: prove the set-up works before going live, one line per check.

It loads the settings and the config file, opens (and migrates) the database, asks Atlas
whether the API key is accepted and Discord whether the token is, finds the video encoder,
then prints OK or FAIL for each, every FAIL with what to fix. It also reads Atlas's model list
and each configured model's input schema and reports, per catalogue entry, every input name or
offered value Atlas would refuse and every price more than 10% off the list's
(`bot.atlas.conformance`); with ATLAS_MODE=simulate, against the built-in simulator. Nothing
is billed; the token and key are never printed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import aiohttp
from pydantic import SecretStr

from bot import USER_AGENT, __version__
from bot.atlas import AtlasClient, RetryPolicy
from bot.atlas.account import read_balance
from bot.atlas.conformance import check_catalogue
from bot.atlas.errors import (
    AtlasConnectionError,
    AtlasError,
    AuthenticationError,
    PermissionDenied,
)
from bot.atlas.schemas import ModelSchemas
from bot.atlas.webhooks import parse_jwks
from bot.db import (
    Database,
    DatabaseError,
    open_store,
)
from bot.db.postgres import display_url
from bot.health import health_file
from bot.ledger import SERVER_CODE
from bot.logs import json_logs_from_env, redact, register_secret, register_url
from bot.money import format_usd
from bot.problems import config_file_problem, database_problem, dev_guild_refused
from bot.settings import ConfigError, EnvSettings, Settings, load, load_env
from bot.sim import AtlasSimulator
from bot.transcode import NoEncoder, find_encoder

__all__ = [
    "CheckResult",
    "check_main",
    "load_settings",
    "render",
    "run_checks",
]

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class CheckResult:
    """One line of the report: what was checked, whether it passed, and what to do if not."""

    name: str
    ok: bool
    detail: str


def _ok(name: str, detail: str) -> CheckResult:
    return CheckResult(name, True, detail)


def _fail(name: str, detail: str) -> CheckResult:
    return CheckResult(name, False, detail)


def load_settings(env: EnvSettings | None = None) -> Settings:
    """`load`, with a config file that cannot be read as one `ConfigError` line as well."""
    env = env or load_env()
    try:
        return load(env)
    except OSError as exc:  # e.g. IsADirectoryError: BOT_CONFIG names a folder
        raise ConfigError(config_file_problem(env.bot_config, exc)) from None


def _settings_check(env: EnvSettings | None) -> tuple[EnvSettings | None, CheckResult]:
    try:
        env = env or load_env()
        log_format = "json" if json_logs_from_env() else "text"
    except ConfigError as exc:
        return None, _fail("settings", f"{exc}: fix it in the environment or in .env")
    return env, _ok(
        "settings", f"environment read (LOG_FORMAT {log_format}, HEALTH_FILE {health_file()})"
    )


def _config_check(env: EnvSettings) -> CheckResult:
    try:
        settings = load_settings(env)
    except ConfigError as exc:
        return _fail("config", str(exc))
    return _ok(
        "config",
        f"{env.bot_config}: {len(settings.catalogue)} models, "
        f"default {settings.defaults.text_to_video_model}",
    )


async def _database_check(env: EnvSettings) -> CheckResult:
    if env.database_url is not None:
        return await _postgres_check(env)
    path = env.database_path
    try:
        db = await Database.open(path)
    except (DatabaseError, sqlite3.Error, OSError) as exc:
        return _fail("database", database_problem(env, exc))
    try:
        await db.close()
    except (DatabaseError, sqlite3.Error, OSError) as exc:
        return _fail("database", f"DATABASE_PATH: {path} opened but did not close cleanly: {exc}")
    return _ok("database", f"{path} opens and its schema is up to date")


async def _postgres_check(env: EnvSettings) -> CheckResult:
    assert env.database_url is not None
    url = env.database_url.get_secret_value()
    name = display_url(url)
    try:
        db = await open_store(url, Path(), server_code=SERVER_CODE)
    except DatabaseError as exc:
        return _fail("database", database_problem(env, exc))
    await db.close()
    return _ok("database", f"{name} answers and its schema is up to date")


_FOUND = {
    "configured": "[delivery] encoder_path",
    "bundled": "bundled with imageio-ffmpeg",
    "path": "ffmpeg on PATH",
}


async def _encoder_check(env: EnvSettings) -> CheckResult:
    """The ffmpeg that fits videos to Discord's upload limit: which one, which version."""
    name = "encoder"
    try:
        configured = load_settings(env).delivery.encoder_path
    except ConfigError:
        configured = ""  # the config line says why; the default encoder is looked for
    try:
        encoder = await find_encoder(configured or None)
    except NoEncoder as exc:
        return _fail(name, f"{exc}. Without one, videos over Discord's upload limit go as links")
    return _ok(name, f"ffmpeg {encoder.version} ({_FOUND[encoder.origin]}) at {encoder.path}")


def _probe_client(base: str, key: SecretStr, timeout: float) -> AtlasClient:
    """An Atlas client for one check: one attempt, the check's timeout."""
    return AtlasClient(base, key, request_timeout=timeout, retry=RetryPolicy(attempts=1))


async def _atlas_check(env: EnvSettings, key: SecretStr | None, timeout: float) -> CheckResult:
    name = "Atlas Cloud"
    if env.atlas_mode == "simulate":
        return _ok(
            name, "ATLAS_MODE=simulate: the built-in simulator stands in (nothing is billed)"
        )
    if key is None:
        return _fail(
            name,
            "ATLASCLOUD_API_KEY is not set: put your Atlas Cloud API key in the environment "
            "or in .env",
        )
    base = env.atlas_base_url
    try:
        async with _probe_client(base, key, timeout) as atlas:
            balance = await _balance_note(atlas)
    except AuthenticationError:
        return _fail(
            name,
            "ATLASCLOUD_API_KEY is rejected by Atlas Cloud: copy the key again from the "
            "Atlas Cloud console (API keys)",
        )
    except AtlasConnectionError as exc:
        return _fail(
            name, f"cannot reach Atlas at {base}: check ATLAS_BASE_URL and the network ({exc})"
        )
    except AtlasError as exc:
        return _fail(name, f"Atlas at {base} refused the key check: {exc}. Check ATLAS_BASE_URL")
    return _ok(name, f"ATLASCLOUD_API_KEY accepted by {base}; {balance}")


async def _balance_note(atlas: AtlasClient) -> str:
    """Prove the key with the balance (a call that bills nothing): what the account can still
    spend, or why that cannot be read. A bad key or no answer fails the check; a key that may
    not read the balance passes (403 proves it valid) and the bot runs without that check."""
    try:
        balance = await read_balance(atlas)
    except (AuthenticationError, AtlasConnectionError):
        raise
    except PermissionDenied:
        return "the balance cannot be read with this key (403): jobs run without a balance check"
    except AtlasError as exc:
        return f"the balance could not be read ({exc}): jobs run without a balance check"
    return f"balance {format_usd(balance.available)} available"


async def _webhooks_check(env: EnvSettings, key: SecretStr, timeout: float) -> CheckResult:
    """With PUBLIC_WEBHOOK_URL: can the bot read the keys that prove a call is Atlas's?"""
    name = "webhooks"
    base = env.atlas_base_url
    try:
        async with _probe_client(base, key, timeout) as atlas:
            keys = parse_jwks(await atlas.webhook_keys())
    except AtlasError as exc:
        return _fail(
            name,
            f"cannot read Atlas's webhook keys at {base}/webhooks/jwks.json ({exc}): without "
            "them every call is refused; unset PUBLIC_WEBHOOK_URL to poll instead",
        )
    if not keys:
        return _fail(
            name, f"{base}/webhooks/jwks.json lists no Ed25519 key: calls cannot be checked"
        )
    return _ok(
        name,
        f"Atlas will call {env.public_webhook_url} (served on {env.webhook_host}:"
        f"{env.webhook_port}); {len(keys)} signing key{'s' if len(keys) > 1 else ''} readable",
    )


async def _models_check(env: EnvSettings, timeout: float) -> list[CheckResult]:
    """The catalogue against Atlas's model list and schemas: one line per entry, or one FAIL
    line per problem with what to change (the dry run's: against the built-in simulator)."""
    try:
        settings = load_settings(env)
    except ConfigError:
        return []  # the config line says why
    if env.atlas_mode == "simulate":
        key = SecretStr("check")
        async with AtlasSimulator(settings.catalogue, api_key=key.get_secret_value()) as sim:
            return await _models_at(sim.base_url, key, settings, timeout)
    # The model list and the schemas are public: a missing key does not stop this check.
    key = env.atlascloud_api_key or SecretStr("")
    return await _models_at(env.atlas_base_url, key, settings, timeout)


async def _models_at(
    base: str, key: SecretStr, settings: Settings, timeout: float
) -> list[CheckResult]:
    ids = [model.id for model in settings.catalogue.entries()]
    async with _probe_client(base, key, timeout) as atlas:
        schemas = ModelSchemas(atlas, ids)
        try:
            await schemas.refresh()
        except AtlasError as exc:
            return [
                _fail(
                    "models",
                    f"cannot read Atlas's model list at {base}/models ({exc}): the catalogue "
                    "was not checked against Atlas's schemas",
                )
            ]
    return [
        CheckResult("models", finding.ok, f"{finding.model_id}: {finding.text}")
        for finding in check_catalogue(settings.catalogue, schemas)
    ]


def _discord_headers(token: SecretStr) -> dict[str, str]:
    return {
        "Authorization": f"Bot {token.get_secret_value()}",
        # Discord asks bots for "DiscordBot (url, version)".
        "User-Agent": f"DiscordBot (atlas-video-bot, {__version__}) {USER_AGENT}",
    }


async def _discord_check(env: EnvSettings, token: SecretStr | None, timeout: float) -> CheckResult:
    name = "Discord"
    if token is None:
        return _fail(
            name,
            "DISCORD_TOKEN is not set: put your bot token in the environment or in .env",
        )
    base = env.discord_api_base_url
    headers = _discord_headers(token)
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
            http.get(f"{base}/users/@me", headers=headers) as response,
        ):
            status = response.status
            me = await response.json(content_type=None) if status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return _fail(
            name,
            f"cannot reach Discord at {base}: check DISCORD_API_BASE_URL and the network "
            f"({type(exc).__name__})",
        )
    if status == 401:
        return _fail(
            name,
            "DISCORD_TOKEN is rejected by Discord: copy it again from the developer portal "
            "(Bot > Reset Token)",
        )
    if status != 200 or not isinstance(me, dict):
        return _fail(name, f"Discord at {base} answered HTTP {status}: check DISCORD_API_BASE_URL")
    return _ok(name, f"DISCORD_TOKEN accepted: logged in as {me.get('username')} ({me.get('id')})")


async def _dev_guild_check(
    env: EnvSettings, token: SecretStr, guild_id: int, timeout: float
) -> CheckResult:
    """Whether the bot may publish commands to DEV_GUILD_ID, as `run` and `sync` will: read
    them (nothing is changed); Discord answers 403 Missing Access exactly when a sync would
    fail."""
    name = "dev server"
    base = env.discord_api_base_url
    try:
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout), headers=_discord_headers(token)
        ) as http:
            async with http.get(f"{base}/oauth2/applications/@me") as response:
                app = await response.json(content_type=None) if response.status == 200 else None
            if not isinstance(app, dict) or "id" not in app:
                return _fail(name, f"Discord at {base} did not say which application this is")
            url = f"{base}/applications/{app['id']}/guilds/{guild_id}/commands"
            async with http.get(url) as response:
                status = response.status
                body = await response.json(content_type=None) if status != 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return _fail(name, f"cannot reach Discord at {base} ({type(exc).__name__})")
    if status == 403:
        text = body.get("message", "Forbidden") if isinstance(body, dict) else "Forbidden"
        return _fail(name, dev_guild_refused(guild_id, f"403 {text}"))
    if status != 200:
        return _fail(name, f"DEV_GUILD_ID: Discord answered HTTP {status} for server {guild_id}")
    return _ok(name, f"DEV_GUILD_ID {guild_id}: the bot may publish its commands there")


async def run_checks(
    env: EnvSettings | None = None, *, timeout: float = DEFAULT_TIMEOUT
) -> list[CheckResult]:
    """Every check, in order: settings, config, database, Atlas, Discord (with DEV_GUILD_ID,
    whether the bot may publish its commands to that server; with webhooks, whether Atlas's
    signing keys are readable), the video encoder, then one line per catalogue model."""
    env, settings_result = _settings_check(env)
    if env is None:
        skipped = "not checked: fix the settings first"
        names = ("config", "database", "Atlas Cloud", "Discord", "encoder")
        return [settings_result, *(_fail(n, skipped) for n in names)]
    results = [settings_result]
    register_secret(env.discord_token)
    register_secret(env.atlascloud_api_key)
    register_url(env.database_url)
    results.append(_config_check(env))
    database, atlas, discord, models = await asyncio.gather(
        _database_check(env),
        _atlas_check(env, env.atlascloud_api_key, timeout),
        _discord_check(env, env.discord_token, timeout),
        _models_check(env, timeout),
    )
    results += [database, atlas, discord]
    if env.dev_guild_id is not None and env.discord_token is not None and discord.ok:
        results.append(await _dev_guild_check(env, env.discord_token, env.dev_guild_id, timeout))
    live = env.atlas_mode == "live"
    if env.public_webhook_url is not None and live and env.atlascloud_api_key is not None:
        results.append(await _webhooks_check(env, env.atlascloud_api_key, timeout))
    results.append(await _encoder_check(env))
    return results + models


def render(results: Sequence[CheckResult]) -> str:
    """The report: one `OK`/`FAIL` line per check and a verdict, secrets redacted."""
    width = max(len(r.name) for r in results)
    lines = [f"{'OK  ' if r.ok else 'FAIL'}  {r.name:<{width}}  {r.detail}" for r in results]
    failed = sum(not r.ok for r in results)
    lines.append(
        "all checks passed: ready to run"
        if not failed
        else f"{failed} check{'s' if failed > 1 else ''} failed: fix the FAIL lines above"
    )
    return redact("\n".join(lines))


async def check_main(
    env: EnvSettings | None = None, *, out: TextIO | None = None, timeout: float = DEFAULT_TIMEOUT
) -> int:
    """Run every check and print the report; the exit code is 1 when any check failed."""
    results = await run_checks(env, timeout=timeout)
    print(render(results), file=out if out is not None else sys.stdout)
    return 0 if all(r.ok for r in results) else 1
