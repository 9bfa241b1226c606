"""The bot's messages: created, edited and deleted through any route, with their files."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import interactions, payloads
from .models import EPHEMERAL, FakeFile, FakeInteraction, FakeMessage
from .wire import Upload

if TYPE_CHECKING:
    from .core import FakeDiscord

GUILD_MESSAGES_INTENT = 1 << 9
# Message flags a bot may set: SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS, COMPONENTS_V2.
SETTABLE_FLAGS = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)


def make_file(
    fake: FakeDiscord, channel_id: int, filename: str, data: bytes, content_type: str
) -> FakeFile:
    """Store an uploaded file under a fake CDN URL (the type guessed from the name)."""
    if content_type in ("", "application/octet-stream"):
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    file_id = fake.snowflakes.next()
    url = f"{fake.root}/attachments/{channel_id}/{file_id}/{filename}"
    file = FakeFile(filename, data, content_type, len(data), file_id, url)
    fake.files[file_id] = file
    return file


async def create_message(
    fake: FakeDiscord,
    channel_id: int,
    body: dict[str, Any],
    files: Sequence[Upload],
    *,
    type: int = 0,
    extra_flags: int = 0,
    interaction: FakeInteraction | None = None,
) -> FakeMessage:
    """A message the bot sends (channel POST, interaction response or followup)."""
    guild_id = next(
        (g.id for g in fake.guilds.values() if channel_id in g.channels or channel_id in g.threads),
        None,
    )
    message = FakeMessage(
        fake.snowflakes.next(), channel_id, guild_id, type=type, created_at=fake.clock()
    )
    message.flags = (int(body.get("flags") or 0) & SETTABLE_FLAGS) | extra_flags
    if interaction is not None:
        message.webhook_id = fake.application_id
        message.interaction_id = interaction.id
        message.interaction_metadata = interactions.metadata(fake, interaction)
        if interaction.type == 2:
            message.interaction_name = interaction.payload["data"]["name"]
    _apply(fake, message, body, files, creating=True)
    fake.messages[message.id] = message
    await _message_event(fake, "MESSAGE_CREATE", message)
    return message


async def edit_message(
    fake: FakeDiscord, message: FakeMessage, body: dict[str, Any], files: Sequence[Upload]
) -> None:
    """Apply an edit; the loading flag of a deferred response goes away."""
    flags = body.get("flags")
    if flags is not None:  # only SUPPRESS_EMBEDS and COMPONENTS_V2 can change on edit
        mutable = (1 << 2) | (1 << 15)
        message.flags = (message.flags & ~mutable) | (int(flags) & mutable)
    message.flags &= ~(1 << 7)
    message.edited_at = fake.clock()
    _apply(fake, message, body, files, creating=False)
    await _message_event(fake, "MESSAGE_UPDATE", message)


async def delete_message(fake: FakeDiscord, message: FakeMessage) -> None:
    """Mark deleted (kept in ``messages`` so tests can see it existed)."""
    message.deleted = True
    if fake.gateway.intents & GUILD_MESSAGES_INTENT and not message.ephemeral:
        event = {"id": str(message.id), "channel_id": str(message.channel_id)}
        if message.guild_id is not None:
            event["guild_id"] = str(message.guild_id)
        await fake.gateway.dispatch("MESSAGE_DELETE", event)
    await fake.notify()


def _apply(
    fake: FakeDiscord,
    message: FakeMessage,
    body: dict[str, Any],
    files: Sequence[Upload],
    *,
    creating: bool,
) -> None:
    if "content" in body:
        message.content = body["content"]
    if "embeds" in body:
        message.embeds = [{"type": "rich", **e} for e in body["embeds"] or []]
    if "components" in body:
        message.components = interactions.numbered(body["components"] or [])
    described = {str(a.get("id")): a for a in body.get("attachments") or []}
    uploaded = []
    for index, (filename, data, content_type) in enumerate(files):
        meta = described.pop(str(index), {})
        file = make_file(
            fake, message.channel_id, meta.get("filename") or filename, data, content_type
        )
        file.description = meta.get("description")
        uploaded.append(file)
    if creating or "attachments" not in body:
        kept = message.attachments
    else:  # an edit listing attachments keeps only those it lists
        kept = [f for f in message.attachments if str(f.id) in described]
    message.attachments = kept + uploaded
    message.edits.append(body)


async def _message_event(fake: FakeDiscord, event: str, message: FakeMessage) -> None:
    if fake.gateway.intents & GUILD_MESSAGES_INTENT and not message.ephemeral:
        await fake.gateway.dispatch(event, message_payload(fake, message))
    await fake.notify()


def message_payload(fake: FakeDiscord, message: FakeMessage) -> dict[str, Any]:
    """The message as Discord returns it."""
    author = payloads.user(fake.bot_user_id, fake.bot_name, bot=True)
    return payloads.message(
        message, author=author, application_id=fake.application_id, sign=fake.signed_url
    )
