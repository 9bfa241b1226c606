"""Settings: secrets and endpoints from the environment (or `.env`), the rest from a TOML file.

`load()` is the one entry point. A missing or malformed setting raises `ConfigError`, whose
message is a single line naming the setting, for the command line to print instead of a
traceback.

Longer than most modules: it is every setting the bot reads, each with its validation and
its one-line error, in the order of `config/bot.toml` (a test keeps the two in step).
"""

from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from yarl import URL

from bot.catalogue import Catalogue, LlmSpec, ModelKind, ModelSpec
from bot.money import Micros, usd

DISCORD_API_BASE_URL = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
ATLAS_BASE_URL = "https://api.atlascloud.ai/api/v1"
SIMULATOR_KEY = SecretStr("dry-run")
MIN_SECRET_CHARS = 8
"""Shorter tokens and keys are refused (real ones are dozens of characters) and never redacted."""
MAX_WEBHOOK_URL_CHARS = 1024 - 66
"""Atlas takes a webhook_url of at most 1,024 characters; each job's adds "/{job id}/{token}"
(1 + 32 + 1 + 32) to PUBLIC_WEBHOOK_URL (see `bot.jobs.callbacks`)."""
DRY_RUN_MARK = "simulate"
DRY_RUN_ON_POSTGRES = (
    "ATLAS_MODE=simulate with DATABASE_URL would mix simulated charges into the real ledger: "
    "unset DATABASE_URL for a dry run"
)


LOCAL_CONFIG = Path("config/bot.toml")
"""The config file of a clone or of the Docker image, relative to the working folder."""

PACKAGED_CONFIG = Path(__file__).resolve().parent / "config" / "bot.toml"
"""The shipped config/bot.toml, installed inside the package (package data)."""


