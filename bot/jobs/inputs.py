"""A job's inputs handed to Atlas: its images when it runs, its video before anything is held.

Images (`upload_images`) are fetched and uploaded when the job gets its slot; a re-roll or a
job resumed after a restart carries their Atlas URLs and uploads nothing again.

The video (a member's attachment, or the current attachment of a finished video's message) is
downloaded like an image (allowed hosts, the size cap, believed only for what its bytes say:
MP4, MOV or WebM), read with the encoder for its length, and uploaded to Atlas
(`uploadMedia`, which bills nothing) once the order's length checks and price allow it. The
job then carries Atlas's URL like a re-roll carries its images: a restart or a wait in line
needs nothing from Discord any more.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.atlas import AtlasClient, AtlasError
from bot.jobs.attachments import ImageInput, JobRefused, VideoInput
from bot.jobs.media import AttachmentFetcher, MediaError
from bot.jobs.orders import ValidatedOrder
from bot.jobs.record import JobMeta
from bot.transcode.encoder import find_encoder
from bot.transcode.errors import NoEncoder, UnreadableInput
from bot.transcode.probe import probe

log = logging.getLogger("bot.jobs.service")

_EXTENSIONS = {"video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm"}


@dataclass(frozen=True)
class ReadVideo:
    """A downloaded input video and what reading it told."""

    path: Path
    content_type: str
    seconds: float
    width: int
    height: int

    @property
    def upload_name(self) -> str:
        """The file name Atlas gets (the type its bytes are, not the name it came with)."""
        return f"input.{_EXTENSIONS.get(self.content_type, 'mp4')}"


class InputVideos:
    """Downloads, reads and uploads the videos jobs start from."""

    def __init__(
        self, fetcher: AttachmentFetcher, atlas: AtlasClient, *, encoder_path: str = ""
    ) -> None:
        self._fetcher = fetcher
        self._atlas = atlas
        self._encoder_path = encoder_path or None

    async def read(self, video: VideoInput, folder: Path, *, max_bytes: int) -> ReadVideo:
        """Download `video` into `folder` and read its length; `JobRefused` saying why not."""
        path = folder / "input-video"
        try:
            content_type = await self._fetcher.fetch_video(video.url, path, max_bytes=max_bytes)
        except MediaError as exc:
            log.info("input video refused: %s", exc)
            key = {
                "host": "refused.video_host",
                "size": "refused.video_too_big",
                "type": "refused.video_type",
            }.get(exc.reason, "refused.video_download")
            raise JobRefused(key, filename=video.filename, max_mb=max_bytes // 1_000_000) from None
        try:
            encoder = await find_encoder(self._encoder_path)
            info = await probe(path, encoder)
        except NoEncoder as exc:
            log.error("cannot read input videos: %s", exc)
            raise JobRefused("refused.video_unreadable", filename=video.filename) from None
        except UnreadableInput as exc:
            log.info("input video unreadable: %s", exc)
            raise JobRefused("refused.video_unreadable", filename=video.filename) from None
        return ReadVideo(path, content_type, info.duration, info.width, info.height)

    async def upload(self, video: ReadVideo) -> str:
        """Hand the video to Atlas (`uploadMedia`); its URL, or `JobRefused` (nothing is held
        yet, so the member simply tries again)."""
        try:
            return await self._atlas.upload_media(
                video.path, filename=video.upload_name, content_type=video.content_type
            )
        except AtlasError as exc:
            log.warning("input video upload failed: %s", exc)
            raise JobRefused("refused.video_upload_failed") from None


async def upload_images(
    order: ValidatedOrder, fetcher: AttachmentFetcher, atlas: AtlasClient
) -> JobMeta:
    """Upload the job's images (and the image it ends on) that Atlas does not have yet; the
    job's metadata with their URLs. Raises `MediaError` or `AtlasError`."""
    meta = order.meta
    with tempfile.TemporaryDirectory(prefix="atlas-bot-") as folder:
        if not meta.image_urls:
            urls = [
                await _upload_image(image, Path(folder) / f"image-{index}", fetcher, atlas)
                for index, image in enumerate(order.order.images)
            ]
            meta = meta.but(image_urls=tuple(urls))
        last = order.order.last_image
        if last is not None and meta.last_image_url is None:
            url = await _upload_image(last, Path(folder) / "last-image", fetcher, atlas)
            meta = meta.but(last_image_url=url)
    return meta


async def _upload_image(
    image: ImageInput, path: Path, fetcher: AttachmentFetcher, atlas: AtlasClient
) -> str:
    content_type = await fetcher.fetch_image(image.url, path)
    filename = f"{path.name}.{content_type.rsplit('/', 1)[1]}"
    return await atlas.upload_media(path, filename=filename, content_type=content_type)


__all__ = ["InputVideos", "ReadVideo", "upload_images"]
