"""Interaction payloads as Discord builds them: slash commands, component clicks, modal submits.

The fake plays Discord's client too: it refuses what the client would not let a member do
(hidden commands, disabled buttons, missing required options) with ``ActionUnavailable`` or
``ValueError`` in the test, before anything reaches the bot.
"""

from __future__ import annotations

import base64
import copy
import itertools
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import messages, payloads
from .models import ADMINISTRATOR, FakeGuild, FakeInteraction, FakeMessage, walk_components

if TYPE_CHECKING:
    from .core import FakeDiscord

SUBCOMMAND, SUBCOMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)


class ActionUnavailable(Exception):
    """Discord's client would not let the member do this (hidden command, disabled button)."""


def new_interaction(
    fake: FakeDiscord,
    kind: int,
    data: dict[str, Any],
    user_id: int,
    guild_id: int,
    channel_id: int,
    locale: str,
    attachment_size_limit: int,
    source: FakeMessage | None,
) -> FakeInteraction:
    """The INTERACTION_CREATE payload of a guild interaction, wrapped in a FakeInteraction."""
    guild = fake.guilds[guild_id]
    channel = guild.channels.get(channel_id)
    member = guild.members.get(user_id)
    if channel is None:
        raise LookupError(f"channel {channel_id} is not in guild {guild_id}: add_channel() it")
    if member is None:
        raise LookupError(f"user {user_id} is not a member of guild {guild_id}: add_member() it")
    permissions = guild.permissions_of(user_id)
    interaction_id = fake.snowflakes.next()
    # Like Discord's: URL-safe base64 of "interaction:<id>:<secret>".
    raw = f"interaction:{interaction_id}:{secrets.token_urlsafe(48)}".encode()
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(fake.application_id),
        "type": kind,
        "data": data,
        "token": token,
        "version": 1,
        "guild_id": str(guild_id),
        "guild": {"id": str(guild_id), "locale": guild.locale, "features": []},
        "guild_locale": guild.locale,
        "channel_id": str(channel_id),
        "channel": {**payloads.channel(channel), "permissions": str(permissions)},
        "member": payloads.member(member, permissions=permissions),
        "locale": locale,
        "app_permissions": str(guild.channel_permissions(fake.bot_user_id, channel)),
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "attachment_size_limit": attachment_size_limit,
    }
    if source is not None:
        payload["message"] = messages.message_payload(fake, source)
    return FakeInteraction(
        id=interaction_id,
        token=token,
        type=kind,
        user_id=user_id,
        guild_id=guild_id,
        channel_id=channel_id,
        created_at=fake.clock(),
        attachment_size_limit=attachment_size_limit,
        payload=payload,
        changed=fake.changed,
        source_message=source,
    )


def command_data(
    fake: FakeDiscord,
    name: str,
    guild_id: int,
    user_id: int,
    channel_id: int,
    options: dict[str, Any],
    subcommand: str | None,
    attachments: Sequence[dict[str, Any]],
    unresolved: Sequence[str] = (),
    forged: bool = False,
) -> dict[str, Any]:
    """``data`` of an APPLICATION_COMMAND interaction, checked against the synced command.

    Requests Discord's client would not send (forged, or a Discord bug), for the bot's own
    checks: ``unresolved`` names attachment options whose object is left out of
    ``resolved``; ``forged`` sends string options of any length (the client keeps to the
    command's ``max_length``)."""
    command = fake.command_for(name, guild_id)
    assert command is not None
    guild = fake.guilds[guild_id]
    _check_visible(command, guild, user_id, channel_id)
    resolved: dict[str, dict[str, Any]] = {}
    for extra in attachments:
        resolved.setdefault("attachments", {})[str(extra["id"])] = extra
    definitions: list[dict[str, Any]] = command.get("options") or []
    path = subcommand.split() if subcommand else []
    chain: list[tuple[str, int]] = []
    for part in path:
        found = next(
            (
                o
                for o in definitions
                if o["name"] == part and o["type"] in (SUBCOMMAND, SUBCOMMAND_GROUP)
            ),
            None,
        )
        if found is None:
            raise ValueError(f"/{name} has no subcommand {part!r} (path {subcommand!r})")
        chain.append((part, found["type"]))
        definitions = found.get("options") or []
    if any(o["type"] in (SUBCOMMAND, SUBCOMMAND_GROUP) for o in definitions):
        subs = [o["name"] for o in definitions]
        raise ValueError(f"/{name} {subcommand or ''} needs a subcommand, one of {subs}")
    leaf = _options(fake, guild, definitions, options, resolved, forged=forged)
    for option in leaf:
        if option["name"] in unresolved:
            if option["type"] != ATTACHMENT:
                raise ValueError(f"option {option['name']} is not an attachment")
            resolved.get("attachments", {}).pop(option["value"], None)
    if "attachments" in resolved and not resolved["attachments"]:
        del resolved["attachments"]
    for part, kind in reversed(chain):
        leaf = [{"name": part, "type": kind, "options": leaf}]
    data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": leaf}
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    if resolved:
        data["resolved"] = resolved
    return data