def default_config() -> Path:
    """The config file when BOT_CONFIG is unset: ./config/bot.toml if it exists (a clone, the
    Docker image), else the shipped defaults inside the package, so the command line works
    from any folder."""
    return LOCAL_CONFIG if LOCAL_CONFIG.is_file() else PACKAGED_CONFIG


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line that names it."""


LogFormat = Literal["json", "text"]
_Part = TypeVar("_Part", bound=BaseSettings)
DEFAULT_HEALTH_FILE = Path("data/health.json")
_FROM_ENV = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")


def parse_log_format(value: object) -> object:
    """ "json" or "text", in any case; None when blank (chosen by where the log goes, see
    `bot.logs.json_logs_from_env`); ValueError for anything else."""
    if not isinstance(value, str):
        return value
    choice = value.strip().lower()
    if not choice:
        return None
    if choice not in ("json", "text"):
        raise ValueError(f"must be json or text, not {value!r}")
    return choice


class LogEnv(BaseSettings):
    """LOG_FORMAT on its own, so logging can be set up without reading every other setting."""

    model_config = _FROM_ENV

    # Unset: text when the log goes to a terminal, JSON lines otherwise (Docker, systemd).
    log_format: LogFormat | None = None

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> object:
        return parse_log_format(value)


class HealthEnv(BaseSettings):
    """HEALTH_FILE on its own: the health check reads it even when other settings are broken."""

    model_config = _FROM_ENV

    # The heartbeat the bot writes and `atlas-video-bot health` reads.
    health_file: Path = DEFAULT_HEALTH_FILE

    @field_validator("health_file", mode="before")
    @classmethod
    def _blank_is_default(cls, value: object) -> object:
        return DEFAULT_HEALTH_FILE if isinstance(value, str) and not value.strip() else value


class EnvSettings(LogEnv, HealthEnv):
    """What comes from the environment: secrets, endpoints, paths."""

    model_config = _FROM_ENV

    discord_token: SecretStr | None = None
    atlascloud_api_key: SecretStr | None = None
    atlas_base_url: str = ATLAS_BASE_URL
    # With ATLAS_MODE=simulate, the sibling data/bot.simulate.sqlite3 (see `dry_run_ledger`).
    database_path: Path = Path("data/bot.sqlite3")
    # postgresql://user:password@host/db: the ledger and jobs live there (several processes may
    # share it); unset: the SQLite file at DATABASE_PATH.
    database_url: SecretStr | None = None
    # Sharding: SHARD_COUNT shards in all, this process runs SHARD_IDS ("0-3" or "2,5"; all
    # of them when unset). Neither set: one process, one connection, as before.
    shard_count: Annotated[int, Field(ge=1)] | None = None
    shard_ids: str | None = None
    discord_api_base_url: str = DISCORD_API_BASE_URL
    discord_gateway_url: str = DISCORD_GATEWAY_URL
    dev_guild_id: int | None = None
    # Unset: ./config/bot.toml when there is one, else the copy inside the package.
    bot_config: Path = Field(default_factory=default_config)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # "simulate": a built-in Atlas simulator replaces Atlas Cloud (a zero-cost dry run).
    atlas_mode: Literal["live", "simulate"] = "live"
    # Where Atlas can reach this bot (https://bot.example.org/atlas/webhook): Atlas calls it
    # when a video is ready, and the bot polls only as a slow safety net. Unset: it polls.
    public_webhook_url: str | None = None
    # Where the webhook endpoint listens (behind the proxy that serves PUBLIC_WEBHOOK_URL).
    webhook_host: str = "0.0.0.0"  # noqa: S104 - in a container, the proxy is another host
    webhook_port: Annotated[int, Field(ge=0, le=65535)] = 8080
    # Prometheus metrics at http://METRICS_HOST:METRICS_PORT/metrics; unset: no endpoint.
    metrics_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    metrics_host: str = "0.0.0.0"  # noqa: S104 - in a container, Prometheus is another host

    @field_validator("atlas_base_url", "discord_api_base_url", "discord_gateway_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "ws://", "wss://")):
            raise ValueError("must be an http(s) or ws(s) URL")
        return value.rstrip("/") if not value.startswith("ws") else value

    @field_validator(
        "discord_token",
        "atlascloud_api_key",
        "database_url",
        "shard_count",
        "shard_ids",
        "dev_guild_id",
        "public_webhook_url",
        "metrics_port",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("dev_guild_id")
    @classmethod
    def _server_id(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError(
                "must be a Discord server id (right-click the server > Copy Server ID), "
                f"not {value}; leave it empty to sync the commands to every server"
            )
        return value

    @field_validator("public_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        scheme, _, rest = value.partition("://")
        if scheme not in ("http", "https") or not rest or rest.startswith("/"):
            raise ValueError(
                "must be the https URL where Atlas reaches the bot, e.g. "
                "https://bot.example.org/atlas/webhook (unset: the bot polls)"
            )
        if len(value) > MAX_WEBHOOK_URL_CHARS:
            raise ValueError(
                f"at most {MAX_WEBHOOK_URL_CHARS} characters (Atlas takes 1,024, and each job's "
                "webhook URL adds its id and a token)"
            )
        return value

    @property
    def webhook_path(self) -> str:
        """The path the webhook endpoint serves: PUBLIC_WEBHOOK_URL's."""
        if self.public_webhook_url is None:
            return "/"
        return URL(self.public_webhook_url).path or "/"

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("postgresql://", "postgres://")
        ):
            raise ValueError("must start with postgresql:// (unset: the SQLite DATABASE_PATH)")
        return value

    @field_validator("shard_ids")
    @classmethod
    def _shard_list(cls, value: str | None) -> str | None:
        if value is not None:
            parse_shard_ids(value)
        return value

    @model_validator(mode="after")
    def _dry_run_ledger(self) -> EnvSettings:
        # A dry run must never spend real budgets: its charges go to a ledger of its own.
        if self.atlas_mode == "simulate":
            if self.database_url is not None:
                raise ValueError(DRY_RUN_ON_POSTGRES)
            self.database_path = dry_run_ledger(self.database_path)
        return self

    @model_validator(mode="after")
    def _plausible_secrets(self) -> EnvSettings:
        # "k" or " " is a slip of the hand, and too short to be redacted from logs. Checked
        # where the value reaches the real service only: a dry run's key unlocks the built-in
        # simulator, and a simulator or fake at another URL may accept any key.
        for name, secret, real, where in (
            (
                "DISCORD_TOKEN",
                self.discord_token,
                self.discord_api_base_url == DISCORD_API_BASE_URL,
                "the Discord developer portal (Bot > Reset Token)",
            ),
            (
                "ATLASCLOUD_API_KEY",
                self.atlascloud_api_key,
                self.atlas_mode == "live" and self.atlas_base_url == ATLAS_BASE_URL,
                "the Atlas Cloud console (API keys)",
            ),
        ):
            if real and secret is not None and not plausible_secret(secret.get_secret_value()):
                raise ValueError(
                    f"{name} looks wrong: too short (a real one has dozens of characters); "
                    f"copy it again from {where}"
                )
        return self

    @model_validator(mode="after")
    def _https_for_atlas(self) -> EnvSettings:
        # Atlas Cloud refuses a plain-http webhook_url (400, every submit): say so at start.
        url = self.public_webhook_url
        real = self.atlas_mode == "live" and self.atlas_base_url == ATLAS_BASE_URL
        if not real or url is None:
            return self
        if not url.startswith("https://"):
            raise ValueError(
                "PUBLIC_WEBHOOK_URL must be https: Atlas Cloud refuses to call plain http "
                "(put the bot behind a TLS proxy, or unset it to poll)"
            )
        host = URL(url).host or ""
        if not _publicly_routable(host):
            raise ValueError(
                f"PUBLIC_WEBHOOK_URL must be reachable from the internet, not {host}: "
                "Atlas Cloud refuses such a URL (every submit would fail); give your proxy's "
                "public name, or unset it to poll"
            )
        return self

    @property
    def shards(self) -> tuple[int, tuple[int, ...]] | None:
        """(shard count, the shard ids this process runs), or None: no sharding."""
        if self.shard_count is None and self.shard_ids is None:
            return None
        ids = parse_shard_ids(self.shard_ids) if self.shard_ids is not None else None
        count = self.shard_count if self.shard_count is not None else max(ids or (0,)) + 1
        if ids is None:
            ids = tuple(range(count))
        if max(ids) >= count:
            raise ConfigError(
                f"SHARD_IDS: shard {max(ids)} does not exist when SHARD_COUNT is {count}"
            )
        return count, ids


