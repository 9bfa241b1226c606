"""One small tree of errors, so a caller can catch `TranscodeError` and give the link instead."""

from __future__ import annotations


class TranscodeError(Exception):
    """The video could not be made to fit; the message says why, in one line."""


class NoEncoder(TranscodeError):
    """No working ffmpeg (with libx264 and AAC) was found; the message says what to install."""


class EncoderFailed(TranscodeError):
    """The encoder exited with an error, or its output did not verify."""

    def __init__(self, message: str, stderr_tail: tuple[str, ...] = ()) -> None:
        detail = f"{message}: {' | '.join(stderr_tail)}" if stderr_tail else message
        super().__init__(detail)
        self.stderr_tail = stderr_tail


class EncodeTimedOut(TranscodeError):
    """The job took longer than its timeout; its process was killed and its files removed."""


class CannotFit(TranscodeError):
    """Even the lowest allowed rendition would not fit the limit: give the link."""


class UnreadableInput(TranscodeError):
    """The input is not a video the encoder can read (missing, truncated, not a video)."""
