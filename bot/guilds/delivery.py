"""Where a finished video goes: the server's choice, per server and per channel, per job.

An admin picks a mode with `/settings delivery`: in the channel (the default), in a thread
started from the job's message, in a gallery channel (with a link back), or by direct message to
the requester. The mode is decided when the job is prepared and stored with the job's row
(`params["delivery"]`), so a job resumed after a restart, or edited after its interaction token
expired, still knows where to deliver. Knows nothing of Discord: the Discord layer carries it out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.guilds.settings import GuildSettings

MAX_CHANNEL_OVERRIDES = 25


class DeliveryMode(StrEnum):
    """How a finished video reaches the member."""

    CHANNEL = "channel"
    THREAD = "thread"
    GALLERY = "gallery"
    DM = "dm"


@dataclass(frozen=True)
class DeliveryTarget:
    """Where one job's video goes; `gallery_channel_id` is set for the gallery mode only."""

    mode: DeliveryMode = DeliveryMode.CHANNEL
    gallery_channel_id: int | None = None

    def to_params(self) -> dict[str, Any]:
        """The JSON form kept in the job's params."""
        stored: dict[str, Any] = {"mode": self.mode.value}
        if self.gallery_channel_id is not None:
            stored["channel_id"] = self.gallery_channel_id
        return stored

    @classmethod
    def from_params(cls, stored: Any) -> DeliveryTarget:
        """Read the stored form; a job from before delivery modes (or unreadable) goes to the
        channel, which always works."""
        if not isinstance(stored, Mapping):
            return cls()
        try:
            mode = DeliveryMode(str(stored.get("mode")))
        except ValueError:
            return cls()
        channel_id = stored.get("channel_id")
        if mode is DeliveryMode.GALLERY:
            if not isinstance(channel_id, int):
                return cls()
            return cls(mode, channel_id)
        return cls(mode)


@dataclass(frozen=True)
class Posted:
    """Where a job's video was posted away from its channel: a thread, the gallery, a DM."""

    channel_id: int
    message_id: int

    def to_params(self) -> dict[str, int]:
        """The JSON form kept in the job's params."""
        return {"channel_id": self.channel_id, "message_id": self.message_id}

    @classmethod
    def from_params(cls, stored: Any) -> Posted | None:
        """Read the stored form; None when nothing (readable) was stored."""
        if not isinstance(stored, Mapping):
            return None
        channel_id, message_id = stored.get("channel_id"), stored.get("message_id")
        if not isinstance(channel_id, int) or not isinstance(message_id, int):
            return None
        return cls(channel_id, message_id)


class DeliveryJournal(Protocol):
    """Remembers where each job's video was posted, so a retry (after a restart, say) does not
    post it twice. The job service keeps it in the job row."""

    async def delivered_to(self, job_id: str) -> Posted | None:
        """Where the video was already posted, if it was."""
        ...

    async def note_delivery(self, job_id: str, posted: Posted) -> None:
        """Remember where the video was just posted."""
        ...


def delivery_for(
    settings: GuildSettings, channel_id: int, *, prefers_dm: bool = False
) -> DeliveryTarget:
    """The target of a job made in `channel_id`: the channel's own mode, else the server's;
    by direct message instead when the member prefers that (`/prefer dm`), unless the videos
    of that channel go to the server's gallery (the server's showcase wins over the member).

    A gallery mode without a gallery channel, or a job made in the gallery itself, stays in the
    channel (posting it twice in one place would only add noise).
    """
    target = _server_target(settings, channel_id)
    if prefers_dm and target.mode is not DeliveryMode.GALLERY:
        return DeliveryTarget(DeliveryMode.DM)
    return target


def _server_target(settings: GuildSettings, channel_id: int) -> DeliveryTarget:
    overrides = dict(settings.channel_delivery)
    chosen = overrides.get(channel_id) or settings.delivery or DeliveryMode.CHANNEL.value
    try:
        mode = DeliveryMode(chosen)
    except ValueError:
        return DeliveryTarget()
    if mode is DeliveryMode.GALLERY:
        gallery = settings.gallery_channel_id
        if gallery is None or gallery == channel_id:
            return DeliveryTarget()
        return DeliveryTarget(mode, gallery)
    return DeliveryTarget(mode)


def delivery_problem(
    delivery: str | None,
    gallery_channel_id: int | None,
    channel_delivery: Sequence[tuple[int, str]],
) -> str | None:
    """The message key (bot/i18n) saying why these delivery settings cannot be stored, or None."""
    modes = [delivery, *(mode for _, mode in channel_delivery)]
    known = {m.value for m in DeliveryMode}
    if any(mode is not None and mode not in known for mode in modes):
        return "settings.unknown_delivery"
    if DeliveryMode.GALLERY.value in modes and gallery_channel_id is None:
        return "settings.gallery_missing"
    if len(channel_delivery) > MAX_CHANNEL_OVERRIDES:
        return "settings.too_many_overrides"
    channels = [channel for channel, _ in channel_delivery]
    if len(set(channels)) != len(channels):
        return "settings.unknown_delivery"
    return None


__all__ = [
    "MAX_CHANNEL_OVERRIDES",
    "DeliveryJournal",
    "DeliveryMode",
    "DeliveryTarget",
    "Posted",
    "delivery_for",
    "delivery_problem",
]
