"""Finding the encoder: an ffmpeg that can write H.264 (libx264) and AAC.

The order, first that works wins:

1. the configured path (`[delivery] encoder_path`): the operator's explicit choice always wins,
   and when it does not work that is an error, never a silent fall-back to another binary;
2. the ffmpeg bundled with the `imageio-ffmpeg` package: a static build of a known version
   with libx264 and AAC, the one the tests and `bench/transcode.py` measured, the same on
   every host and in the container image;
3. `ffmpeg` on PATH: for platforms without an imageio-ffmpeg binary (musl, unusual CPUs).
   It comes last because a system build may be years old or lack libx264 (Fedora's
   ffmpeg-free, for one); an operator who prefers it names it in `encoder_path`.

Each candidate is run (`-version`, `-encoders`) before it is trusted; the result is cached
per configured path, so the probing happens once per process.
"""

from __future__ import annotations

import asyncio
import importlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.transcode.errors import NoEncoder
from bot.transcode.process import capture

EncoderOrigin = Literal["configured", "bundled", "path"]
REQUIRED_ENCODERS = ("libx264", "aac")
CHECK_TIMEOUT_SECONDS = 20.0
HOW_TO_FIX = (
    "install the bot's dependencies (pip install atlas-video-bot pulls imageio-ffmpeg, which "
    "bundles ffmpeg), or install ffmpeg with libx264 and put it on PATH, or set "
    "[delivery] encoder_path to one"
)


@dataclass(frozen=True)
class Encoder:
    """A working ffmpeg: where it is, its version line, and how it was found."""

    path: str
    version: str
    origin: EncoderOrigin


_found: dict[str, Encoder] = {}


async def find_encoder(configured: str | Path | None = None) -> Encoder:
    """The encoder to use (see the module's docstring for the order), or `NoEncoder` saying
    what to do. Cached: later calls with the same `configured` answer at once."""
    key = str(configured or "")
    cached = _found.get(key)
    if cached is not None:
        return cached
    if key:
        encoder = await _try(key, "configured")
        if isinstance(encoder, str):
            raise NoEncoder(f"encoder_path {key}: {encoder}; fix the path or leave it empty")
    else:
        encoder = await _first_working()
    _found[key] = encoder
    return encoder


def forget_encoders() -> None:
    """Drop the cache (for tests, or after the operator installed another ffmpeg)."""
    _found.clear()


async def _first_working() -> Encoder:
    problems: list[str] = []
    candidates: list[tuple[EncoderOrigin, str, str | None]] = [
        ("bundled", "imageio-ffmpeg's ffmpeg", await _bundled()),
        ("path", "ffmpeg on PATH", shutil.which("ffmpeg")),
    ]
    for origin, name, path in candidates:
        if path is None:
            problems.append(f"no {name}")
            continue
        found = await _try(path, origin)
        if isinstance(found, Encoder):
            return found
        problems.append(f"{name} ({path}) {found}")
    raise NoEncoder(f"no working ffmpeg ({'; '.join(problems)}): {HOW_TO_FIX}")


async def _bundled() -> str | None:
    """imageio-ffmpeg's binary, when the package and a binary for this platform are there."""
    try:
        module = importlib.import_module("imageio_ffmpeg")
    except ImportError:
        return None
    try:
        # It runs `ffmpeg -version` itself, once (cached): keep that off the event loop.
        exe = await asyncio.to_thread(module.get_ffmpeg_exe)
    except RuntimeError:
        return None
    return str(exe)


async def _try(path: str, origin: EncoderOrigin) -> Encoder | str:
    """The encoder at `path`, or a short reason why it does not do."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            version = await _output([path, "-hide_banner", "-version"])
            encoders = await _output([path, "-hide_banner", "-encoders"])
    except FileNotFoundError:
        return "does not exist"
    except PermissionError:
        return "is not executable"
    except OSError as exc:
        return f"cannot run ({exc.strerror or exc})"
    except TimeoutError:
        return f"did not answer within {CHECK_TIMEOUT_SECONDS:.0f} s"
    if version is None or not version.startswith("ffmpeg version"):
        return "is not ffmpeg"
    names = {line.split()[1] for line in (encoders or "").splitlines() if len(line.split()) > 1}
    missing = [name for name in REQUIRED_ENCODERS if name not in names]
    if missing:
        return f"lacks the {' and '.join(missing)} encoder (needs a build with libx264)"
    first_line = version.splitlines()[0]
    return Encoder(path=path, version=first_line.split()[2], origin=origin)


async def _output(argv: list[str]) -> str | None:
    """Stdout of a short command, or None when it failed."""
    returncode, stdout = await capture(argv)
    return stdout if returncode == 0 else None
