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
from bot.transcode.plan import (
    LADDER,
    Impossible,
    Plan,
    Policy,
    Rendition,
    Source,
    Untouched,
    plan_fit,
    plan_retry,
)
from bot.transcode.probe import MediaInfo, decodes, faststart, probe

__all__ = [
    "LADDER",
    "CannotFit",
    "EncodeTimedOut",
    "Encoder",
    "EncoderFailed",
    "Impossible",
    "MediaInfo",
    "NoEncoder",
    "Plan",
    "Policy",
    "Rendition",
    "Source",
    "TranscodeError",
    "UnreadableInput",
    "Untouched",
    "decodes",
    "faststart",
    "find_encoder",
    "forget_encoders",
    "plan_fit",
    "plan_retry",
    "probe",
]