def _publicly_routable(host: str) -> bool:
    """False for localhost and for loopback, private and link-local addresses."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith((".localhost", ".local", ".internal")):
        return False
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return True  # a name: only DNS knows
    return address.is_global


def plausible_secret(value: str) -> bool:
    """Long enough, spaces around it aside, to be a real token or key (and to be redacted)."""
    return len(value.strip()) >= MIN_SECRET_CHARS


def dry_run_ledger(path: Path) -> Path:
    """The dry run's sibling of the SQLite ledger: data/bot.sqlite3 -> data/bot.simulate.sqlite3.

    Idempotent, so settings loaded twice (or from a dry run's own path) name the same file."""
    if DRY_RUN_MARK in path.name.split(".")[1:]:
        return path
    return path.with_name(f"{path.stem}.{DRY_RUN_MARK}{path.suffix}")


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """ "0-3" -> (0, 1, 2, 3); "2,5" -> (2, 5); ranges and lists mix ("0-1,4")."""
    ids: set[int] = set()
    for part in text.replace(" ", "").split(","):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f'write shard ids as "0-3" or "2,5", not {text!r}')
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(f"the range {part} runs backwards")
        ids.update(range(first, last + 1))
    return tuple(sorted(ids))


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Defaults(_Section):
    """What a member gets when an option is left out."""

    text_to_video_model: str
    image_to_video_model: str
    duration: int = 8
    aspect_ratio: str = "16:9"
    resolution: str = "1080p"


def _usd_field(value: object) -> Micros:
    if isinstance(value, float):
        raise ValueError('write USD amounts as strings, e.g. "5.00", so they stay exact')
    if not isinstance(value, str | int):
        raise ValueError('must be a USD amount such as "5.00"')
    return usd(value)


