"""The fake's REST API under /api/v10, answering as Discord does (bodies, errors, headers).

A middleware records every request, validates its JSON (or multipart ``payload_json``) against the
OpenAPI spec, plays scripted faults and applies Discord's rate limits (ratelimits.py) before the
route's handler runs; every answer carries its bucket's ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from . import payloads, rest_messages
from .models import RecordedRequest
from .ratelimits import (
    BucketState,
    RateLimiter,
    RateLimitHit,
    ceil_ms,
    limited_body,
    limited_headers,
)
from .wire import API, BODY, FAKE, FILES, Upload, error, fake_of, reply

if TYPE_CHECKING:
    from .core import FakeDiscord


def build_app(fake: FakeDiscord) -> web.Application:
    """The aiohttp application serving REST, the gateway websocket and attachment bytes."""
    app = web.Application(
        middlewares=[_middleware], client_max_size=128 * 1024 * 1024
    )  # > 100 MiB (boost level 3)
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
    r.add_get(API + "/applications/{app_id}/guilds/{gid}/commands/permissions", _get_permissions)
    rest_messages.add_routes(r)
    return app


@web.middleware
async def _middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    fake = fake_of(request)
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
    route, resource = _route_of(request, path)
    now = fake.limits.clock()
    record = RecordedRequest(
        request.method,
        path,
        body,
        files,
        fake.clock(),
        dict(request.query),
        route=route,
        limits_at=now,
    )
    fake.requests.append(record)
    fake.limits.calls[route] += 1
    request[BODY], request[FILES] = body, files
    assert fake.checker is not None
    if request.method in ("POST", "PUT", "PATCH"):
        fake.schema_errors.extend(
            fake.checker.check(request.method, path, body, multipart=multipart)
        )
    response, scope = await _answer(fake, request, handler, path, route, resource, now)
    fake.limits.answered(response.status, scope, now)
    record.status = response.status
    if fake.check_responses and 200 <= response.status < 300 and isinstance(response, web.Response):
        _check_response(fake, request.method, path, response)
    await fake.notify()
    return response


async def _answer(
    fake: FakeDiscord,
    request: web.Request,
    handler: Any,
    path: str,
    route: str,
    resource: str,
    now: float,
) -> tuple[web.Response, str | None]:
    """A scripted fault, a 429 from the limits, or the route's own answer; and a 429's scope."""
    limits = fake.limits

    def hit(bucket: str, scope: str, retry_after: float, scripted: bool = False) -> RateLimitHit:
        named = bucket if scope == "global" else f"{bucket} {resource}".strip()
        return RateLimitHit(now, request.method, path, route, named, scope, retry_after, scripted)

    fault = fake.take_fault(request.method, path)
    if fault is not None:
        state = limits.peek(route, resource, now)
        if fault.status != 429:
            body = fault.body or {"message": f"{fault.status}: fake failure", "code": 0}
            return reply(fault.status, body, state.headers()), None
        wait = ceil_ms(fault.retry_after)
        exhausted = replace(state, remaining=0, reset_after=wait, allowed=False)
        return _limited(limits, hit(state.bucket, fault.scope, wait, True), exhausted, fault.body)
    if _global_bound(fake, request, path):
        global_wait = limits.check_global(now)
        if global_wait is not None:
            return _limited(limits, hit("global", "global", global_wait), None)
    state = limits.take(route, resource, now)
    if not state.allowed:
        return _limited(limits, hit(state.bucket, "user", state.reset_after), state)
    if not _authorized(fake, request, path):
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
    response.headers.update(state.headers())
    return response, None


def _route_of(request: web.Request, path: str) -> tuple[str, str]:
    """``"METHOD /template"`` and the top-level resource Discord counts the bucket per."""
    resource = request.match_info.route.resource
    if resource is None:  # a path the fake does not serve: its own route
        return f"{request.method} {path}", ""
    template = resource.canonical.removeprefix(API)
    match = request.match_info
    if "channel_id" in match:
        top = f"channel:{match['channel_id']}"
    elif "gid" in match:
        top = f"guild:{match['gid']}"
    elif "interaction_id" in match:
        top = f"interaction:{match['interaction_id']}+{match['token']}"
    elif "token" in match:
        top = f"webhook:{match['app_id']}+{match['token']}"
    else:
        top = ""
    return f"{request.method} {template}", top


def _global_bound(fake: FakeDiscord, request: web.Request, path: str) -> bool:
    """Sent with a bot token and not an interaction endpoint (those are exempt, documented)."""
    if path.startswith(("/interactions/", f"/webhooks/{fake.application_id}/")):
        return False
    return request.headers.get("Authorization", "").startswith("Bot ")


def _limited(
    limits: RateLimiter,
    hit: RateLimitHit,
    state: BucketState | None,
    body: dict[str, Any] | None = None,
) -> tuple[web.Response, str]:
    """A 429 as Discord sends it (no bucket headers for the global limit), recorded."""
    limits.hits.append(hit)
    headers = limited_headers(hit.retry_after, hit.scope, state)
    payload = body or limited_body(hit.retry_after, is_global=state is None, scope=hit.scope)
    return reply(429, payload, headers), hit.scope


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


def _check_response(fake: FakeDiscord, method: str, path: str, response: web.Response) -> None:
    assert fake.checker is not None
    assert isinstance(response.body, bytes)
    errors = fake.checker.check_response(method, path, response.status, json.loads(response.body))
    fake.response_errors.extend(errors)


# -- simple resources -------------------------------------------------------------------------


async def _file(request: web.Request) -> web.Response:
    fake = fake_of(request)
    file = fake.files.get(int(request.match_info["file_id"]))
    if file is None or file.filename != request.match_info["filename"]:
        return web.Response(status=404, text="Not Found")
    if not fake.link_works(file.id, str(request.url)):
        # Discord's CDN answers an expired (or unsigned) link so.
        return web.Response(status=404, text="This content is no longer available.")
    return web.Response(body=file.data, headers={"Content-Type": file.content_type})


async def _me(request: web.Request) -> web.Response:
    fake = fake_of(request)
    return reply(200, payloads.bot_self(fake.bot_user_id, fake.bot_name))


async def _gateway(request: web.Request) -> web.Response:
    fake = fake_of(request)
    body: dict[str, Any] = {"url": fake.gateway_url}
    if request.path.endswith("/bot"):
        limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
        body.update(shards=1, session_start_limit=limit)
    return reply(200, body)


async def _application(request: web.Request) -> web.Response:
    fake = fake_of(request)
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
    fake = fake_of(request)
    if int(request.match_info["app_id"]) != fake.application_id:
        return error(403, 50001, "Missing Access"), None
    gid = request.match_info.get("gid")
    if gid is not None and int(gid) not in fake.guilds:
        return error(403, 50001, "Missing Access"), None
    return None, int(gid) if gid is not None else None


async def _put_commands(request: web.Request) -> web.Response:
    fake = fake_of(request)
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


async def _get_permissions(request: web.Request) -> web.Response:
    """Every command's permissions set in the guild (and the app-wide entry): Discord lists
    only those an admin changed."""
    fake = fake_of(request)
    refused, guild_id = _command_scope(request)
    if refused is not None or guild_id is None:
        return refused or error(404, 10063, "Unknown application command")
    guild = fake.guilds[guild_id]
    listed = [
        payloads.command_permissions(fake, guild_id, name)
        for name, permissions in guild.command_permissions.items()
        if permissions and (name is None or fake.command_for(name, guild_id) is not None)
    ]
    return reply(200, listed)


async def _get_commands(request: web.Request) -> web.Response:
    fake = fake_of(request)
    refused, guild_id = _command_scope(request)
    if refused is not None:
        return refused
    current = fake.global_commands if guild_id is None else fake.guild_commands.get(guild_id, {})
    return reply(200, list(current.values()))
