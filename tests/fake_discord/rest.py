"""The fake's REST API under /api/v10, answering as Discord does (bodies, errors, headers).

A middleware records every request, validates its JSON (or multipart ``payload_json``) against the
OpenAPI spec and plays scripted faults before the route's handler runs.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from . import payloads
from .models import EPHEMERAL, LOADING, FakeChannel, FakeInteraction, FakeMessage, RecordedRequest

if TYPE_CHECKING:
    from .core import FakeDiscord

API = "/api/v10"
FAKE: web.AppKey[FakeDiscord] = web.AppKey("fake", object)  # type: ignore[arg-type]
# Callback types allowed per interaction type (2 command, 3 component, 4 autocomplete, 5 modal).
ALLOWED_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}
BODY: web.RequestKey[Any] = web.RequestKey("body", object)
Upload = tuple[str, bytes, str]  # filename, bytes, content type as sent
FILES: web.RequestKey[Sequence[Upload]] = web.RequestKey("files", Sequence)


def _ratelimit_headers() -> dict[str, str]:
    """Headers of a request well within its bucket (discord.py reads them on every reply)."""
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": "fakeok",
    }


def build_app(fake: FakeDiscord) -> web.Application:
    """The aiohttp application serving REST, the gateway websocket and attachment bytes."""
    app = web.Application(middlewares=[_middleware], client_max_size=64 * 1024 * 1024)
    app[FAKE] = fake
    r = app.router
    r.add_get("/gateway", fake.gateway.handle)
    r.add_get("/gateway-resume", fake.gateway.handle)
    r.add_get("/attachments/{channel_id}/{file_id}/{filename}", _file)
    r.add_get("/ephemeral-attachments/{app_id}/{file_id}/{filename}", _file)
    r.add_get(API + "/users/@me", _me)
    r.add_get(API + "/gateway", _gateway)
    r.add_get(API + "/gateway/bot", _gateway)
    r.add_get(API + "/oauth2/applications/@me", _application)
    r.add_get(API + "/applications/@me", _application)
    for base in ("/applications/{app_id}/commands", "/applications/{app_id}/guilds/{gid}/commands"):
        r.add_put(API + base, _put_commands)
        r.add_get(API + base, _get_commands)
    r.add_post(API + "/interactions/{interaction_id}/{token}/callback", _callback)
    hook = API + "/webhooks/{app_id}/{token}"
    r.add_post(hook, _followup)
    r.add_route("*", hook + "/messages/{message_id}", _webhook_message)
    r.add_post(API + "/channels/{channel_id}/messages", _post_channel_message)
    r.add_route("*", API + "/channels/{channel_id}/messages/{message_id}", _channel_message)
    r.add_get(API + "/channels/{channel_id}", _get_channel)
    r.add_post(API + "/users/@me/channels", _open_dm)
    return app


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with the exact content type discord.py expects (no charset), or 204."""
    if body is None:
        return web.Response(status=status, headers=headers)
    data = json.dumps(body).encode()
    return web.Response(
        status=status, body=data, headers={"Content-Type": "application/json", **(headers or {})}
    )


def error(status: int, code: int, message: str) -> web.Response:
    """Discord's error body."""
    return reply(status, {"message": message, "code": code})


def _fake(request: web.Request) -> FakeDiscord:
    return request.app[FAKE]


@web.middleware
async def _middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    fake = _fake(request)
    if request.path.startswith("/gateway"):
        return await handler(request)  # type: ignore[no-any-return]
    if request.path.startswith(("/attachments/", "/ephemeral-attachments/")):  # the CDN
        cdn: web.Response = await handler(request)
        fake.requests.append(
            RecordedRequest(request.method, request.path, None, [], fake.clock(), status=cdn.status)
        )
        return cdn
    path = request.path.removeprefix(API)
    body, files, multipart = await _read_body(request)
    record = RecordedRequest(request.method, path, body, files, fake.clock(), dict(request.query))
    fake.requests.append(record)
    request[BODY], request[FILES] = body, files
    assert fake.checker is not None
    if request.method in ("POST", "PUT", "PATCH"):
        fake.schema_errors.extend(
            fake.checker.check(request.method, path, body, multipart=multipart)
        )
    fault = fake.take_fault(request.method, path)
    if fault is not None:
        response = _fault_response(fault.status, fault.retry_after, fault.body)
    elif not _authorized(fake, request, path):
        response = error(401, 0, "401: Unauthorized")
    else:
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            fake.unhandled.append(f"{request.method} {path}")
            response = error(404, 0, "404: Not Found")
        except web.HTTPMethodNotAllowed:
            fake.unhandled.append(f"{request.method} {path}")
            response = error(405, 0, "405: Method Not Allowed")
    if response.status != 429:
        response.headers.update(_ratelimit_headers())
    record.status = response.status
    if fake.check_responses and 200 <= response.status < 300 and isinstance(response, web.Response):
        _check_response(fake, request.method, path, response)
    await fake.notify()
    return response


