"""What a member attaches is checked before anything is held: a video's type, size and host
from Discord's description, its length once read, against what the model takes; each refusal
says what is allowed."""

from __future__ import annotations

import pytest

from bot.catalogue import Catalogue
from bot.jobs.attachments import JobRefused, VideoInput, check_video
from bot.settings import Settings

EDIT = "google/gemini-omni-flash/video-edit"  # 30 s at most, 100 MB
EXTEND = "google/gemini-omni-1.1-flash/video-extend"  # 10 s in, 40 s in all
GROK = "xai/grok-imagine-video/extend-video"  # 2-15 s in


def clip(**changes: object) -> VideoInput:
    values: dict[str, object] = {
        "url": "https://cdn.discordapp.com/attachments/1/2/clip.mp4",
        "filename": "clip.mp4",
        "content_type": "video/mp4",
        "size": 1_000_000,
    }
    values.update(changes)
    return VideoInput(**values)  # type: ignore[arg-type]


def refused(settings: Settings, model: str, video: VideoInput | None, **kw: object) -> JobRefused:
    catalogue: Catalogue = settings.catalogue
    with pytest.raises(JobRefused) as info:
        check_video(
            catalogue.get(model),
            settings.attachments,
            video,
            known=bool(kw.get("known", False)),
            seconds=kw.get("seconds"),  # type: ignore[arg-type]
            added=int(kw.get("added", 0)),  # type: ignore[call-overload]
        )
    return info.value


def test_discords_description_is_checked_before_any_download(settings: Settings) -> None:
    assert refused(settings, EDIT, None).key == "refused.no_video"
    assert refused(settings, EDIT, clip(size=0)).key == "refused.video_empty"
    assert refused(settings, EDIT, clip(content_type="image/png")).key == "refused.video_type"
    big = refused(settings, EDIT, clip(size=20_000_001))
    # The model takes 100 MB, the bot downloads at most [attachments] max_bytes (20 MB).
    assert (big.key, big.params["max_mb"]) == ("refused.video_too_big", 20)
    elsewhere = clip(url="https://example.com/clip.mp4")
    assert refused(settings, EDIT, elsewhere).key == "refused.video_host"
    for kind in ("video/mp4", "video/quicktime", "video/webm; codecs=vp9"):
        check_video(
            settings.catalogue.get(EDIT),
            settings.attachments,
            clip(content_type=kind),
            known=False,
            seconds=None,
            added=0,
        )


def test_the_length_once_read_against_what_the_model_takes(settings: Settings) -> None:
    long = refused(settings, EDIT, clip(), seconds=45.0)
    assert long.key == "refused.video_too_long"
    assert long.params == {
        "filename": "clip.mp4",
        "length": "45",
        "max": "30",
        "max_mb": 20,
        "model": "Gemini Omni Flash (edit)",
    }
    # A container's rounding is no reason to refuse: "30 s" may say 30.02.
    check_video(
        settings.catalogue.get(EDIT),
        settings.attachments,
        clip(),
        known=False,
        seconds=30.02,
        added=0,
    )
    short = refused(settings, GROK, clip(), seconds=1.5)
    assert (short.key, short.params["min"]) == ("refused.video_too_short", "2")
    extend = refused(settings, EXTEND, clip(), seconds=12.0, added=4)
    assert (extend.key, extend.params["max"]) == ("refused.video_too_long", "10")


def test_an_extension_past_the_longest_video_says_how_much_room_is_left(
    settings: Settings,
) -> None:
    catalogue = settings.catalogue
    pixverse = catalogue.get("pixverse/v6/video-extend")
    assert pixverse.max_total_seconds is None
    model = catalogue.get(EXTEND).model_copy(update={"max_input_seconds": 60})
    with pytest.raises(JobRefused) as info:
        check_video(model, settings.attachments, clip(), known=False, seconds=33.0, added=10)
    assert info.value.key == "refused.extend_too_long"
    assert info.value.params == {
        "length": "33",
        "added": 10,
        "max": "40",
        "room": 7,
        "model": "Gemini Omni 1.1 Flash (extend)",
    }
