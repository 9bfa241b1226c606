"""Making a video fit an upload limit with a real encoder (ffmpeg), as separate processes.

Knows nothing of Discord, Atlas or the ledger: a file and a byte limit in, a playable file (or
a reason to give the link instead) out.
"""

from bot.transcode.encoder import Encoder, find_encoder, forget_encoders
from bot.transcode.errors import (
    CannotFit,
    EncoderFailed,
    EncodeTimedOut,
    NoEncoder,
    TranscodeError,
    UnreadableInput,
)

__all__ = [
    "CannotFit",
    "EncodeTimedOut",
    "Encoder",
    "EncoderFailed",
    "NoEncoder",
    "TranscodeError",
    "UnreadableInput",
    "find_encoder",
    "forget_encoders",
]
