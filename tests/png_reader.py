"""Reading back the PNG charts the bot draws, to assert on pixels."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image


@dataclass(frozen=True)
class Picture:
    """A decoded RGB picture."""

    width: int
    height: int
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> bytes:
        """The RGB triple at (x, y)."""
        return self.rows[y][x * 3 : x * 3 + 3]

    def columns_with(self, colour: bytes | tuple[int, int, int]) -> list[int]:
        """The x of every column holding at least one pixel of `colour`."""
        colour = bytes(colour)
        return [
            x
            for x in range(self.width)
            if any(self.pixel(x, y) == colour for y in range(self.height))
        ]


def read_png(data: bytes, box: tuple[int, int, int, int] | None = None) -> Picture:
    """Decode a PNG (with Pillow, a check of its own that the file is whole) as RGB rows;
    `box` (left, top, right, bottom) keeps only that part, e.g. a chart's plot area."""
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        image.load()
        picture = image.convert("RGB")
    if box is not None:
        picture = picture.crop(box)
    raw = picture.tobytes()
    stride = picture.width * 3
    rows = [raw[y * stride : (y + 1) * stride] for y in range(picture.height)]
    return Picture(picture.width, picture.height, rows)