class BudgetConfig(_Section):
    """Default limits; admins override them per user, role and server at run time."""

    period: Literal["day", "week", "month"] = "month"
    timezone: str = "UTC"
    default_user_limit: Micros = Field(validation_alias="default_user_limit_usd")
    default_guild_cap: Micros = Field(validation_alias="default_guild_cap_usd")
    # The operator's whole Atlas bill per period, across every server; None: no such cap.
    default_bot_cap: Micros | None = Field(None, validation_alias="default_bot_cap_usd")
    max_concurrent_jobs_per_user: Annotated[int, Field(ge=1)] = 2
    max_concurrent_jobs_per_guild: Annotated[int, Field(ge=1)] = 10
    # Beyond those, jobs wait in line (their price held) up to these many; then refused.
    max_waiting_jobs_per_user: Annotated[int, Field(ge=0)] = 0
    max_waiting_jobs_per_guild: Annotated[int, Field(ge=0)] = 0
    hold_ttl_seconds: Annotated[int, Field(gt=0)] = 900
    uncertain_release_hours: Annotated[float, Field(gt=0)] = 72.0

    @field_validator("default_user_limit", "default_guild_cap", "default_bot_cap", mode="before")
    @classmethod
    def _parse_usd(cls, value: object) -> Micros | None:
        return None if value is None else _usd_field(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The time zone that sets period boundaries."""
        return ZoneInfo(self.timezone)

    @property
    def max_open_jobs_per_user(self) -> int:
        """Jobs one member may have held at once: running, plus waiting in line."""
        return self.max_concurrent_jobs_per_user + self.max_waiting_jobs_per_user

    @property
    def max_open_jobs_per_guild(self) -> int:
        """Jobs one server may have held at once: running, plus waiting in line."""
        return self.max_concurrent_jobs_per_guild + self.max_waiting_jobs_per_guild


class PollingConfig(_Section):
    """How the bot waits for Atlas to finish a video."""

    interval_seconds: Annotated[float, Field(gt=0)] = 3.0
    # Around a job's learned expected finish, poll this often (never slower than the above):
    # 2.5 s keeps the member's wait after completion at ~1.3 s median and under 3 s always.
    tight_interval_seconds: Annotated[float, Field(gt=0)] = 2.5
    total_timeout_seconds: Annotated[float, Field(gt=0)] = 600.0
    not_registered_grace_seconds: Annotated[float, Field(ge=0)] = 30.0
    # With PUBLIC_WEBHOOK_URL set, Atlas says when a job ends; the bot still polls, this
    # seldom, from the latest it expects the job to end, in case a call is lost.
    webhook_safety_interval_seconds: Annotated[float, Field(gt=0)] = 30.0


class JobsConfig(_Section):
    """How many jobs the bot runs at once, across every server."""

    max_in_flight: Annotated[int, Field(ge=1)] = 20
    # How long a process's hold on a job (its lease) lasts unless renewed: after a process
    # dies, the next one to start takes its jobs over once this has passed.
    lease_seconds: Annotated[float, Field(gt=0)] = 90.0


class AttachmentsConfig(_Section):
    """What /animate accepts before it downloads anything."""

    allowed_hosts: tuple[str, ...] = ("cdn.discordapp.com", "media.discordapp.net")
    max_bytes: Annotated[int, Field(gt=0)] = 20_000_000
    min_side_px: Annotated[int, Field(gt=0)] = 128
    content_types: tuple[str, ...] = ("image/png", "image/jpeg", "image/webp")


class OperatorConfig(_Section):
    """What the person who pays Atlas watches: the balance, reconciliation, metrics."""

    balance_check_minutes: Annotated[float, Field(gt=0)] = 10.0
    # Below this, one WARNING line and one message in the alert channel per crossing.
    low_balance: Micros = Field(usd("10.00"), validation_alias="low_balance_usd")
    # A Discord channel id for the operator's alerts; None: the log only.
    alert_channel_id: Annotated[int, Field(gt=0)] | None = None
    # `reconcile` exits 1 when the ledger and Atlas differ by more than this on a day.
    reconcile_tolerance: Micros = Field(usd("0.10"), validation_alias="reconcile_tolerance_usd")
    # Label metrics with server ids (more series; off: one series for every server).
    metrics_per_guild: bool = False

    @field_validator("low_balance", "reconcile_tolerance", mode="before")
    @classmethod
    def _parse_usd(cls, value: object) -> Micros:
        return _usd_field(value)


class AlertsConfig(_Section):
    """When members, admins and the operator hear that a budget is running out."""

    # Percent of a member's limit, a server's cap and the bot-wide cap; each is said once
    # per period (members privately, admins in the log channel, the operator in its channel).
    thresholds_percent: tuple[Annotated[int, Field(gt=0, le=1000)], ...] = (80, 100)

    @field_validator("thresholds_percent")
    @classmethod
    def _ascending(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted(set(value)))


class DeliveryConfig(_Section):
    """How a finished video reaches Discord: transcoded to fit the destination's upload limit."""

    # The ffmpeg to use; empty: imageio-ffmpeg's bundled one, else `ffmpeg` on PATH.
    encoder_path: str = ""
    # Beyond this many MB (1,000,000 bytes) the bot never downloads a video: it gives the link.
    max_download_mb: Annotated[int, Field(gt=0)] = 500
    # Encoders running at once (each uses the cores the others leave); 0: one per CPU.
    max_encoders: Annotated[int, Field(ge=0)] = 0
    encode_timeout_seconds: Annotated[float, Field(gt=0)] = 300.0
    # A download from Atlas's storage that fails (5xx, 429, the network) is tried again, with
    # a growing pause, for this long; then the member gets the link and hears it failed.
    download_retry_minutes: Annotated[float, Field(gt=0)] = 10.0
    # Never smaller than this to fit: a smaller picture is not worth it, the link is better.
    min_resolution: Literal["360p", "480p", "720p"] = "480p"

    @property
    def min_short_side(self) -> int:
        """`min_resolution` as pixels on the short side (480 for "480p")."""
        return int(self.min_resolution.removesuffix("p"))

    @property
    def max_download_bytes(self) -> int:
        """`max_download_mb` in bytes."""
        return self.max_download_mb * 1_000_000

    @property
    def download_retry_seconds(self) -> float:
        """`download_retry_minutes` in seconds."""
        return self.download_retry_minutes * 60


class PrivacyConfig(_Section):
    """How long the bot keeps what members typed and the links of their videos."""

    # A job's prompt, image and video links and the member's roles are blanked this many days
    # after the job ended; its money rows (what was charged) are kept.
    keep_job_details_days: Annotated[int, Field(ge=1)] = 90


def _model_tag(raw: object) -> str:
    """Which table a `[[models]]` entry is: a chat model (`kind = "llm"`) or a video model."""
    if isinstance(raw, LlmSpec) or (isinstance(raw, dict) and raw.get("kind") == "llm"):
        return "llm"
    return "video"


AnyModel = Annotated[
    Annotated[ModelSpec, Tag("video")] | Annotated[LlmSpec, Tag("llm")],
    Discriminator(_model_tag),
]
"""One `[[models]]` table, video or chat model."""


class FileConfig(_Section):
    """The whole TOML config file."""

    defaults: Defaults
    budget: BudgetConfig
    polling: PollingConfig = PollingConfig()
    jobs: JobsConfig = JobsConfig()
    attachments: AttachmentsConfig = AttachmentsConfig()
    operator: OperatorConfig = OperatorConfig()
    alerts: AlertsConfig = AlertsConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    models: list[AnyModel]


class Settings:
    """Everything the bot is configured with: environment plus config file plus catalogue."""

    def __init__(self, env: EnvSettings, file: FileConfig) -> None:
        self.env = env
        self.defaults = file.defaults
        self.budget = file.budget
        self.polling = file.polling
        self.jobs = file.jobs
        self.attachments = file.attachments
        self.operator = file.operator
        self.alerts = file.alerts
        self.delivery = file.delivery
        self.privacy = file.privacy
        self.catalogue = Catalogue(file.models)
        self._check_defaults()

    def _check_defaults(self) -> None:
        for model_id, kind in (
            (self.defaults.text_to_video_model, ModelKind.TEXT_TO_VIDEO),
            (self.defaults.image_to_video_model, ModelKind.IMAGE_TO_VIDEO),
        ):
            if model_id not in self.catalogue:
                raise ConfigError(
                    f"config: defaults name model {model_id!r}, which is not in [[models]]"
                )
            model = self.catalogue.get(model_id)
            if model.kind is not kind:
                raise ConfigError(f"config: default model {model_id!r} is not a {kind} model")
            # Jobs would quietly get another value; say so at start-up instead.
            for key, value, offered in (
                ("duration", self.defaults.duration, model.durations),
                ("resolution", self.defaults.resolution, model.resolutions),
                ("aspect_ratio", self.defaults.aspect_ratio, model.aspect_ratios),
            ):
                if value not in offered:
                    choices = ", ".join(repr(option) for option in offered)
                    raise ConfigError(
                        f"config: [defaults] {key} = {value!r}: "
                        f"the default model {model_id} offers {choices}"
                    )

    @property
    def simulated(self) -> bool:
        """A dry run: jobs go to the built-in simulator and nothing is billed."""
        return self.env.atlas_mode == "simulate"

    def require_secrets(self) -> tuple[SecretStr, SecretStr]:
        """The Discord token and Atlas key, or `ConfigError` naming the one that is missing."""
        if self.env.discord_token is None:
            raise ConfigError(
                "DISCORD_TOKEN is not set: put your bot token in the environment or in .env"
            )
        if self.simulated:
            return self.env.discord_token, self.env.atlascloud_api_key or SIMULATOR_KEY
        if self.env.atlascloud_api_key is None:
            raise ConfigError(
                "ATLASCLOUD_API_KEY is not set: "
                "put your Atlas Cloud API key in the environment or in .env"
            )
        return self.env.discord_token, self.env.atlascloud_api_key

    def require_atlas_key(self) -> SecretStr:
        """The Atlas key alone (commands that never reach Discord), or `ConfigError`."""
        if self.env.atlascloud_api_key is None:
            raise ConfigError(
                "ATLASCLOUD_API_KEY is not set: "
                "put your Atlas Cloud API key in the environment or in .env"
            )
        return self.env.atlascloud_api_key


def _one_line(error: ValidationError, *, env: bool) -> str:
    first = error.errors()[0]
    parts = list(first["loc"])
    if parts[:1] == ["models"] and len(parts) > 2 and parts[2] in ("video", "llm"):
        del parts[2]  # the union's tag, not a key of the file
    location = ".".join(str(part) for part in parts)
    message = first["msg"].removeprefix("Value error, ")
    if not location:  # a check across settings: its message names them itself
        return message
    name = location.upper() if env else location
    return f"{name}: {message}"


def _read_env(part: type[_Part], overrides: dict[str, object]) -> _Part:
    try:
        return part(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, env=True)) from None


def load_env(**overrides: object) -> EnvSettings:
    """Read the environment (and `.env`); `overrides` win, for tests and the CLI."""
    return _read_env(EnvSettings, overrides)


def env_log_format() -> LogFormat | None:
    """LOG_FORMAT from the environment or `.env`, without reading the other settings (None:
    unset)."""
    return _read_env(LogEnv, {}).log_format


def env_health_file() -> Path:
    """HEALTH_FILE from the environment or `.env`, without reading the other settings."""
    return _read_env(HealthEnv, {}).health_file


def load_file(path: Path) -> FileConfig:
    """Parse and validate the TOML config file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"BOT_CONFIG: config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"BOT_CONFIG: {path} is not valid TOML: {exc}") from None
    try:
        return FileConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_one_line(exc, env=False)}") from None


def load(env: EnvSettings | None = None) -> Settings:
    """Load the whole configuration, or raise `ConfigError` with one clear line."""
    env = env or load_env()
    try:
        return Settings(env, load_file(env.bot_config))
    except ValueError as exc:  # e.g. a model listed twice
        raise ConfigError(f"{env.bot_config}: {exc}") from None
