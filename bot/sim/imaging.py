"""Image sniffing for the simulator's upload rules, and a tiny PNG maker for tests.

The type comes from the magic bytes and the size from the image header, as Atlas would
see them; the declared content type and file name are not trusted.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass


class NotAnImage(ValueError):
    """The bytes are not a PNG, JPEG or WebP image, or its header is unreadable."""


@dataclass(frozen=True)
class ImageInfo:
    """What the header of an uploaded image says."""

    content_type: str
    width: int
    height: int


_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_NO_LENGTH = {0x01, 0xD8, *range(0xD0, 0xD8)}


def sniff_image(data: bytes) -> ImageInfo:
    """Type and dimensions of a PNG, JPEG or WebP image; `NotAnImage` otherwise."""
    if data.startswith(_PNG_MAGIC):
        return _png(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data)
    raise NotAnImage("not a PNG, JPEG or WebP image")


def _png(data: bytes) -> ImageInfo:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise NotAnImage("PNG without an IHDR header")
    width, height = struct.unpack(">II", data[16:24])
    return ImageInfo("image/png", width, height)


def _jpeg(data: bytes) -> ImageInfo:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise NotAnImage("corrupt JPEG segment")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _JPEG_NO_LENGTH:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _JPEG_SOF:
            if i + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return ImageInfo("image/jpeg", width, height)
        if marker == 0xDA:  # start of scan before any frame header
            break
        i += 2 + length
    raise NotAnImage("JPEG without a frame header")


def _webp(data: bytes) -> ImageInfo:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return ImageInfo("image/webp", width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        (bits,) = struct.unpack("<I", data[21:25])
        return ImageInfo("image/webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return ImageInfo("image/webp", width, height)
    raise NotAnImage("WebP without a readable VP8/VP8L/VP8X header")


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def make_png(width: int = 128, height: int = 128, *, size: int | None = None) -> bytes:
    """A valid grey PNG of `width` x `height`; `size` pads it (with a text chunk) to that many
    bytes, for tests of upload limits."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress((b"\x00" + b"\x80" * width) * height, 9)
    head = _PNG_MAGIC + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels)
    tail = _png_chunk(b"IEND", b"")
    if size is not None:
        padding = size - len(head) - len(tail) - 12 - len(b"pad\x00")
        if padding < 0:
            raise ValueError(f"a {width}x{height} PNG needs more than {size} bytes")
        head += _png_chunk(b"tEXt", b"pad\x00" + b"x" * padding)
    return head + tail
