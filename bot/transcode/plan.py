"""Deciding how to make a video fit a byte limit: pure arithmetic, no I/O.

`plan_fit` answers one of three: the video fits already (`Untouched`), a `Rendition` to encode
(a bitrate and a size from a ladder), or `Impossible` (even the lowest allowed rendition would
not fit: the member gets the link). `plan_retry` answers the second, lower attempt when the
first output came out too big.

The bitrate is what the limit leaves for video once a safety margin (for the rate control's
error), the container's overhead and the audio are taken off, spread over the duration. The
size is the highest rung of the ladder whose bits per pixel at that bitrate stays above a
floor: below it x264 smears detail, and fewer, sharper pixels look better.
"""

from __future__ import annotations

from dataclasses import dataclass

LADDER = (2160, 1440, 1080, 720, 480, 360)
"""Rungs by the short side: 4k, 1440p, 1080p, 720p, 480p, 360p."""

AAC_FRAMES_PER_SECOND = 48_000 / 1024


@dataclass(frozen=True)
class Source:
    """What the planner needs to know of the video to fit."""

    size_bytes: int
    duration: float
    width: int
    height: int
    has_audio: bool
    fps: float = 30.0
    # The source's audio bitrate when it can go out as it is (AAC stereo): copied when the
    # budget allows it, which costs no CPU and loses nothing.
    copyable_audio_kbps: int | None = None

    def __post_init__(self) -> None:
        if self.duration <= 0 or self.width <= 0 or self.height <= 0 or self.fps <= 0:
            raise ValueError(f"not a video: {self}")


@dataclass(frozen=True)
class Policy:
    """The knobs of the planner; the defaults are what `bench/transcode.py` measured."""

    # Kept free for the rate control's error: single-pass x264 lands within about 1 %.
    safety_margin: float = 0.04
    audio_kbps: int = 128
    # When the whole budget is thin, audio takes less of it.
    low_audio_kbps: int = 96
    # Bits per pixel per frame a rung needs to be chosen (x264 veryfast: SSIM ~0.96 here).
    bpp_floor: float = 0.12
    # The lowest allowed rung may go down to this before the video cannot fit at all.
    bpp_hard_floor: float = 0.05
    # Never smaller than this short side (unless the source is smaller already).
    min_short_side: int = 480
    # A second attempt has at most this share of the first one's bitrate.
    retry_factor: float = 0.85
    ladder: tuple[int, ...] = LADDER


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Untouched:
    """The video fits as it is: send the original bytes."""

    reason: str


@dataclass(frozen=True)
class Impossible:
    """No allowed rendition fits the limit: give the link."""

    reason: str


@dataclass(frozen=True)
class Rendition:
    """One encode to try: the output size and rates (kbit/s, 1000 bits)."""

    width: int
    height: int
    video_kbps: int
    audio_kbps: int
    fps: float
    duration: float
    copy_audio: bool = False

    @property
    def short_side(self) -> int:
        """The rung this rendition stands on (720 for 1280x720 and for 720x1280)."""
        return min(self.width, self.height)

    @property
    def maxrate_kbps(self) -> int:
        """The VBV's peak rate: the target itself, so the size stays predictable."""
        return self.video_kbps

    @property
    def bufsize_kbits(self) -> int:
        """The VBV's buffer: one second of the target rate."""
        return self.video_kbps

    @property
    def bits_per_pixel(self) -> float:
        """Video bits per pixel per frame: how much detail the rate can carry at this size."""
        return bits_per_pixel(self.video_kbps, self.width, self.height, self.fps)

    @property
    def expected_bytes(self) -> int:
        """The size the rate control aims at, container overhead included."""
        media = (self.video_kbps + self.audio_kbps) * 1000 * self.duration / 8
        return round(media + overhead_bytes(self.duration, self.fps, self.audio_kbps > 0))


Plan = Untouched | Rendition | Impossible


def bits_per_pixel(video_kbps: float, width: int, height: int, fps: float) -> float:
    """Video bits per pixel per frame."""
    return video_kbps * 1000 / (width * height * fps)


def overhead_bytes(duration: float, fps: float, has_audio: bool) -> float:
    """An MP4's bytes beyond the streams: the fixed boxes and x264's header (a few KiB), and
    the sample tables (size, offset, time: about 16 bytes per video frame, 8 per AAC frame)."""
    per_second = fps * 16 + (AAC_FRAMES_PER_SECOND * 8 if has_audio else 0)
    return 8192 + duration * per_second


