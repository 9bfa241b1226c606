"""What the job message says of a video on its way to Discord (issue #19), in English and zh-TW:
fetching (and trying again), compressing (and waiting for the encoder), a smaller rendition
with the original's link, or the link and why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.jobs.progress import JobStatus, JobView
from bot.jobs.record import LinkReason, SentVideo
from bot.ui.render import job_content, size_text, status_text

WHEN = datetime(2026, 12, 21, 14, 5, tzinfo=UTC)
STAMP = int(WHEN.timestamp())
URL = "https://atlas.example/outputs/1.mp4"


def view(**changes: object) -> JobView:
    base = JobView(
        job_id="j1",
        requester_id=11,
        prompt="a fox",
        model_label="Gemini",
        duration=8,
        resolution="4k",
        aspect_ratio="16:9",
        seed=1,
        image_count=0,
        quote=1_800_000,
        charged=1_800_000,
        video_url=URL,
        link_expires_at=WHEN,
    )
    return base.but(**changes)


@pytest.mark.parametrize(
    ("size", "text"),
    [(10 * 1024 * 1024, "10 MB"), (24_536_000, "23.4 MB"), (870_400, "850 KB"), (None, "?")],
)
def test_sizes_read_as_discord_counts_them(size: int | None, text: str) -> None:
    assert size_text(size) == text


def test_the_stages_on_the_way() -> None:
    retrying = view(status=JobStatus.DOWNLOADING, retry_until=WHEN)
    assert status_text(view(status=JobStatus.DOWNLOADING), "en-US") == "Fetching your video"
    assert status_text(retrying, "en-US") == (
        "Fetching your video: Atlas's storage is not answering, so the bot keeps trying "
        f"until <t:{STAMP}:R>"
    )
    assert status_text(view(status=JobStatus.COMPRESSING), "en-US") == "Compressing for Discord"
    waiting = view(status=JobStatus.COMPRESSING, encoder_ahead=3)
    assert status_text(waiting, "en-US") == (
        "Compressing for Discord: waiting for the encoder, 3 ahead"
    )
    assert status_text(waiting, "zh-TW") == "正在為 Discord 壓縮影片：等候編碼器，前面還有 3 部"


def test_a_smaller_rendition_says_so_and_links_the_original() -> None:
    sent = SentVideo(24_536_000, 9_900_000, 1920, 1080, True, 10 * 1024 * 1024)
    delivered = view(status=JobStatus.DELIVERED, sent=sent)
    assert job_content(delivered, "en-US", attached=True) == (
        "1080p, compressed to fit this server's 10 MB limit. The original (23.4 MB): "
        f"[download it]({URL}), kept by Atlas until <t:{STAMP}:f>."
    )
    assert job_content(delivered.but(in_dm=True), "zh-TW", attached=True) == (
        "1080p，已壓縮以符合私訊 10 MB 的上傳上限。原始檔（23.4 MB）："
        f"[下載影片]({URL})，Atlas 會保留到 <t:{STAMP}:f>。"
    )
    untouched = view(status=JobStatus.DELIVERED, sent=SentVideo(3_000_000, 3_000_000))
    assert job_content(untouched, "en-US", attached=True) is None


@pytest.mark.parametrize(
    ("reason", "start"),
    [
        (LinkReason.DOWNLOAD_FAILED, "The download of the video from Atlas failed"),
        (LinkReason.CANNOT_FIT, "The video (23.4 MB) is too large for this server's 10 MB"),
        (LinkReason.UNREADABLE, "The video (23.4 MB) is over this server's 10 MB limit, and"),
        (LinkReason.ENCODER_FAILED, "The video (23.4 MB) is over this server's 10 MB limit, and"),
        (LinkReason.NO_ENCODER, "The video is over this server's 10 MB limit, and this bot"),
        (LinkReason.TOO_BIG_TO_FETCH, "The video is too large for the bot to fetch"),
        (LinkReason.REFUSED, "The video is too large to attach here"),
    ],
)
def test_a_link_says_why_until_when_and_that_it_is_charged(reason: LinkReason, start: str) -> None:
    sent = SentVideo(original_bytes=24_536_000, limit_bytes=10 * 1024 * 1024, link=reason)
    content = job_content(view(status=JobStatus.DELIVERED, sent=sent), "en-US", attached=False)
    assert content is not None
    assert content.startswith(start), content
    assert f"[download it]({URL})" in content
    assert content.endswith(
        f"Atlas keeps it until <t:{STAMP}:f>: save it before then. "
        "It is charged all the same: Atlas made the video and billed it."
    )
    if reason is not LinkReason.CANNOT_FIT:
        assert "too large for this server" not in content
