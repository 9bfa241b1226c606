"""Fixtures for the simulator tests: a running simulator and a plain aiohttp session."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.settings import Settings
from bot.sim import AtlasSimulator

KEY = "sim-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a baseline JPEG: SOI, a JFIF APP0 segment, then the frame header."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00" * 3
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xda" + b"\x00" * 64


def webp_header(width: int, height: int, kind: str = "VP8X") -> bytes:
    """A WebP file header of the given chunk kind."""
    if kind == "VP8X":
        payload = b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little")
        payload += (height - 1).to_bytes(3, "little")
    elif kind == "VP8L":
        bits = (width - 1) | ((height - 1) << 14)
        payload = b"\x2f" + struct.pack("<I", bits)
    else:
        payload = b"\x00\x00\x00\x9d\x01\x2a" + struct.pack("<HH", width, height)
    chunk = kind.encode().ljust(4) + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk + b"\x00" * 32


@pytest.fixture
async def sim(settings: Settings) -> AsyncIterator[AtlasSimulator]:
    async with AtlasSimulator(settings.catalogue, api_key=KEY, generation_seconds=0.1) as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
