"""REST routes that carry messages: interaction callbacks, interaction webhooks, channels, DMs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import messages, payloads
from .models import (
    ATTACH_FILES,
    DM_UPLOAD_LIMIT,
    EPHEMERAL,
    LOADING,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeChannel,
    FakeInteraction,
    FakeMessage,
)
from .wire import API, BODY, FILES, Upload, error, fake_of, reply

if TYPE_CHECKING:
    from .core import FakeDiscord

# Callback types allowed per interaction type (2 command, 3 component, 4 autocomplete, 5 modal).
ALLOWED_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}


def add_routes(r: web.UrlDispatcher) -> None:
    """Register the message-carrying routes."""
    r.add_post(API + "/interactions/{interaction_id}/{token}/callback", _callback)
    hook = API + "/webhooks/{app_id}/{token}"
    r.add_post(hook, _followup)
    r.add_route("*", hook + "/messages/{message_id}", _webhook_message)
    r.add_post(API + "/channels/{channel_id}/messages", _post_channel_message)
    r.add_route("*", API + "/channels/{channel_id}/messages/{message_id}", _channel_message)
    r.add_post(API + "/channels/{channel_id}/messages/{message_id}/threads", _start_thread)
    r.add_get(API + "/channels/{channel_id}", _get_channel)
    r.add_post(API + "/users/@me/channels", _open_dm)


# -- interactions --------------------------------------------------------------------------


def _too_large(files: Sequence[Upload], limit: int) -> web.Response | None:
    if any(len(data) > limit for _, data, _ in files):
        return error(413, 40005, "Request entity too large")
    return None


async def _callback(request: web.Request) -> web.Response:
    fake = fake_of(request)
    it = fake.interactions.get(int(request.match_info["interaction_id"]))
    if it is None or it.token != request.match_info["token"]:
        return error(404, 10062, "Unknown interaction")
    if fake.clock() - it.created_at > fake.initial_response_window:
        return error(404, 10062, "Unknown interaction")
    if it.response_type is not None:
        return error(400, 40060, "Interaction has already been acknowledged.")
    body = request[BODY] or {}
    kind = body.get("type")
    if kind not in ALLOWED_CALLBACKS.get(it.type, set()) or (
        kind in (6, 7) and it.source_message is None
    ):
        return error(
            400, 50035, f"Invalid Form Body: callback type {kind} for interaction type {it.type}"
        )
    too_large = _too_large(request[FILES], it.attachment_size_limit)
    if too_large is not None:
        return too_large
    data = body.get("data") or {}
    it.response_type, it.response_data = kind, data
    if kind == 4:
        it.message = await _interaction_message(fake, it, data, request[FILES])
    elif kind == 5:
        deferred = {"flags": data["flags"]} if data.get("flags") else {}
        it.message = await _interaction_message(fake, it, deferred, [], LOADING)
    elif kind in (6, 7):
        it.message = it.source_message
        if kind == 7 and it.message is not None:
            await messages.edit_message(fake, it.message, data, request[FILES])
    elif kind == 9:
        fake.modals.append((it, data))
    await fake.notify()
    if request.query.get("with_response") not in ("1", "true", "True"):
        return reply(204, None)
    return reply(200, _callback_response(fake, it, kind))


def _callback_response(fake: FakeDiscord, it: FakeInteraction, kind: int) -> dict[str, Any]:
    summary: dict[str, Any] = {"id": str(it.id), "type": it.type}
    if it.guild_id is not None:
        summary["guild_id"] = str(it.guild_id)
    summary["channel_id"] = str(it.channel_id)
    body: dict[str, Any] = {"interaction": summary}
    if it.message is not None and kind in (4, 5):
        summary["response_message_id"] = str(it.message.id)
        summary["response_message_loading"] = kind == 5
        summary["response_message_ephemeral"] = it.message.ephemeral
    if it.message is not None and kind in (4, 7):
        body["resource"] = {"type": kind, "message": messages.message_payload(fake, it.message)}
    return body


async def _interaction_message(
    fake: FakeDiscord,
    it: FakeInteraction,
    data: dict[str, Any],
    files: Sequence[Upload],
    extra_flags: int = 0,
) -> FakeMessage:
    kind = 20 if it.type == 2 else 0
    return await messages.create_message(
        fake, it.channel_id, data, files, type=kind, extra_flags=extra_flags, interaction=it
    )


def _webhook_interaction(
    request: web.Request,
) -> tuple[FakeInteraction | None, web.Response | None]:
    fake = fake_of(request)
    if request.match_info["app_id"] != str(fake.application_id):
        return None, error(404, 10015, "Unknown Webhook")
    it = fake.interaction_by_token(request.match_info["token"])
    if it is None or fake.token_expired(it):
        return None, error(401, 50027, "Invalid Webhook Token")
    return it, None


async def _followup(request: web.Request) -> web.Response:
    fake = fake_of(request)
    it, refused = _webhook_interaction(request)
    if refused is not None or it is None:
        return refused or error(404, 10015, "Unknown Webhook")
    if it.response_type is None:
        return error(404, 10015, "Unknown Webhook")
    too_large = _too_large(request[FILES], it.attachment_size_limit)
    if too_large is not None:
        return too_large
    body = request[BODY] or {}
    message = await messages.create_message(
        fake, it.channel_id, body, request[FILES], interaction=it
    )
    it.followups.append(message)
    await fake.notify()
    if request.query.get("wait") not in ("1", "true", "True"):
        return reply(204, None)
    return reply(200, messages.message_payload(fake, message))


async def _webhook_message(request: web.Request) -> web.Response:
    fake = fake_of(request)
    it, refused = _webhook_interaction(request)
    if refused is not None or it is None:
        return refused or error(404, 10015, "Unknown Webhook")
    wanted = request.match_info["message_id"]
    if wanted == "@original":
        message = it.message
    else:
        candidates = [it.message, *it.followups]
        message = next((m for m in candidates if m is not None and str(m.id) == wanted), None)
    if message is None or message.deleted:
        return error(404, 10008, "Unknown Message")
    return await _message_verb(fake, request, message, it.attachment_size_limit)


async def _message_verb(
    fake: FakeDiscord, request: web.Request, message: FakeMessage, upload_limit: int
) -> web.Response:
    if request.method == "GET":
        return reply(200, messages.message_payload(fake, message))
    if request.method == "DELETE":
        await messages.delete_message(fake, message)
        return reply(204, None)
    if request.method == "PATCH":
        too_large = _too_large(request[FILES], upload_limit)
        if too_large is not None:
            return too_large
        await messages.edit_message(fake, message, request[BODY] or {}, request[FILES])
        return reply(200, messages.message_payload(fake, message))
    raise web.HTTPMethodNotAllowed(request.method, ["GET", "PATCH", "DELETE"])


# -- channels and DMs -------------------------------------------------------------------------


def _channel(fake: FakeDiscord, channel_id: int) -> FakeChannel | None:
    for guild in fake.guilds.values():
        if channel_id in guild.channels:
            return guild.channels[channel_id]
        if channel_id in guild.threads:
            return guild.threads[channel_id]
    return next((c for c in fake.dm_channels.values() if c.id == channel_id), None)


def _upload_limit(fake: FakeDiscord, channel: FakeChannel) -> int:
    """What a bot may attach here: its server's limit (its boost level), 10 MiB in a DM."""
    guild = fake.guilds.get(channel.guild_id) if channel.guild_id is not None else None
    return guild.upload_limit if guild is not None else DM_UPLOAD_LIMIT


