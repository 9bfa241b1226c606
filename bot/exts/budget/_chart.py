"""A small PNG bar chart of daily spend, drawn by hand: an RGB canvas, a 3x5 digit font, zlib.

One bar per day of the budget period (today's brighter, days to come empty), a dotted line at
the even pace that would spend the whole budget by the reset, the tallest amount in USD at the
top left and day numbers underneath. No imaging library: the whole picture is a few rectangles.
Rendering is CPU work: call `spend_chart_png` through `asyncio.to_thread`.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from bot.jobs.forecast import DaySpend
from bot.money import MICROS_PER_USD, Micros

WIDTH, HEIGHT = 480, 180
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 14, 22
SCALE = 2  # font pixels per glyph pixel

Colour = bytes
BACKGROUND: Colour = bytes((0x2B, 0x2D, 0x31))  # Discord's dark theme
AXIS: Colour = bytes((0x80, 0x84, 0x8E))
BAR: Colour = bytes((0x58, 0x65, 0xF2))  # blurple
TODAY: Colour = bytes((0x9B, 0xA4, 0xFF))
PACE: Colour = bytes((0xFE, 0xE7, 0x5C))
TEXT: Colour = bytes((0xDB, 0xDE, 0xE1))

# 3x5 glyphs, one string of 15 bits per character, row by row.
_GLYPHS = {
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "111001111100111",
    "3": "111001111001111",
    "4": "101101111001001",
    "5": "111100111001111",
    "6": "111100111101111",
    "7": "111001001001001",
    "8": "111101111101111",
    "9": "111101111001111",
    ".": "000000000000010",
}


class Canvas:
    """An RGB picture in a bytearray, with just enough drawing for a bar chart."""

    def __init__(self, width: int, height: int, background: Colour) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(background * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour: Colour) -> None:
        """Fill [x0, x1) x [y0, y1), clipped to the canvas."""
        x0, x1 = max(0, x0), min(self.width, x1)
        if x1 <= x0:
            return
        for y in range(max(0, y0), min(self.height, y1)):
            start = (y * self.width + x0) * 3
            self.pixels[start : start + (x1 - x0) * 3] = colour * (x1 - x0)

    def text(self, x: int, y: int, text: str, colour: Colour) -> None:
        """Digits and dots at (x, y), top left, in the 3x5 font at `SCALE`."""
        for char in text:
            bits = _GLYPHS.get(char)
            if bits is not None:
                for index, bit in enumerate(bits):
                    if bit == "1":
                        gx, gy = x + (index % 3) * SCALE, y + (index // 3) * SCALE
                        self.rect(gx, gy, gx + SCALE, gy + SCALE, colour)
            x += 4 * SCALE

    def png(self) -> bytes:
        """The picture as a PNG file (8-bit RGB, no filtering, zlib-compressed)."""
        row = self.width * 3
        raw = b"".join(b"\x00" + self.pixels[y * row : (y + 1) * row] for y in range(self.height))

        def chunk(kind: bytes, data: bytes) -> bytes:
            crc = zlib.crc32(kind + data) & 0xFFFFFFFF
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def _usd(micros: Micros) -> str:
    return f"{(Decimal(micros) / MICROS_PER_USD).quantize(Decimal('0.01'))}"


def spend_chart_png(days: Sequence[DaySpend], *, today: date, budget: Micros | None) -> bytes:
    """Bars of daily spend over the period; `budget` draws the even-pace line (None: none)."""
    canvas = Canvas(WIDTH, HEIGHT, BACKGROUND)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(1, len(days))
    even_pace = budget // count if budget else 0
    top = max([d.amount for d in days] + [even_pace, 1])
    slot = plot_w / count
    bar = max(1, int(slot * 0.7))
    base = TOP + plot_h
    label_every = -(-count // 10)  # about ten day labels at most
    for index, spend in enumerate(days):
        x = LEFT + int(index * slot + (slot - bar) / 2)
        height = spend.amount * plot_h // top
        if spend.amount > 0:
            height = max(height, 2)  # a cent still shows
        colour = TODAY if spend.day == today else BAR
        canvas.rect(x, base - height, x + bar, base, colour)
        if index % label_every == 0:
            canvas.text(x, base + 6, str(spend.day.day), TEXT)
    canvas.rect(LEFT - 2, TOP, LEFT, base + 2, AXIS)
    canvas.rect(LEFT - 2, base, WIDTH - RIGHT, base + 2, AXIS)
    if even_pace:
        y = base - even_pace * plot_h // top
        for x in range(LEFT, WIDTH - RIGHT, 8):
            canvas.rect(x, y, x + 4, y + 1, PACE)
    canvas.text(2, TOP, _usd(top if top > 1 else 0), TEXT)
    canvas.text(2, base - 10, "0", TEXT)
    return canvas.png()


__all__ = ["HEIGHT", "WIDTH", "Canvas", "spend_chart_png"]
