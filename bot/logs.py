"""Logging: one JSON object per line (or plain text), with every registered secret redacted.

`setup_logging` installs one handler on the root logger. Its filter replaces each value given
to `register_secret` (the Discord token, the Atlas key) by `***` in the message and its
arguments; its formatter redacts again the exception text and the whole line, so a secret that
reaches a log call by any path is not written.
"""

from __future__ import annotations

import json as jsonlib
import logging
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TextIO
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

from bot.settings import ConfigError, env_log_format, parse_log_format, plausible_secret

__all__ = [
    "CONTEXT_FIELDS",
    "REDACTED",
    "JsonFormatter",
    "RedactSecrets",
    "TextFormatter",
    "clear_secrets",
    "json_logs_from_env",
    "logging_configured",
    "redact",
    "register_secret",
    "register_url",
    "setup_logging",
    "url_secrets",
]

REDACTED = "***"
CONTEXT_FIELDS = ("job_id", "user_id", "guild_id", "prediction_id", "state")
"""Fields a log call may pass with `extra=` to say which job, member or server it is about."""

# Discord snowflakes exceed 2**53: written as strings, as Discord does, so log viewers in
# JavaScript keep every digit.
_SNOWFLAKE_FIELDS = frozenset({"user_id", "guild_id"})
_OURS = "_atlas_video_bot_handler"
_DISCORD_LOGGERS = ("discord", "discord.gateway")

_secrets: tuple[str, ...] = ()
_secrets_lock = threading.Lock()


def register_secret(value: str | SecretStr | None) -> None:
    """Never log this value again: every handler `setup_logging` installs writes `***` instead.

    Spaces around it are dropped; a value shorter than `MIN_SECRET_CHARS` then is ignored: it
    cannot be matched safely ("k" would turn every k of every line into `***`), and settings
    refuse such a token or key where it reaches the real service."""
    global _secrets
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None or not plausible_secret(value):
        return
    value = value.strip()
    with _secrets_lock:
        if value not in _secrets:
            # Longest first, so a secret that contains another is hidden whole.
            _secrets = tuple(sorted((*_secrets, value), key=len, reverse=True))


SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
"""Query parameters of a database URL that carry a secret (libpq's names)."""


def url_secrets(url: str) -> list[str]:
    """The secrets written in a database URL: the whole URL, the password of
    `user:password@` and the values of `password=` (and `sslpassword=`) in its query, as
    written and percent-decoded."""
    try:
        parts = urlsplit(url)
        found = [url] + ([parts.password] if parts.password else [])
    except ValueError:
        return [url]
    for piece in parts.query.split("&"):
        key, _, value = piece.partition("=")
        if unquote(key).lower() in SECRET_PARAMETERS and value:
            found += [value, unquote(value)]
    return list(dict.fromkeys(found))


def register_url(url: str | SecretStr | None) -> None:
    """Never log a database URL, nor the password it carries (see `url_secrets`)."""
    if isinstance(url, SecretStr):
        url = url.get_secret_value()
    for secret in url_secrets(url) if url else ():
        register_secret(secret)


def clear_secrets() -> None:
    """Forget every registered secret (for tests)."""
    global _secrets
    with _secrets_lock:
        _secrets = ()