def plan_fit(source: Source, limit_bytes: int, policy: Policy = DEFAULT_POLICY) -> Plan:
    """How to make `source` fit `limit_bytes`: untouched, a rendition, or impossible."""
    if source.size_bytes <= limit_bytes:
        return Untouched(f"{source.size_bytes} bytes fit the limit of {limit_bytes}")
    video_kbps, audio_kbps = _rates(source, limit_bytes, policy)
    return _choose(source, video_kbps, audio_kbps, _candidates(source, policy), policy)


def plan_retry(
    source: Source,
    limit_bytes: int,
    previous: Rendition,
    result_bytes: int,
    policy: Policy = DEFAULT_POLICY,
) -> Rendition | Impossible:
    """A second, lower attempt after `previous` came out at `result_bytes` (over the limit):
    `retry_factor` of the bitrate that would have landed on the limit, the same size if its
    bits per pixel allow it, else a lower rung; never higher than before."""
    landed = previous.video_kbps * limit_bytes / max(result_bytes, 1)
    video_kbps = int(min(previous.video_kbps, landed) * policy.retry_factor)
    rungs = [side for side in _candidates(source, policy) if side <= previous.short_side]
    return _choose(source, video_kbps, previous.audio_kbps, rungs, policy)


def _rates(source: Source, limit_bytes: int, policy: Policy) -> tuple[int, int]:
    """(video, audio) kbit/s that fill the limit, less the margin and the overhead."""
    usable = limit_bytes * (1 - policy.safety_margin)
    usable -= overhead_bytes(source.duration, source.fps, source.has_audio)
    total_kbps = usable * 8 / source.duration / 1000
    audio_kbps = 0
    if source.has_audio:
        thin = total_kbps < 8 * policy.audio_kbps
        audio_kbps = policy.low_audio_kbps if thin else policy.audio_kbps
        copyable = source.copyable_audio_kbps
        if copyable is not None and 0 < copyable <= audio_kbps:
            audio_kbps = copyable
    return int(total_kbps - audio_kbps), audio_kbps


def _candidates(source: Source, policy: Policy) -> list[int]:
    """Short sides to try, highest first: the source's own (never upscaled), the ladder's rungs
    below it down to the minimum, or the source's alone when it is smaller than that."""
    short = min(source.width, source.height)
    sides = [short] + [rung for rung in policy.ladder if rung < short]
    allowed = [side for side in sides if side >= policy.min_short_side]
    return allowed or [short]


def _choose(
    source: Source, video_kbps: int, audio_kbps: int, rungs: list[int], policy: Policy
) -> Rendition | Impossible:
    if video_kbps <= 0 or not rungs:
        return Impossible(
            f"the limit leaves no room for video over {source.duration:.1f} s "
            f"(audio and container take it all)"
        )
    for side in rungs:
        rendition = _rendition(source, side, video_kbps, audio_kbps)
        if rendition.bits_per_pixel >= policy.bpp_floor:
            return rendition
    lowest = _rendition(source, rungs[-1], video_kbps, audio_kbps)
    if lowest.bits_per_pixel >= policy.bpp_hard_floor:
        return lowest
    return Impossible(
        f"{video_kbps} kbit/s over {source.duration:.1f} s is too thin even at "
        f"{lowest.width}x{lowest.height} ({lowest.bits_per_pixel:.3f} bits per pixel, "
        f"the least allowed is {policy.bpp_hard_floor})"
    )


def _rendition(source: Source, short_side: int, video_kbps: int, audio_kbps: int) -> Rendition:
    width, height = scaled_size(source.width, source.height, short_side)
    copy = audio_kbps > 0 and audio_kbps == source.copyable_audio_kbps
    return Rendition(width, height, video_kbps, audio_kbps, source.fps, source.duration, copy)


def scaled_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """(width, height) with the short side at `short_side`, the aspect kept, both even (as
    yuv420p needs), never larger than the source."""
    short, long = min(width, height), max(width, height)
    side = max(2, min(short_side, short) // 2 * 2)
    other = max(2, min(long // 2 * 2, round(long * side / short / 2) * 2))
    return (other, side) if width >= height else (side, other)
