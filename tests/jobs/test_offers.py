"""The cheaper way: which options an exhausted budget is offered, and who may take the offer."""

from __future__ import annotations

import pytest

from bot.catalogue import ModelKind
from bot.guilds.settings import GuildSettings
from bot.jobs.offers import OfferBook, OfferGone, cheapest_fit
from bot.jobs.orders import ImageInput, ValidatedOrder, VideoOrder, validate_order
from bot.settings import Settings

GEMINI = "google/gemini-omni-flash/text-to-video-developer"
VEO = "google/veo3.1-lite/text-to-video"
SEEDANCE_I2V = "bytedance/seedance-2.0/image-to-video"


def asked(settings: Settings, **options: object) -> ValidatedOrder:
    order = VideoOrder(
        user_id=1,
        guild_id=2,
        channel_id=3,
        prompt="a castle at dawn",
        kind=ModelKind.TEXT_TO_VIDEO,
        seed=5,
        **options,  # type: ignore[arg-type]
    )
    return validate_order(order, settings)


def test_the_cheapest_fit_on_the_same_model_keeps_the_asked_resolution(
    settings: Settings,
) -> None:
    validated = asked(settings)  # Gemini, 8 s at 1080p: USD 1.00
    fit = cheapest_fit(validated, settings.catalogue, GuildSettings(), 700_000)
    assert fit is not None
    assert (fit.model.id, fit.duration, fit.resolution, fit.price) == (GEMINI, 4, "1080p", 600_000)


def test_another_model_only_when_none_of_the_asked_one_fits(settings: Settings) -> None:
    validated = asked(settings)
    fit = cheapest_fit(validated, settings.catalogue, GuildSettings(), 300_000)
    assert fit is not None
    assert (fit.model.id, fit.duration, fit.price) == (VEO, 4, 200_000)
    blocked = GuildSettings(blocked_models=(VEO,))
    assert cheapest_fit(validated, settings.catalogue, blocked, 300_000) is None


def test_the_servers_rules_and_the_aspect_ratio_hold(settings: Settings) -> None:
    no_1080 = GuildSettings(blocked_resolutions=("1080p",), resolution="720p")
    validated = asked(settings, resolution="4k")  # USD 1.80
    fit = cheapest_fit(validated, settings.catalogue, no_1080, 1_000_000)
    assert fit is not None
    assert fit.resolution == "720p"
    square = asked(settings, model_id="bytedance/seedance-2.0/text-to-video", aspect_ratio="1:1")
    # Only Seedance makes 1:1 videos: nothing under its cheapest price is offered elsewhere.
    assert cheapest_fit(square, settings.catalogue, GuildSettings(), 500_000) is None


def test_nothing_is_offered_when_nothing_fits(settings: Settings) -> None:
    assert cheapest_fit(asked(settings), settings.catalogue, GuildSettings(), 100_000) is None
    assert cheapest_fit(asked(settings), settings.catalogue, GuildSettings(), 0) is None


def test_an_image_job_is_only_offered_models_that_take_its_images(settings: Settings) -> None:
    image = ImageInput("https://cdn.discordapp.com/a.png", "a.png", "image/png", 1000, 256, 256)
    order = VideoOrder(
        user_id=1,
        guild_id=2,
        channel_id=3,
        prompt="dance",
        kind=ModelKind.IMAGE_TO_VIDEO,
        images=(image, image),
    )
    validated = validate_order(order, settings)
    fit = cheapest_fit(validated, settings.catalogue, GuildSettings(), 700_000)
    assert fit is not None
    assert fit.model.id != SEEDANCE_I2V, "Seedance takes one image"


def test_an_offer_is_taken_once_by_the_refused_member_before_it_expires(
    settings: Settings,
) -> None:
    now = [100.0]
    book = OfferBook(settings.catalogue, monotonic=lambda: now[0], ttl=60)
    offer = book.propose(asked(settings), GuildSettings(), 700_000)
    assert offer is not None
    assert (offer.order.duration, offer.order.resolution, offer.order.seed) == (4, "1080p", 5)
    assert offer.order.prompt == "a castle at dawn"
    with pytest.raises(OfferGone, match="not_yours"):
        book.take(offer.token, user_id=99)
    assert book.take(offer.token, user_id=1) == offer
    with pytest.raises(OfferGone, match="gone"):
        book.take(offer.token, user_id=1)

    late = book.propose(asked(settings), GuildSettings(), 700_000)
    assert late is not None
    now[0] += 61
    with pytest.raises(OfferGone, match="gone"):
        book.take(late.token, user_id=1)
