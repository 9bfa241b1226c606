"""What the gateway dispatches: READY, GUILD_CREATE, member chunks; and their self-check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import payloads

if TYPE_CHECKING:
    from .core import FakeDiscord

GUILD_MEMBERS_INTENT = 1 << 1  # privileged: without it GUILD_CREATE lists only the bot


def ready(fake: FakeDiscord, session_id: str) -> dict[str, Any]:
    return {
        "v": 10,
        "user": payloads.bot_self(fake.bot_user_id, fake.bot_name),
        "user_settings": {},
        "guilds": [{"id": str(g), "unavailable": True} for g in fake.guilds],
        "private_channels": [],
        "presences": [],
        "relationships": [],
        "guild_join_requests": [],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": fake.resume_gateway_url,
        "application": {"id": str(fake.application_id), "flags": 0},
        "geo_ordered_rtc_regions": [],
        "auth": {},
        "_trace": ['["fake-discord-gateway",{"micros":0}]'],
    }


def guild_creates(fake: FakeDiscord) -> list[dict[str, Any]]:
    everyone = bool(fake.gateway.intents & GUILD_MEMBERS_INTENT)
    guilds = [
        payloads.guild_create(
            g, joined_at=fake.clock(), all_members=everyone, bot_user_id=fake.bot_user_id
        )
        for g in fake.guilds.values()
    ]
    if fake.check_responses:
        assert fake.checker is not None
        check = fake.checker.check_component
        for guild in guilds:
            for kind, schema in (
                ("roles", "GuildRoleResponse"),
                ("channels", "GuildChannelResponse"),
                ("members", "GuildMemberResponse"),
            ):
                for item in guild[kind]:
                    fake.response_errors += check(schema, item, f"GUILD_CREATE {kind}")
    return guilds


def members_chunk(fake: FakeDiscord, guild_id: int) -> dict[str, Any]:
    guild = fake.guilds[guild_id]
    return {
        "guild_id": str(guild_id),
        "members": [payloads.member(m) for m in guild.members.values()],
        "chunk_index": 0,
        "chunk_count": 1,
        "not_found": [],
    }


def check_interaction(fake: FakeDiscord, payload: dict[str, Any]) -> None:
    """Gateway payloads have no schema of their own: check the REST objects inside them."""
    assert fake.checker is not None
    check = fake.checker.check_component
    errors = check("GuildMemberResponse", payload["member"], "interaction member")
    errors += check("GuildChannelResponse", payload["channel"], "interaction channel")
    resolved = payload["data"].get("resolved") or {}
    for attachment in (resolved.get("attachments") or {}).values():
        errors += check("MessageAttachmentResponse", attachment, "resolved attachment")
    others = {k: v for k, v in resolved.items() if k != "attachments"}
    errors += check("ResolvedObjectsResponse", others, "resolved objects")
    if "message" in payload:
        errors += check("MessageResponse", payload["message"], "interaction message")
    fake.response_errors.extend(errors)
