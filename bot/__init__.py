"""atlas-video-bot: short AI videos for Discord servers, on a budget the owner controls."""

__version__ = "0.1.0"
USER_AGENT = f"atlas-video-bot/{__version__}"