def autocomplete_data(
    fake: FakeDiscord,
    name: str,
    guild_id: int,
    user_id: int,
    channel_id: int,
    options: dict[str, Any],
    focused: str,
    typed: str,
    subcommand: str | None = None,
) -> dict[str, Any]:
    """``data`` of an APPLICATION_COMMAND_AUTOCOMPLETE interaction: the options filled in so far
    and the one being typed (``focused``, its text as typed, whatever the option's type),
    under ``subcommand`` ("group sub") when the option belongs to one."""
    command = fake.command_for(name, guild_id)
    assert command is not None
    _check_visible(command, fake.guilds[guild_id], user_id, channel_id)
    definitions: list[dict[str, Any]] = command.get("options") or []
    chain: list[tuple[str, int]] = []
    for part in subcommand.split() if subcommand else []:
        found = next((o for o in definitions if o["name"] == part), None)
        if found is None or found["type"] not in (SUBCOMMAND, SUBCOMMAND_GROUP):
            raise ValueError(f"/{name} has no subcommand {part!r} (path {subcommand!r})")
        chain.append((part, found["type"]))
        definitions = found.get("options") or []
    by_name = {d["name"]: d for d in definitions}
    if focused not in by_name or not by_name[focused].get("autocomplete"):
        raise ValueError(f"/{name} has no option {focused!r} with autocomplete")
    sent = [{"name": k, "type": by_name[k]["type"], "value": v} for k, v in options.items()]
    sent.append(
        {"name": focused, "type": by_name[focused]["type"], "value": typed, "focused": True}
    )
    for part, kind in reversed(chain):
        sent = [{"name": part, "type": kind, "options": sent}]
    data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": sent}
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    return data


def _check_visible(
    command: dict[str, Any], guild: FakeGuild, user_id: int, channel_id: int
) -> None:
    required = command.get("default_member_permissions")
    member = guild.members.get(user_id)
    let_through = guild.command_overrides.get(command["name"], set())
    if member is not None and let_through & {user_id, *member.role_ids}:
        required = None
    if required is not None and user_id != guild.owner_id:
        have = guild.permissions_of(user_id)
        needed = int(required)
        if not have & ADMINISTRATOR and (needed == 0 or have & needed != needed):
            raise ActionUnavailable(
                f"/{command['name']} needs permissions {needed}; user {user_id} has {have}, "
                "so Discord hides the command"
            )
    if not guild.may_use_command(command["name"], user_id, channel_id):
        raise ActionUnavailable(
            f"/{command['name']} is turned off for user {user_id} in channel {channel_id} "
            "(Server Settings -> Integrations)"
        )
    if command.get("nsfw") and not guild.channels[channel_id].nsfw:
        raise ActionUnavailable(f"/{command['name']} is age-restricted; channel is not NSFW")


def _options(
    fake: FakeDiscord,
    guild: FakeGuild,
    definitions: list[dict[str, Any]],
    given: dict[str, Any],
    resolved: dict[str, dict[str, Any]],
    *,
    forged: bool = False,
) -> list[dict[str, Any]]:
    by_name = {d["name"]: d for d in definitions}
    unknown = set(given) - set(by_name)
    if unknown:
        raise ValueError(f"unknown options {sorted(unknown)}; the command has {sorted(by_name)}")
    missing = [d["name"] for d in definitions if d.get("required") and d["name"] not in given]
    if missing:
        raise ValueError(f"required options missing: {missing}")
    out = []
    for name, value in given.items():
        definition = by_name[name]
        kind = definition["type"]
        value = _value(fake, guild, definition, value, resolved, forged=forged)
        out.append({"name": name, "type": kind, "value": value})
    return out


