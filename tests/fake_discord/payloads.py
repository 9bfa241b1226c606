"""JSON payloads shaped as Discord sends them (users, guilds, messages, interactions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .models import FakeChannel, FakeFile, FakeGuild, FakeMember, FakeMessage, FakeRole, iso


def user(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A user object (UserResponse in the spec)."""
    data: dict[str, Any] = {
        "id": str(user_id),
        "username": name.lower().replace(" ", "_"),
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }
    if bot:
        data["bot"] = True
    return data


def bot_self(user_id: int, name: str) -> dict[str, Any]:
    """The bot's own user as GET /users/@me and READY give it (UserPIIResponse)."""
    return {
        **user(user_id, name, bot=True),
        "mfa_enabled": False,
        "locale": "en-US",
        "verified": True,
        "email": None,
        "premium_type": 0,
    }


def role(guild_id: int, r: FakeRole) -> dict[str, Any]:
    """A role object; @everyone has the guild's id."""
    return {
        "id": str(r.id),
        "name": r.name,
        "description": None,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": False,
        "flags": 0,
    }


def member(m: FakeMember, *, permissions: int | None = None) -> dict[str, Any]:
    """A guild member; interactions add the computed ``permissions`` string."""
    data: dict[str, Any] = {
        "user": user(m.user_id, m.name, bot=m.bot),
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in m.role_ids],
        "joined_at": iso(m.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def channel(c: FakeChannel, *, position: int = 0) -> dict[str, Any]:
    """A guild text channel (or a DM channel when ``c.type`` is 1)."""
    if c.type == 1:
        return {
            "id": str(c.id),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [user(c.recipient_id or 0, f"user{c.recipient_id}")],
        }
    return {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild_id),
        "name": c.name,
        "position": position,
        "permission_overwrites": [dict(o) for o in c.overwrites],
        "nsfw": c.nsfw,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def command_permissions(fake: Any, guild_id: int, name: str | None) -> dict[str, Any]:
    """GuildApplicationCommandPermissions of one command (None: the app-wide entry, whose id
    is the application's)."""
    guild = fake.guilds[guild_id]
    command = fake.command_for(name, guild_id) if name is not None else None
    return {
        "id": str(command["id"] if command else fake.application_id),
        "application_id": str(fake.application_id),
        "guild_id": str(guild_id),
        "permissions": [dict(p) for p in guild.command_permissions.get(name, [])],
    }


def thread(c: FakeChannel, *, owner_id: int) -> dict[str, Any]:
    """A public thread (ThreadResponse), as POST .../messages/{id}/threads returns it."""
    return {
        "id": str(c.id),
        "type": 11,
        "guild_id": str(c.guild_id),
        "name": c.name,
        "parent_id": str(c.parent_id),
        "owner_id": str(owner_id),
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "thread_metadata": {
            "archived": False,
            "archive_timestamp": None,
            "auto_archive_duration": c.auto_archive_duration or 1440,
            "locked": False,
            "create_timestamp": None,
        },
    }


def guild_create(
    g: FakeGuild, *, joined_at: float, all_members: bool, bot_user_id: int
) -> dict[str, Any]:
    """The GUILD_CREATE dispatch; every member only with the GUILD_MEMBERS intent (no chunking)."""
    members = [m for m in g.members.values() if all_members or m.user_id == bot_user_id]
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(g.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": g.locale,
        "features": [],
        "roles": [role(g.id, r) for r in g.roles.values()],
        "emojis": [],
        "stickers": [],
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "application_id": None,
        "premium_progress_bar_enabled": False,
        "joined_at": iso(joined_at),
        "large": False,
        "unavailable": False,
        "member_count": len(g.members),
        "members": [member(m) for m in members],
        "channels": [channel(c, position=i) for i, c in enumerate(g.channels.values())],
        "threads": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def attachment(f: FakeFile, url: str | None = None) -> dict[str, Any]:
    """An attachment object whose URLs point at the fake itself (`url`: signed, as Discord's
    CDN links are; see `FakeDiscord.signed_url`)."""
    data: dict[str, Any] = {
        "id": str(f.id),
        "filename": f.filename,
        "size": f.size,
        "url": url or f.url,
        "proxy_url": url or f.url,
        "content_type": f.content_type,
    }
    if f.description is not None:
        data["description"] = f.description
    if f.width is not None and f.height is not None:
        data["width"] = f.width
        data["height"] = f.height
    return data


def message(
    m: FakeMessage,
    *,
    author: dict[str, Any],
    application_id: int,
    sign: Callable[[FakeFile], str] | None = None,
) -> dict[str, Any]:
    """A message object (MessageResponse), with interaction metadata for interaction replies."""
    data: dict[str, Any] = {
        "id": str(m.id),
        "channel_id": str(m.channel_id),
        "type": m.type,
        "content": m.content or "",
        "author": author,
        "attachments": [attachment(f, sign(f) if sign else None) for f in m.attachments],
        "embeds": m.embeds,
        "components": m.components,
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": iso(m.created_at),
        "edited_timestamp": None if m.edited_at is None else iso(m.edited_at),
        "flags": m.flags,
    }
    if m.guild_id is not None:
        data["guild_id"] = str(m.guild_id)
    if m.webhook_id is not None:
        data["webhook_id"] = str(m.webhook_id)
        data["application_id"] = str(application_id)
    if m.interaction_metadata is not None:
        data["interaction_metadata"] = m.interaction_metadata
        if m.interaction_name is not None:
            data["interaction"] = {
                "id": str(m.interaction_id),
                "type": 2,
                "name": m.interaction_name,
                "user": m.interaction_metadata["user"],
            }
    return data
