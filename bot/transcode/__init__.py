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
from bot.transcode.files import clean_leftovers
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
from bot.transcode.transcoder import Fitted, Transcoder

__all__ = [
    "LADDER",
    "CannotFit",
    "EncodeTimedOut",
    "Encoder",
    "EncoderFailed",
    "Fitted",
    "Impossible",
    "MediaInfo",
    "NoEncoder",
    "Plan",
    "Policy",
    "Rendition",
    "Source",
    "TranscodeError",
    "Transcoder",
    "UnreadableInput",
    "Untouched",
    "clean_leftovers",
    "decodes",
    "faststart",
    "find_encoder",
    "forget_encoders",
    "plan_fit",
    "plan_retry",
    "probe",
]