def _value(
    fake: FakeDiscord,
    guild: FakeGuild,
    definition: dict[str, Any],
    value: Any,
    resolved: dict[str, dict[str, Any]],
    *,
    forged: bool = False,
) -> Any:
    kind = definition["type"]
    name = definition["name"]
    if kind == STRING:
        value = str(value)
        limits = definition.get("min_length", 0), definition.get("max_length", 6000)
        if not forged and not limits[0] <= len(value) <= limits[1]:
            raise ValueError(f"option {name}: length {len(value)} outside the command's limits")
    elif kind in (INTEGER, NUMBER):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"option {name} wants a number, got {value!r}")
        value = int(value) if kind == INTEGER else float(value)
        low, high = definition.get("min_value"), definition.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"option {name}: {value} outside [{low}, {high}]")
    elif kind == BOOLEAN:
        value = bool(value)
    elif kind == ATTACHMENT:
        attachment = value if isinstance(value, dict) else _uploaded(fake, int(value))
        resolved.setdefault("attachments", {})[str(attachment["id"])] = attachment
        return str(attachment["id"])
    elif kind in (USER, MENTIONABLE) and int(value) in guild.members:
        member = guild.members[int(value)]
        resolved.setdefault("users", {})[str(member.user_id)] = payloads.user(
            member.user_id, member.name, bot=member.bot
        )
        entry = payloads.member(member, permissions=guild.permissions_of(member.user_id))
        entry.pop("user")
        resolved.setdefault("members", {})[str(member.user_id)] = entry
        return str(member.user_id)
    elif kind in (ROLE, MENTIONABLE) and int(value) in guild.roles:
        resolved.setdefault("roles", {})[str(value)] = payloads.role(
            guild.id, guild.roles[int(value)]
        )
        return str(value)
    elif kind == CHANNEL and int(value) in guild.channels:
        channel = guild.channels[int(value)]
        resolved.setdefault("channels", {})[str(value)] = {
            "id": str(channel.id),
            "name": channel.name,
            "type": channel.type,
            "permissions": str(ALL_VISIBLE),
            "nsfw": channel.nsfw,
            "parent_id": None,
        }
        return str(value)
    else:
        raise ValueError(f"option {name}: {value!r} does not fit option type {kind}")
    choices = definition.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise ValueError(f"option {name}: {value!r} is not one of the choices {choices}")
    return value


ALL_VISIBLE = 1 << 10


def _uploaded(fake: FakeDiscord, file_id: int) -> dict[str, Any]:
    file = fake.files.get(file_id)
    if file is None:
        raise ValueError(f"no attachment {file_id}: register it with add_attachment()")
    return {**payloads.attachment(file, fake.signed_url(file)), "ephemeral": True}


def component_data(
    message: FakeMessage, custom_id: str, values: Sequence[str] | None
) -> dict[str, Any]:
    """``data`` of a MESSAGE_COMPONENT interaction on one of the message's components."""
    component = next(
        (c for c in walk_components(message.components) if c.get("custom_id") == custom_id), None
    )
    if component is None:
        raise LookupError(
            f"message {message.id} has no component {custom_id!r} (has {message.custom_ids()})"
        )
    if component.get("disabled"):
        raise ActionUnavailable(f"component {custom_id!r} is disabled")
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
    if component["type"] != 2:
        data["values"] = list(values or [])
    if component.get("id") is not None:
        data["id"] = component["id"]
    return data


def modal_data(modal: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """``data`` of a MODAL_SUBMIT, laid out like the modal the bot opened."""
    seen: set[str] = set()

    def submitted(component: dict[str, Any]) -> dict[str, Any]:
        custom_id = component.get("custom_id")
        out: dict[str, Any] = {"type": component["type"]}
        if component.get("id") is not None:
            out["id"] = component["id"]
        if custom_id is None:
            return out
        seen.add(custom_id)
        value = values.get(custom_id)
        if value is None and component.get("required", True) and component["type"] == 4:
            raise ValueError(f"modal field {custom_id!r} is required")
        out["custom_id"] = custom_id
        if component["type"] == 4:
            out["value"] = value or ""
        else:
            out["values"] = [] if value is None else [value]
        return out

    components = []
    for top in modal.get("components") or []:
        if top["type"] == 1:
            row = [submitted(c) for c in top.get("components") or []]
            components.append({"type": 1, "components": row})
        elif top["type"] == 18:
            components.append({"type": 18, "component": submitted(top["component"])})
        else:
            components.append(submitted(top))
    unknown = set(values) - seen
    if unknown:
        raise ValueError(f"modal {modal.get('custom_id')!r} has no fields {sorted(unknown)}")
    return {"custom_id": modal["custom_id"], "components": components}


def metadata(fake: FakeDiscord, it: FakeInteraction) -> dict[str, Any]:
    """``interaction_metadata`` of a message an interaction created (original or followup)."""
    data: dict[str, Any] = {
        "id": str(it.id),
        "type": it.type,
        "user": payloads.user(it.user_id, fake.user_name(it.user_id)),
        "authorizing_integration_owners": {"0": str(it.guild_id or 0)},
    }
    if it.message is not None:  # a followup points at the original response
        data["original_response_message_id"] = str(it.message.id)
    if it.type == 3 and it.source_message is not None:
        data["interacted_message_id"] = str(it.source_message.id)
    if it.type == 5 and it.opened_by is not None:
        data["triggering_interaction_metadata"] = metadata(fake, it.opened_by)
    return data


def numbered(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Components as Discord stores them: every one gets a numeric ``id`` unique in the message."""
    copied: list[dict[str, Any]] = copy.deepcopy(components)
    tree = walk_components(copied)
    taken = {c["id"] for c in tree if isinstance(c.get("id"), int)}
    counter = itertools.count(1)
    for component in tree:
        if not isinstance(component.get("id"), int):
            component["id"] = next(i for i in counter if i not in taken)
    return copied
