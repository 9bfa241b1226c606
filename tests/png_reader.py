"""Reading back the PNG charts the bot draws (8-bit RGB, unfiltered rows), to assert on pixels."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Picture:
    """A decoded RGB picture."""

    width: int
    height: int
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> bytes:
        """The RGB triple at (x, y)."""
        return self.rows[y][x * 3 : x * 3 + 3]

    def columns_with(self, colour: bytes) -> list[int]:
        """The x of every column holding at least one pixel of `colour`."""
        return [
            x
            for x in range(self.width)
            if any(self.pixel(x, y) == colour for y in range(self.height))
        ]


def read_png(data: bytes) -> Picture:
    """Decode a PNG of the bot's kind; AssertionError for anything else (or a damaged file)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature"
    at, chunks = 8, {}
    idat = b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        if kind == b"IDAT":
            idat += body
        chunks[kind] = body
        at += 12 + length
    assert b"IEND" in chunks, "IEND chunk"
    width, height, depth, colour_type, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour_type) == (8, 2), "8-bit RGB"
    raw = zlib.decompress(idat)
    stride = width * 3 + 1
    assert len(raw) == stride * height
    rows = []
    for y in range(height):
        assert raw[y * stride] == 0, "unfiltered rows"
        rows.append(raw[y * stride + 1 : (y + 1) * stride])
    return Picture(width, height, rows)