def _bot_may(fake: FakeDiscord, channel: FakeChannel, needed: int) -> web.Response | None:
    """Discord's refusal when the bot lacks `needed` in a guild text channel, else None:
    without View Channel 50001 Missing Access, otherwise 50013 Missing Permissions."""
    guild = fake.guilds.get(channel.guild_id) if channel.guild_id is not None else None
    if guild is None or channel.id not in guild.channels:
        return None  # a DM, or a thread (the fake follows its parent's rights loosely)
    have = guild.channel_permissions(fake.bot_user_id, channel)
    if not have & VIEW_CHANNEL:
        return error(403, 50001, "Missing Access")
    if needed & ~have:
        return error(403, 50013, "Missing Permissions")
    return None


async def _get_channel(request: web.Request) -> web.Response:
    fake = fake_of(request)
    channel = _channel(fake, int(request.match_info["channel_id"]))
    if channel is None:
        return error(404, 10003, "Unknown Channel")
    refused = _bot_may(fake, channel, VIEW_CHANNEL)
    if refused is not None:
        return refused
    return reply(200, payloads.channel(channel))


async def _post_channel_message(request: web.Request) -> web.Response:
    fake = fake_of(request)
    channel = _channel(fake, int(request.match_info["channel_id"]))
    if channel is None:
        return error(404, 10003, "Unknown Channel")
    if channel.recipient_id is not None and channel.recipient_id in fake.dms_closed:
        return error(403, 50007, "Cannot send messages to this user")
    refused = _bot_may(
        fake, channel, VIEW_CHANNEL | SEND_MESSAGES | (ATTACH_FILES if request[FILES] else 0)
    )
    if refused is not None:
        return refused
    too_large = _too_large(request[FILES], _upload_limit(fake, channel))
    if too_large is not None:
        return too_large
    body = dict(request[BODY] or {})
    body["flags"] = int(body.get("flags") or 0) & ~EPHEMERAL  # only interactions are ephemeral
    kind = 19 if body.get("message_reference") else 0
    message = await messages.create_message(fake, channel.id, body, request[FILES], type=kind)
    return reply(200, messages.message_payload(fake, message))


