"""The Atlas Cloud simulator: a faithful fake of the video API, for tests and dry runs."""

from bot.sim.imaging import ImageInfo, NotAnImage, make_png, sniff_image
from bot.sim.simulator import AtlasSimulator, RecordedRequest

__all__ = [
    "AtlasSimulator",
    "ImageInfo",
    "NotAnImage",
    "RecordedRequest",
    "make_png",
    "sniff_image",
]
