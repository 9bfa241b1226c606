"""What a video file is, from its first bytes: MP4, QuickTime (MOV) or WebM.

A member's attachment says what it is in its name and content type; only the bytes are to be
believed. MP4 and MOV are ISO base media files (a `ftyp` box first, whose brand says which);
WebM is a Matroska (EBML) file whose document type is "webm". `mp4_seconds` reads how long an
MP4 or MOV says it is from its `mvhd` box, without an encoder.
"""

from __future__ import annotations

import struct

SNIFF_BYTES = 64
"""How many leading bytes `sniff_video_type` needs."""

EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")


def sniff_video_type(head: bytes) -> str | None:
    """The content type of the video `head` starts (MP4, MOV or WebM), or None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS and _plausible_box(head):
        return "video/quicktime"  # an old QuickTime file without a ftyp box
    if head.startswith(EBML_MAGIC) and b"webm" in head[:SNIFF_BYTES]:
        return "video/webm"
    return None


def _plausible_box(head: bytes) -> bool:
    size: int = struct.unpack(">I", head[:4])[0]
    return size == 1 or size >= 8


def mp4_seconds(data: bytes) -> float | None:
    """How long an MP4 or MOV file says it is (its `mvhd` box), None when it cannot tell."""
    moov = _box(data, b"moov", 0, len(data))
    if moov is None:
        return None
    mvhd = _box(data, b"mvhd", *moov)
    if mvhd is None:
        return None
    start, end = mvhd
    body = data[start:end]
    if len(body) < 20:
        return None
    version = body[0]
    if version == 1:
        if len(body) < 32:
            return None
        timescale, duration = struct.unpack(">IQ", body[20:32])
    else:
        timescale, duration = struct.unpack(">II", body[12:20])
    return duration / timescale if timescale else None


def _box(data: bytes, kind: bytes, start: int, end: int) -> tuple[int, int] | None:
    """(payload start, payload end) of the first `kind` box among the boxes in start..end."""
    offset = start
    while offset + 8 <= end:
        size, found = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:
            if offset + 16 > end:
                return None
            (size,) = struct.unpack(">Q", data[offset + 8 : offset + 16])
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            return None
        if found == kind:
            return offset + header, offset + size
        offset += size
    return None


__all__ = ["SNIFF_BYTES", "VIDEO_TYPES", "mp4_seconds", "sniff_video_type"]