async def _read_body(request: web.Request) -> tuple[Any, list[Upload], bool]:
    content_type = request.content_type
    files: list[Upload] = []
    if content_type == "multipart/form-data":
        body: Any = None
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue  # discord.py never nests multiparts
            raw = bytes(await part.read())
            if part.name == "payload_json":
                body = json.loads(raw)
            elif part.name and part.name.startswith("files["):
                kind = part.headers.get("Content-Type", "application/octet-stream")
                files.append((part.filename or part.name, raw, kind))
        return body, files, True
    raw_body = await request.read()
    if not raw_body:
        return None, files, False
    return json.loads(raw_body), files, False


def _authorized(fake: FakeDiscord, request: web.Request, path: str) -> bool:
    if path.startswith(("/webhooks/", "/interactions/")):
        return True  # interaction webhooks authenticate by their token
    return request.headers.get("Authorization") == f"Bot {fake.bot_token}"


def _fault_response(status: int, retry_after: float, body: dict[str, Any] | None) -> web.Response:
    if status == 429:
        headers = {
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Bucket": "fakebucket",
            "X-RateLimit-Scope": "user",
            "Via": "1.1 google",  # discord.py treats a 429 without Via as a Cloudflare ban
        }
        limited = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": False,
            "code": 0,
        }
        return reply(429, body or limited, headers)
    return reply(status, body or {"message": f"{status}: fake failure", "code": 0})


def _check_response(fake: FakeDiscord, method: str, path: str, response: web.Response) -> None:
    assert fake.checker is not None
    assert isinstance(response.body, bytes)
    errors = fake.checker.check_response(method, path, response.status, json.loads(response.body))
    fake.response_errors.extend(errors)


# -- simple resources -------------------------------------------------------------------------


async def _file(request: web.Request) -> web.Response:
    file = _fake(request).files.get(int(request.match_info["file_id"]))
    if file is None or file.filename != request.match_info["filename"]:
        return web.Response(status=404, text="Not Found")
    return web.Response(body=file.data, headers={"Content-Type": file.content_type})


async def _me(request: web.Request) -> web.Response:
    fake = _fake(request)
    return reply(200, payloads.bot_self(fake.bot_user_id, fake.bot_name))


async def _gateway(request: web.Request) -> web.Response:
    fake = _fake(request)
    body: dict[str, Any] = {"url": fake.gateway_url}
    if request.path.endswith("/bot"):
        limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
        body.update(shards=1, session_start_limit=limit)
    return reply(200, body)


async def _application(request: web.Request) -> web.Response:
    fake = _fake(request)
    return reply(
        200,
        {
            "id": str(fake.application_id),
            "name": fake.bot_name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "flags_new": "0",
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "owner": payloads.user(fake.owner_id, "owner"),
            "approximate_guild_count": len(fake.guilds),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": None,
            "eligible_oauth2_scopes": ["bot", "applications.commands"],
            "bot": payloads.user(fake.bot_user_id, fake.bot_name, bot=True),
            "rpc_origins": [],
        },
    )


# -- application commands ------------------------------------------------------------------


def _command_scope(request: web.Request) -> tuple[web.Response | None, int | None]:
    fake = _fake(request)
    if int(request.match_info["app_id"]) != fake.application_id:
        return error(403, 50001, "Missing Access"), None
    gid = request.match_info.get("gid")
    if gid is not None and int(gid) not in fake.guilds:
        return error(403, 50001, "Missing Access"), None
    return None, int(gid) if gid is not None else None


async def _put_commands(request: web.Request) -> web.Response:
    fake = _fake(request)
    refused, guild_id = _command_scope(request)
    if refused is not None:
        return refused
    current = fake.global_commands if guild_id is None else fake.guild_commands.get(guild_id, {})
    synced: dict[str, dict[str, Any]] = {}
    for command in request[BODY] or []:
        old = current.get(command["name"])
        permissions = command.get("default_member_permissions")
        synced[command["name"]] = {
            "type": 1,
            "description": "",
            "options": [],
            "nsfw": False,
            "contexts": None,
            "dm_permission": True,
            **command,
            "id": old["id"] if old else str(fake.snowflakes.next()),
            "application_id": str(fake.application_id),
            "version": str(fake.snowflakes.next()),
            "default_member_permissions": None if permissions is None else str(permissions),
            "integration_types": command.get("integration_types") or [0],
            **({"guild_id": str(guild_id)} if guild_id is not None else {}),
        }
    if guild_id is None:
        fake.global_commands = synced
    else:
        fake.guild_commands[guild_id] = synced
    fake.sync_count += 1
    return reply(200, list(synced.values()))


async def _get_commands(request: web.Request) -> web.Response:
    fake = _fake(request)
    refused, guild_id = _command_scope(request)
    if refused is not None:
        return refused
    current = fake.global_commands if guild_id is None else fake.guild_commands.get(guild_id, {})
    return reply(200, list(current.values()))


# -- interactions --------------------------------------------------------------------------


def _too_large(files: Sequence[Upload], limit: int) -> web.Response | None:
    if any(len(data) > limit for _, data, _ in files):
        return error(413, 40005, "Request entity too large")
    return None


