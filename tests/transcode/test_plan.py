"""The planner: which rendition makes a video fit, and when none does (pure arithmetic)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.transcode.plan import (
    DEFAULT_POLICY,
    Impossible,
    Policy,
    Rendition,
    Source,
    Untouched,
    plan_fit,
    plan_retry,
    scaled_size,
)

MIB = 1024 * 1024
DISCORD = 10 * MIB


def clip(width: int, height: int, seconds: float, mbps: float, *, audio: bool = True) -> Source:
    """A clip as Atlas makes it: `mbps` Mbit/s in all."""
    size = int(mbps * 1_000_000 * seconds / 8)
    return Source(size, seconds, width, height, has_audio=audio, fps=24)


def rendition(plan: object) -> Rendition:
    assert isinstance(plan, Rendition), plan
    return plan


# -- what the issue asks, at the real sizes ------------------------------------------------


@pytest.mark.parametrize(
    ("source", "size"),
    [
        (clip(3840, 2160, 8, 30), (1920, 1080)),  # 4k 8 s: 1440p would get 0.11 bits/pixel
        (clip(3840, 2160, 10, 30), (1920, 1080)),
        (clip(3840, 2160, 4, 30), (2560, 1440)),  # short: the budget carries 1440p
        (clip(2160, 3840, 8, 30), (1080, 1920)),  # 9:16 stays upright
        (clip(1920, 1080, 10, 9), (1920, 1080)),  # 1080p just over the limit stays 1080p
        (clip(1920, 1080, 12, 8), (1920, 1080)),
        (clip(1920, 1080, 15, 8), (1280, 720)),  # Seedance's longest: 0.105 bits/pixel at 1080p
        (clip(1920, 1080, 25, 8), (1280, 720)),
        (clip(1920, 1080, 40, 8), (854, 480)),  # an extended video, 40 s: 720p gets 0.085
        (clip(1280, 720, 60, 3), (854, 480)),
        (clip(3840, 2160, 120, 30), (854, 480)),  # thin, but the lowest allowed still fits
    ],
)
def test_the_rendition_is_the_highest_rung_the_limit_carries(
    source: Source, size: tuple[int, int]
) -> None:
    fit = rendition(plan_fit(source, DISCORD))

    assert (fit.width, fit.height) == size
    assert fit.expected_bytes <= DISCORD * (1 - DEFAULT_POLICY.safety_margin) + 1


def test_a_video_that_fits_is_untouched() -> None:
    source = clip(1920, 1080, 10, 8)  # 10.0 MB: under 10 MiB

    assert isinstance(plan_fit(source, DISCORD), Untouched)
    assert isinstance(plan_fit(source, source.size_bytes), Untouched)
    assert not isinstance(plan_fit(source, source.size_bytes - 1), Untouched)


def test_the_bitrate_fills_the_limit_less_margin_audio_and_overhead() -> None:
    fit = rendition(plan_fit(clip(3840, 2160, 8, 30), DISCORD))

    # 10 MiB less 4 % (the rate control's error), less the MP4's tables (~14 KB for 8 s of
    # 24 fps video and AAC), over 8 s: 10,052 kbit/s; less 128 for the audio.
    assert fit.video_kbps == 9924
    assert fit.audio_kbps == 128
    assert fit.maxrate_kbps == fit.video_kbps == fit.bufsize_kbits
    assert DISCORD * 0.95 < fit.expected_bytes <= DISCORD * 0.96


def test_a_silent_video_gives_the_audio_share_to_the_picture() -> None:
    loud = rendition(plan_fit(clip(3840, 2160, 8, 30), DISCORD))
    silent = rendition(plan_fit(clip(3840, 2160, 8, 30, audio=False), DISCORD))

    assert silent.audio_kbps == 0
    assert silent.video_kbps > loud.video_kbps + 120


def test_audio_that_plays_as_it_is_is_copied_when_the_budget_allows() -> None:
    source = clip(3840, 2160, 8, 30)
    encoded = rendition(plan_fit(source, DISCORD))

    def with_audio(kbps: int) -> Source:
        return Source(source.size_bytes, 8, 3840, 2160, True, 24, copyable_audio_kbps=kbps)

    copied = rendition(plan_fit(with_audio(96), DISCORD))
    assert (copied.copy_audio, copied.audio_kbps) == (True, 96)
    assert copied.video_kbps == encoded.video_kbps + 32
    richer = rendition(plan_fit(with_audio(192), DISCORD))
    assert (richer.copy_audio, richer.audio_kbps) == (False, 128)
    thin = rendition(plan_fit(Source(10**9, 90, 1920, 1080, True, 24, 128), DISCORD))
    assert (thin.copy_audio, thin.audio_kbps) == (False, DEFAULT_POLICY.low_audio_kbps)


def test_a_thin_budget_takes_less_for_audio() -> None:
    fit = rendition(plan_fit(clip(1920, 1080, 90, 8), DISCORD))

    assert fit.audio_kbps == DEFAULT_POLICY.low_audio_kbps


def test_nothing_fits_when_even_the_lowest_rung_is_too_thin() -> None:
    plan = plan_fit(clip(3840, 2160, 600, 30), DISCORD)

    assert isinstance(plan, Impossible)
    assert "480" in plan.reason


def test_nothing_fits_when_audio_and_container_take_the_whole_limit() -> None:
    plan = plan_fit(clip(1920, 1080, 10, 8), 20_000)

    assert isinstance(plan, Impossible)
    assert "no room" in plan.reason


def test_the_minimum_resolution_is_configurable() -> None:
    long_clip = clip(1920, 1080, 200, 8)

    assert isinstance(plan_fit(long_clip, DISCORD), Impossible)
    low = rendition(plan_fit(long_clip, DISCORD, Policy(min_short_side=360)))
    assert (low.width, low.height) == (640, 360)


def test_a_source_below_the_minimum_keeps_its_own_size() -> None:
    fit = rendition(plan_fit(clip(640, 360, 4, 1), 400_000))

    assert (fit.width, fit.height) == (640, 360)


def test_an_odd_source_size_becomes_even() -> None:
    fit = rendition(plan_fit(clip(1279, 719, 40, 3), 10_000_000))

    assert (fit.width % 2, fit.height % 2) == (0, 0)
    assert fit.width <= 1279
    assert fit.height <= 719


def test_a_higher_frame_rate_needs_more_bits_per_frame() -> None:
    at_24 = clip(1920, 1080, 10, 9)
    at_60 = Source(at_24.size_bytes, 10, 1920, 1080, has_audio=True, fps=60)

    assert rendition(plan_fit(at_24, DISCORD)).height == 1080
    assert rendition(plan_fit(at_60, DISCORD)).height == 720


@pytest.mark.parametrize(
    ("size", "side", "expected"),
    [
        ((3840, 2160), 1080, (1920, 1080)),
        ((2160, 3840), 1080, (1080, 1920)),
        ((1080, 1080), 720, (720, 720)),
        ((1680, 720), 480, (1120, 480)),  # 21:9
        ((1440, 1080), 480, (640, 480)),  # 4:3
        ((1280, 720), 480, (854, 480)),  # 853.3: to the nearest even width
        ((640, 360), 1080, (640, 360)),  # never larger
        ((1279, 719), 719, (1278, 718)),
    ],
)
def test_scaled_size_keeps_the_aspect_and_is_even(
    size: tuple[int, int], side: int, expected: tuple[int, int]
) -> None:
    assert scaled_size(*size, side) == expected


def test_a_source_that_is_not_a_video_is_refused() -> None:
    with pytest.raises(ValueError, match="not a video"):
        Source(1000, 0, 1920, 1080, has_audio=True)


# -- the second attempt --------------------------------------------------------------------


def test_the_retry_is_lower_and_keeps_the_size_when_it_can() -> None:
    source = clip(1920, 1080, 10, 12)
    first = rendition(plan_fit(source, DISCORD))

    second = rendition(plan_retry(source, DISCORD, first, DISCORD + 50_000))

    assert second.video_kbps <= first.video_kbps * DEFAULT_POLICY.retry_factor
    assert (second.width, second.height) == (1920, 1080)


def test_the_retry_goes_one_rung_down_when_the_bitrate_gets_too_thin() -> None:
    source = clip(1920, 1080, 10, 12)
    first = rendition(plan_fit(source, DISCORD))

    second = rendition(plan_retry(source, DISCORD, first, int(DISCORD * 1.3)))

    assert (second.width, second.height) == (1280, 720)


def test_the_retry_takes_the_overshoot_into_account() -> None:
    source = clip(1920, 1080, 10, 12)
    first = rendition(plan_fit(source, DISCORD))

    second = rendition(plan_retry(source, DISCORD, first, DISCORD * 2))

    assert second.video_kbps <= first.video_kbps / 2 * DEFAULT_POLICY.retry_factor + 1


def test_the_retry_can_be_impossible() -> None:
    source = clip(1920, 1080, 120, 8)
    first = rendition(plan_fit(source, DISCORD))

    assert isinstance(plan_retry(source, DISCORD, first, DISCORD * 3), Impossible)


# -- properties ----------------------------------------------------------------------------

sides = st.integers(min_value=64, max_value=4096)
durations = st.floats(min_value=0.5, max_value=300, allow_nan=False)
rates = st.floats(min_value=0.1, max_value=80)  # Mbit/s
limits = st.integers(min_value=100_000, max_value=200 * MIB)
frame_rates = st.sampled_from([24.0, 25.0, 30.0, 60.0])


@st.composite
def sources(draw: st.DrawFn) -> Source:
    seconds = draw(durations)
    size = max(1, int(draw(rates) * 1_000_000 * seconds / 8))
    return Source(size, seconds, draw(sides), draw(sides), draw(st.booleans()), draw(frame_rates))


@given(sources(), limits)
def test_a_rendition_is_never_larger_than_the_source_and_fits(source: Source, limit: int) -> None:
    plan = plan_fit(source, limit)

    if source.size_bytes <= limit:
        assert isinstance(plan, Untouched)
        return
    if isinstance(plan, Impossible):
        return
    assert isinstance(plan, Rendition)
    assert plan.width <= source.width
    assert plan.height <= source.height
    assert (plan.width % 2, plan.height % 2) == (0, 0)
    assert plan.expected_bytes <= limit * (1 - DEFAULT_POLICY.safety_margin) + 1
    assert plan.bits_per_pixel >= DEFAULT_POLICY.bpp_hard_floor
    short = min(source.width, source.height)
    assert plan.short_side >= min(DEFAULT_POLICY.min_short_side, short - short % 2)
    # The aspect ratio is kept, up to the rounding to even pixels.
    assert plan.width / plan.height == pytest.approx(source.width / source.height, rel=0.05)


@given(sources(), limits, st.floats(min_value=1.01, max_value=3))
def test_a_larger_limit_never_gives_a_smaller_picture(
    source: Source, limit: int, more: float
) -> None:
    small, large = plan_fit(source, limit), plan_fit(source, int(limit * more))

    if isinstance(small, Rendition) and isinstance(large, Rendition):
        assert large.short_side >= small.short_side
        assert large.video_kbps >= small.video_kbps
    if isinstance(large, Impossible):
        assert isinstance(small, Impossible)


@given(sources(), limits, st.floats(min_value=1.0, max_value=4))
def test_a_retry_is_always_lower(source: Source, limit: int, overshoot: float) -> None:
    first = plan_fit(source, limit)
    if not isinstance(first, Rendition):
        return

    second = plan_retry(source, limit, first, int(limit * overshoot) + 1)

    if isinstance(second, Rendition):
        assert second.video_kbps < first.video_kbps
        assert second.short_side <= first.short_side
        assert second.expected_bytes < first.expected_bytes