async def _channel_message(request: web.Request) -> web.Response:
    fake = fake_of(request)
    channel = _channel(fake, int(request.match_info["channel_id"]))
    if channel is None:
        return error(404, 10003, "Unknown Channel")
    message = fake.messages.get(int(request.match_info["message_id"]))
    if message is None or message.deleted or message.ephemeral or message.channel_id != channel.id:
        return error(404, 10008, "Unknown Message")
    return await _message_verb(fake, request, message, _upload_limit(fake, channel))


async def _start_thread(request: web.Request) -> web.Response:
    """A public thread from a message: it takes the message's id; one thread per message."""
    fake = fake_of(request)
    channel = _channel(fake, int(request.match_info["channel_id"]))
    if channel is None or channel.guild_id is None:
        return error(404, 10003, "Unknown Channel")
    message = fake.messages.get(int(request.match_info["message_id"]))
    if message is None or message.deleted or message.ephemeral or message.channel_id != channel.id:
        return error(404, 10008, "Unknown Message")
    if channel.type != 0:
        return error(400, 50024, "Cannot execute action on this channel type")
    guild = fake.guilds[channel.guild_id]
    if message.id in guild.threads:
        return error(400, 160004, "A thread has already been created for this message")
    body = request[BODY] or {}
    thread = FakeChannel(
        message.id,
        channel.guild_id,
        body["name"],
        type=11,
        parent_id=channel.id,
        auto_archive_duration=body.get("auto_archive_duration"),
    )
    guild.threads[thread.id] = thread
    await fake.notify()
    return reply(201, payloads.thread(thread, owner_id=fake.bot_user_id))


async def _open_dm(request: web.Request) -> web.Response:
    fake = fake_of(request)
    recipient = int((request[BODY] or {}).get("recipient_id", 0))
    if recipient not in fake.dm_channels:
        fake.dm_channels[recipient] = FakeChannel(
            fake.snowflakes.next(), None, "", type=1, recipient_id=recipient
        )
    channel = fake.dm_channels[recipient]
    body = payloads.channel(channel)
    body["recipients"] = [payloads.user(recipient, fake.user_name(recipient))]
    return reply(200, body)