async def _callback(request: web.Request) -> web.Response:
    fake = _fake(request)
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
            await fake.edit_message(it.message, data, request[FILES])
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
        body["resource"] = {"type": kind, "message": fake.message_payload(it.message)}
    return body


async def _interaction_message(
    fake: FakeDiscord,
    it: FakeInteraction,
    data: dict[str, Any],
    files: Sequence[Upload],
    extra_flags: int = 0,
) -> FakeMessage:
    kind = 20 if it.type == 2 else 0
    return await fake.create_message(
        it.channel_id, data, files, type=kind, extra_flags=extra_flags, interaction=it
    )


def _webhook_interaction(
    request: web.Request,
) -> tuple[FakeInteraction | None, web.Response | None]:
    fake = _fake(request)
    if request.match_info["app_id"] != str(fake.application_id):
        return None, error(404, 10015, "Unknown Webhook")
    it = fake.interaction_by_token(request.match_info["token"])
    if it is None or fake.token_expired(it):
        return None, error(401, 50027, "Invalid Webhook Token")
    return it, None


async def _followup(request: web.Request) -> web.Response:
    fake = _fake(request)
    it, refused = _webhook_interaction(request)
    if refused is not None or it is None:
        return refused or error(404, 10015, "Unknown Webhook")
    if it.response_type is None:
        return error(404, 10015, "Unknown Webhook")
    too_large = _too_large(request[FILES], it.attachment_size_limit)
    if too_large is not None:
        return too_large
    body = request[BODY] or {}
    message = await fake.create_message(it.channel_id, body, request[FILES], interaction=it)
    it.followups.append(message)
    await fake.notify()
    if request.query.get("wait") not in ("1", "true", "True"):
        return reply(204, None)
    return reply(200, fake.message_payload(message))


async def _webhook_message(request: web.Request) -> web.Response:
    fake = _fake(request)
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
        return reply(200, fake.message_payload(message))
    if request.method == "DELETE":
        await fake.delete_message(message)
        return reply(204, None)
    if request.method == "PATCH":
        too_large = _too_large(request[FILES], upload_limit)
        if too_large is not None:
            return too_large
        await fake.edit_message(message, request[BODY] or {}, request[FILES])
        return reply(200, fake.message_payload(message))
    raise web.HTTPMethodNotAllowed(request.method, ["GET", "PATCH", "DELETE"])


# -- channels and DMs -------------------------------------------------------------------------


def _channel(fake: FakeDiscord, channel_id: int) -> FakeChannel | None:
    for guild in fake.guilds.values():
        if channel_id in guild.channels:
            return guild.channels[channel_id]
    return next((c for c in fake.dm_channels.values() if c.id == channel_id), None)


def _upload_limit(fake: FakeDiscord, channel: FakeChannel) -> int:
    guild = fake.guilds.get(channel.guild_id) if channel.guild_id is not None else None
    return guild.upload_limit if guild is not None else 10 * 1024 * 1024


async def _get_channel(request: web.Request) -> web.Response:
    fake = _fake(request)
    channel = _channel(fake, int(request.match_info["channel_id"]))
    if channel is None:
        return error(404, 10003, "Unknown Channel")
    return reply(200, payloads.channel(channel))


async def _post_channel_message(request: web.Request) -> web.Response:
    fake = _fake(request)
    channel = _channel(fake, int(request.match_info["channel_id"]))
    if channel is None:
        return error(404, 10003, "Unknown Channel")
    if channel.recipient_id is not None and channel.recipient_id in fake.dms_closed:
        return error(403, 50007, "Cannot send messages to this user")
    too_large = _too_large(request[FILES], _upload_limit(fake, channel))
    if too_large is not None:
        return too_large
    body = dict(request[BODY] or {})
    body["flags"] = int(body.get("flags") or 0) & ~EPHEMERAL  # only interactions are ephemeral
    kind = 19 if body.get("message_reference") else 0
    message = await fake.create_message(channel.id, body, request[FILES], type=kind)
    return reply(200, fake.message_payload(message))


async def _channel_message(request: web.Request) -> web.Response:
    fake = _fake(request)
    channel = _channel(fake, int(request.match_info["channel_id"]))
    if channel is None:
        return error(404, 10003, "Unknown Channel")
    message = fake.messages.get(int(request.match_info["message_id"]))
    if message is None or message.deleted or message.ephemeral or message.channel_id != channel.id:
        return error(404, 10008, "Unknown Message")
    return await _message_verb(fake, request, message, _upload_limit(fake, channel))


async def _open_dm(request: web.Request) -> web.Response:
    fake = _fake(request)
    recipient = int((request[BODY] or {}).get("recipient_id", 0))
    if recipient not in fake.dm_channels:
        fake.dm_channels[recipient] = FakeChannel(
            fake.snowflakes.next(), None, "", type=1, recipient_id=recipient
        )
    channel = fake.dm_channels[recipient]
    body = payloads.channel(channel)
    body["recipients"] = [payloads.user(recipient, fake.user_name(recipient))]
    return reply(200, body)