def redact(text: str) -> str:
    """`text` with every registered secret replaced by `***`."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _redact_arg(arg: object) -> object:
    if isinstance(arg, str):
        return redact(arg)
    if not _secrets or isinstance(arg, int | float | bool) or arg is None:
        return arg
    try:
        text = str(arg)
    except Exception:  # a broken __str__ must not break logging
        return arg
    redacted = redact(text)
    return redacted if redacted != text else arg


class RedactSecrets(logging.Filter):
    """Replaces registered secrets in a record's message and arguments (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        elif record.msg is not None:
            record.msg = _redact_arg(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: _redact_arg(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(arg) for arg in record.args)
        for field in CONTEXT_FIELDS:
            value = record.__dict__.get(field)
            if isinstance(value, str):
                record.__dict__[field] = redact(value)
        return True


def _jsonable(value: object, *, snowflake: bool = False) -> Any:
    if isinstance(value, Enum):
        value = value.value
    if snowflake and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return redact(str(value))


def _iso(created: float) -> str:
    stamp = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str | None:
    parts: list[str] = []
    if record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    elif record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(formatter.formatStack(record.stack_info))
    return redact("\n".join(parts)) if parts else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for field in CONTEXT_FIELDS:
            if field in record.__dict__:
                entry[field] = _jsonable(
                    record.__dict__[field], snowflake=field in _SNOWFLAKE_FIELDS
                )
        exception = _exception_text(self, record)
        if exception is not None:
            entry["exception"] = exception
        return redact(jsonlib.dumps(entry, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """`time LEVEL logger message key=value...`, then the traceback, for reading in a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.message = redact(record.getMessage())
        record.asctime = self.formatTime(record)
        line = self.formatMessage(record)
        context = [
            f"{field}={_jsonable(record.__dict__[field])}"
            for field in CONTEXT_FIELDS
            if field in record.__dict__
        ]
        if context:
            line += " " + " ".join(context)
        exception = _exception_text(self, record)
        if exception is not None:
            line += "\n" + exception
        return redact(line)


def json_logs_from_env(
    environ: Mapping[str, str] | None = None, *, stream: TextIO | None = None
) -> bool:
    """True for JSON lines, False for text: as `LOG_FORMAT` says (`json` or `text`; anything
    else is a `ConfigError`), and when it is unset, text if the log goes to a terminal
    (`stream`, stderr by default) and JSON otherwise (Docker, systemd, a file), which is what
    people reading it there expect.

    LOG_FORMAT comes from the environment or `.env` (`settings.env.log_format` holds the same
    value once settings are loaded); `environ`, when given, is read instead (tests)."""
    choice: object
    if environ is None:
        choice = env_log_format()
    else:
        try:
            choice = parse_log_format(environ.get("LOG_FORMAT", ""))
        except ValueError as exc:
            raise ConfigError(f"LOG_FORMAT: {exc}") from None
    if choice is None:
        return not _is_terminal(stream if stream is not None else sys.stderr)
    return choice == "json"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no such method, or a closed stream
        return False


def setup_logging(
    level: int | str, *, json: bool = True, stream: TextIO | None = None
) -> logging.Handler:
    """Send every log record to `stream` (stderr) as JSON lines or text, secrets redacted.

    Calling it again replaces the handler it installed before. At INFO and above, discord.py
    says only warnings, except the gateway's connect/resume lines.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    handler.addFilter(RedactSecrets())
    setattr(handler, _OURS, True)
    root.addHandler(handler)
    root.setLevel(level)
    numeric = root.level
    if numeric <= logging.DEBUG:
        for name in _DISCORD_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
    else:
        # A child logger's own level decides for records it propagates, so never go below root.
        logging.getLogger("discord").setLevel(max(logging.WARNING, numeric))
        logging.getLogger("discord.gateway").setLevel(max(logging.INFO, numeric))
    return handler


@contextmanager
def logging_configured(
    level: int | str, *, json: bool = True, stream: TextIO | None = None
) -> Iterator[logging.Handler]:
    """`setup_logging` for the length of a block, then the previous logging set-up back.

    The CLI runs its commands in one, so calling `main()` in-process (tests) leaves no handler
    behind on a stream that may be closed by then.
    """
    root = logging.getLogger()
    saved_level = root.level
    saved_discord = {name: logging.getLogger(name).level for name in _DISCORD_LOGGERS}
    handler = setup_logging(level, json=json, stream=stream)
    try:
        yield handler
    finally:
        handler.flush()
        root.removeHandler(handler)
        root.setLevel(saved_level)
        for name, saved in saved_discord.items():
            logging.getLogger(name).setLevel(saved)
