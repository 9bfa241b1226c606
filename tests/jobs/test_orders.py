"""What `validate_order` checks itself, whatever Discord's client let through: one prompt
limit (registered by the commands, used by the Edit prompt form), control characters, and
attachments judged from their metadata."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.catalogue import Catalogue, ModelKind
from bot.jobs.orders import (
    FORM_MAX_CHARS,
    OPTION_MAX_CHARS,
    ImageInput,
    JobRefused,
    VideoOrder,
    clean_prompt,
    form_prompt_limit,
    prompt_limit,
    validate_order,
)
from bot.jobs.progress import FailureReason, JobStatus, JobView
from bot.settings import Settings

GEMINI_I2V = "google/gemini-omni-flash/image-to-video-developer"


def catalogue_taking(settings: Settings, *limits: int) -> Catalogue:
    """The first shipped models, taking these `max_prompt_chars` in turn."""
    models = list(settings.catalogue)[: len(limits)]
    return Catalogue(
        [
            model.model_copy(update={"max_prompt_chars": limit})
            for model, limit in zip(models, limits, strict=True)
        ]
    )


def test_the_prompt_limit_is_the_longest_a_model_takes_within_discords(
    settings: Settings,
) -> None:
    assert prompt_limit(settings.catalogue) == OPTION_MAX_CHARS  # Gemini: 20,000
    assert prompt_limit(catalogue_taking(settings, 1000, 3000)) == 3000
    assert form_prompt_limit(settings.catalogue) == FORM_MAX_CHARS
    assert form_prompt_limit(catalogue_taking(settings, 1000, 3000)) == 3000


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("a fox", "a fox"),
        ("a\x00 fox\x07", "a fox"),
        ("line one\r\nline two\rline three", "line one\nline two\nline three"),
        ("keep\ttabs and\nnewlines", "keep\ttabs and\nnewlines"),
        ("\x1b[31mred\x1b[0m", "[31mred[0m"),
        ("del\x7f", "del"),
        ("  \x00 ", ""),
        ("中文提示詞 ✨", "中文提示詞 ✨"),
    ],
)
def test_control_characters_never_reach_atlas(typed: str, sent: str) -> None:
    assert clean_prompt(typed) == sent


def order(**changes: object) -> VideoOrder:
    values: dict[str, object] = {"prompt": "a fox", "kind": ModelKind.TEXT_TO_VIDEO}
    values.update(changes)
    return VideoOrder(**values)  # type: ignore[arg-type]


def test_a_prompt_over_the_commands_limit_is_refused_whatever_the_model_takes(
    settings: Settings,
) -> None:
    with pytest.raises(JobRefused) as refused:
        validate_order(order(prompt="x" * (OPTION_MAX_CHARS + 1)), settings)
    assert refused.value.key == "refused.prompt_too_long"
    assert refused.value.params == {"limit": OPTION_MAX_CHARS, "length": OPTION_MAX_CHARS + 1}
    assert validate_order(order(prompt="x" * OPTION_MAX_CHARS), settings).meta.prompt


def test_the_prompt_is_stored_and_sent_clean(settings: Settings) -> None:
    assert validate_order(order(prompt="a\x00 fox\r\n"), settings).meta.prompt == "a fox"


def image(**changes: object) -> ImageInput:
    values: dict[str, object] = {
        "url": "https://cdn.discordapp.com/attachments/1/2/cat.png",
        "filename": "cat.png",
        "content_type": "image/png",
        "size": 50_000,
        "width": 256,
        "height": 256,
    }
    values.update(changes)
    return ImageInput(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"size": 0}, "refused.image_empty"),
        ({"size": 0, "content_type": None}, "refused.image_empty"),
        ({"width": None, "height": None}, "refused.image_unreadable"),
        ({"width": 256, "height": None}, "refused.image_unreadable"),
        ({"width": 0, "height": 0}, "refused.image_unreadable"),
        ({"content_type": "image/gif"}, "refused.image_type"),
        ({"width": 64, "height": 64}, "refused.image_too_small"),
    ],
)
def test_attachments_are_judged_from_their_metadata(
    settings: Settings, changes: dict[str, object], key: str
) -> None:
    animate = order(kind=ModelKind.IMAGE_TO_VIDEO, images=(image(**changes),))
    with pytest.raises(JobRefused) as refused:
        validate_order(animate, settings)
    assert refused.value.key == key
    assert refused.value.params["filename"] == "cat.png"
    fine = replace(animate, images=(image(),))
    assert validate_order(fine, settings).model.id == GEMINI_I2V


def test_failures_the_input_caused_offer_no_reroll() -> None:
    caused_by_input = {r for r in FailureReason if r.is_input}
    assert caused_by_input == {
        FailureReason.IMAGE_UNUSABLE,
        FailureReason.ATLAS_REFUSED,
        FailureReason.CONTENT_REJECTED,
        FailureReason.CONTENT_REJECTED_PAUSED,
    }
    view = JobView("0" * 32, 11, "a fox", "Gemini", 8, "1080p", "16:9", 1, 0, 1_000_000)
    assert view.rerollable
    failed = view.but(status=JobStatus.FAILED)
    assert failed.but(failure=FailureReason.ATLAS_UNAVAILABLE).rerollable
    assert not failed.but(failure=FailureReason.IMAGE_UNUSABLE).rerollable
    assert view.but(status=JobStatus.DELIVERED).rerollable
