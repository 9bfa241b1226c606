"""Fetching a member's attachments (images, and videos a job starts from): streamed,
size-bounded, from allowed hosts only, and believed only for what their bytes say they are."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import aiohttp

from bot import USER_AGENT
from bot.files import open_private
from bot.transcode.sniff import SNIFF_BYTES, sniff_video_type

CHUNK_BYTES = 64 * 1024

# Magic numbers of the image formats Atlas accepts, and the content type each one is.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"WEBP", 8, "image/webp"),
)


class MediaError(Exception):
    """An attachment could not be fetched or is not what it claims to be. `reason`: "host",
    "size", "type" or "download" (what the member is told differs)."""

    def __init__(self, message: str, reason: str = "download") -> None:
        super().__init__(message)
        self.reason = reason


def sniff_image_type(head: bytes) -> str | None:
    """The image content type that `head` (the first bytes of a file) starts, or None."""
    for magic, offset, content_type in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if content_type == "image/webp" and not head.startswith(b"RIFF"):
                continue
            return content_type
    return None


class AttachmentFetcher:
    """Downloads attachments with one owned `aiohttp.ClientSession`."""

    def __init__(
        self, allowed_hosts: tuple[str, ...], *, max_bytes: int, timeout: float = 60.0
    ) -> None:
        self._allowed_hosts = allowed_hosts
        self._max_bytes = max_bytes
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=10)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session; safe to call twice."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"User-Agent": USER_AGENT}
            )
        return self._session

    async def fetch_image(self, url: str, dest: Path) -> str:
        """Stream the image at `url` into `dest`; returns its content type from its magic bytes.

        Refuses other hosts, files over the size limit and anything that is not PNG/JPEG/WebP.
        """
        if urlsplit(url).hostname not in self._allowed_hosts:
            raise MediaError("attachment host is not allowed", "host")
        try:
            head = await self._download(url, dest)
            content_type = sniff_image_type(head)
            if content_type is None:
                raise MediaError("attachment is not a PNG, JPEG or WebP image", "type")
        except (aiohttp.ClientError, TimeoutError) as exc:
            _discard(dest)
            raise MediaError(f"attachment download failed: {type(exc).__name__}") from exc
        except MediaError:
            _discard(dest)
            raise
        return content_type

    async def fetch_video(self, url: str, dest: Path, *, max_bytes: int | None = None) -> str:
        """Stream the video at `url` into `dest`; returns its content type from its magic bytes.

        As `fetch_image`, with the video's own limit (`max_bytes`, never above the attachment
        limit); refuses anything that is not an MP4, MOV or WebM video.
        """
        if urlsplit(url).hostname not in self._allowed_hosts:
            raise MediaError("attachment host is not allowed", "host")
        limit = self._max_bytes if max_bytes is None else min(max_bytes, self._max_bytes)
        try:
            head = await self._download(url, dest, max_bytes=limit, head_bytes=SNIFF_BYTES)
            content_type = sniff_video_type(head)
            if content_type is None:
                raise MediaError("attachment is not an MP4, MOV or WebM video", "type")
        except (aiohttp.ClientError, TimeoutError) as exc:
            _discard(dest)
            raise MediaError(f"attachment download failed: {type(exc).__name__}") from exc
        except MediaError:
            _discard(dest)
            raise
        return content_type

    async def _download(
        self, url: str, dest: Path, *, max_bytes: int | None = None, head_bytes: int = 16
    ) -> bytes:
        """Stream `url` into `dest` within the size limit; returns the file's first bytes."""
        limit = self._max_bytes if max_bytes is None else max_bytes
        written = 0
        head = b""
        async with self._http().get(url, allow_redirects=False) as response:
            if response.status != 200:
                raise MediaError(f"attachment download answered HTTP {response.status}")
            if (response.content_length or 0) > limit:
                raise MediaError("attachment is larger than allowed", "size")
            # Local 64 KiB writes take microseconds; the network read is what we await.
            with open_private(dest) as out:
                async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                    written += len(chunk)
                    if written > limit:
                        raise MediaError("attachment is larger than allowed", "size")
                    if len(head) < head_bytes:
                        head += chunk[: head_bytes - len(head)]
                    out.write(chunk)
        return head


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)
