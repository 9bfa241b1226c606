"""Stories of a server's own settings and the conveniences around a job: /settings (channels,
forbidden models and resolutions, approvals), /queue, /history, and the Edit prompt, Info and
Delete buttons; end to end through discord.py, the fake Discord, the simulator and the ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.jobs.approval import DecisionRefused
from bot.jobs.record import JobState
from tests.e2e.conftest import (
    ADMIN,
    CHANNEL,
    GUILD,
    MEMBER,
    OTHER_MEMBER,
    World,
    running_world,
    status_of,
)
from tests.fake_discord import ActionUnavailable, FakeInteraction, FakeMessage
from tests.fake_discord.models import DEFAULT_EVERYONE_PERMISSIONS

OTHER_CHANNEL = 2001
MODERATOR = 14
MANAGE_MESSAGES = 1 << 13
EPHEMERAL = 64
PRICE = 1_000_000  # the default /video: Gemini Omni Flash, 8 s at 1080p


async def settings(world: World, subcommand: str, **options: Any) -> FakeInteraction:
    """An admin runs /settings <subcommand> and the bot has answered."""
    return await world.command("settings", subcommand, **options)


async def click(
    world: World, message: FakeMessage, prefix: str, user_id: int, channel_id: int = CHANNEL
) -> FakeInteraction:
    """`user_id` presses the button whose custom id starts with `prefix`."""
    custom_id = next(c for c in message.custom_ids() if c.startswith(prefix))
    pressed = await world.discord.click(
        message.id, custom_id, user_id=user_id, guild_id=GUILD, channel_id=channel_id
    )
    await pressed.wait_response()
    return pressed


def data(interaction: FakeInteraction) -> dict[str, Any]:
    """What the bot answered to an interaction."""
    return interaction.response_data or {}


def fields(embed: dict[str, Any]) -> dict[str, str]:
    """An embed's fields by name."""
    return {f["name"]: f["value"] for f in embed.get("fields", [])}


def has_button(message: FakeMessage, prefix: str) -> bool:
    """The message carries a button whose custom id starts with `prefix`."""
    return any(c.startswith(prefix) for c in message.custom_ids())


def generate_requests(world: World) -> list[dict[str, Any]]:
    """The bodies of every generateVideo call Atlas received."""
    return [r.json for r in world.sim.requests if r.path.endswith("/generateVideo")]


async def money(world: World, user_id: int = MEMBER) -> tuple[int, int]:
    """(spent, held) of the member this period."""
    summary = await world.bot.ledger.summary(user_id, GUILD, [])
    return summary.spent, summary.held


# -- /settings ------------------------------------------------------------------------------


async def test_settings_show_the_bots_defaults_until_an_admin_changes_them(world: World) -> None:
    shown = await settings(world, "show")
    assert data(shown)["flags"] & EPHEMERAL
    embed = data(shown)["embeds"][0]
    assert embed["title"] == "Video settings of this server"
    assert embed["description"].startswith("Nothing changed yet")
    values = fields(embed)
    assert values["Default model for /video"] == "Gemini Omni Flash (bot default)"
    assert values["Default resolution"] == "1080p (bot default)"
    assert values["Channels for videos"] == "Every channel"
    assert values["Approval"].startswith("Off")

    changed = await settings(
        world, "defaults", video_model="bytedance/seedance-2.0/text-to-video", duration=5
    )
    assert data(changed)["content"] == "Saved."
    after = data(changed)["embeds"][0]
    assert fields(after)["Default model for /video"] == "Seedance 2.0"
    assert fields(after)["Default duration"] == "5 s"
    assert f"by <@{ADMIN}>" in after["description"]

    message = await world.final(await world.video(prompt="the server's default"))
    assert status_of(message).startswith("Done")
    body = generate_requests(world)[0]
    assert body["model"] == "bytedance/seedance-2.0/text-to-video"
    assert body["duration"] == 5

    reset = await settings(world, "defaults", reset=True)
    assert fields(data(reset)["embeds"][0])["Default duration"] == "8 s (bot default)"


async def test_settings_are_for_admins_only_checked_again_at_run_time(world: World) -> None:
    with pytest.raises(ActionUnavailable):  # Discord hides /settings from members...
        await settings(world, "show", user_id=MEMBER)
    # ...unless the server lets them see it: the bot checks Manage Server itself.
    world.discord.allow_command(GUILD, "settings", user_or_role_id=MEMBER)
    refused = await settings(world, "approval", user_id=MEMBER, threshold="off")
    assert data(refused)["flags"] & EPHEMERAL
    assert "Manage Server" in data(refused)["content"]
    assert (await world.bot.server_settings.get(GUILD)).updated_by is None, "nothing stored"
    assert world.discord.commands["settings"]["default_member_permissions"] == str(1 << 5)


async def test_invalid_settings_are_explained_and_not_stored(world: World) -> None:
    refused = await settings(world, "defaults", resolution="8k")
    assert data(refused)["content"] == "`8k` is not offered by any model."
    bad_amount = await settings(world, "approval", threshold="lots")
    assert "is not an amount in USD" in data(bad_amount)["content"]
    await settings(world, "defaults", resolution="720p")
    forbidding_default = await settings(
        world, "resolution-access", resolution="720p", allowed=False
    )
    assert "choose another default" in data(forbidding_default)["content"]
    stored = await world.bot.server_settings.get(GUILD)
    assert stored.blocked_resolutions == ()
    assert stored.approval_threshold is None


async def test_member_in_the_wrong_channel_is_pointed_to_the_right_one(world: World) -> None:
    world.discord.add_channel(GUILD, OTHER_CHANNEL, name="video-lab")
    saved = await settings(world, "channel", channel=OTHER_CHANNEL, allowed=True)
    assert fields(data(saved)["embeds"][0])["Channels for videos"] == f"<#{OTHER_CHANNEL}>"

    elsewhere = await world.video(prompt="a fox in the wrong place")
    await elsewhere.wait_response()
    assert data(elsewhere)["flags"] & EPHEMERAL
    assert data(elsewhere)["content"] == (
        f"Videos are made in <#{OTHER_CHANNEL}> on this server. Run the command there."
    )
    chinese = await world.discord.invoke(
        "video",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"prompt": "一隻狐狸"},
        locale="zh-TW",
    )
    await chinese.wait_response()
    assert (
        data(chinese)["content"]
        == f"這個伺服器只能在 <#{OTHER_CHANNEL}> 製作影片。請到那裡執行指令。"
    )
    assert not [r for r in world.sim.requests if "/model/" in r.path], "Atlas never called"
    assert await money(world) == (0, 0)
    assert await world.bot.job_store.recent(MEMBER, GUILD) == [], "no job was even created"

    there = await world.discord.invoke(
        "video",
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=OTHER_CHANNEL,
        options={"prompt": "a fox in the lab"},
    )
    message = await world.final(there)
    assert status_of(message).startswith("Done")
    assert message.channel_id == OTHER_CHANNEL

    await settings(world, "channel", channel=OTHER_CHANNEL, allowed=False)
    anywhere = await world.final(await world.video(prompt="a fox anywhere again"))
    assert status_of(anywhere).startswith("Done")


async def test_a_4k_request_in_a_server_that_forbids_it_is_refused(world: World) -> None:
    saved = await settings(world, "resolution-access", resolution="4k", allowed=False)
    assert fields(data(saved)["embeds"][0])["Resolutions members may not use"] == "4k"
    await settings(world, "model-access", model="google/veo3.1-lite/text-to-video", allowed=False)

    refused = await world.video(prompt="a fox in 4k", resolution="4k")
    await refused.wait_response()
    assert data(refused)["flags"] & EPHEMERAL
    assert data(refused)["content"].startswith("4k videos are not available on this server.")
    veo = await world.video(prompt="a fox by Veo", model="google/veo3.1-lite/text-to-video")
    await veo.wait_response()
    assert data(veo)["content"].startswith("Veo 3.1 Lite is not available on this server.")
    assert not [r for r in world.sim.requests if "/model/" in r.path], "Atlas never called"
    assert await money(world) == (0, 0)

    message = await world.final(await world.video(prompt="a fox in 1080p"))
    assert status_of(message).startswith("Done"), "other resolutions still work"
    assert generate_requests(world)[0]["resolution"] == "1080p"


# -- approvals ------------------------------------------------------------------------------


async def _expensive_video(
    world: World, timeout_seconds: float
) -> tuple[FakeInteraction, FakeMessage]:
    """Approval above USD 0.50 (a default video costs 1.00); a member asks for one."""
    saved = await settings(world, "approval", threshold="0.50", timeout_minutes=5)
    assert (
        "Videos quoted above USD 0.50 wait up to 5 min"
        in fields(data(saved)["embeds"][0])["Approval"]
    )
    # Minutes are too long for a test: the stored value takes seconds.
    await world.bot.server_settings.set(GUILD, by=ADMIN, approval_timeout_seconds=timeout_seconds)
    interaction = await world.video(prompt="an expensive fox")
    message = await interaction.wait_message(lambda m: has_button(m, "job:approve:"))
    return interaction, message


async def test_an_approval_that_times_out_releases_the_hold_and_tells_the_member(
    world: World,
) -> None:
    interaction, waiting = await _expensive_video(world, timeout_seconds=0.4)
    assert status_of(waiting).startswith("Waiting for an admin's approval (until <t:")
    assert [c.split(":")[1] for c in waiting.custom_ids()] == ["approve", "deny", "cancel"]
    assert await money(world) == (0, PRICE), "the hold exists while an admin decides"
    queue = await world.discord.invoke("queue", user_id=ADMIN, guild_id=GUILD, channel_id=CHANNEL)
    await queue.wait_response()
    assert "waiting for an admin's approval" in fields(data(queue)["embeds"][0])["Everyone else"]

    message = await world.final(interaction)
    assert (
        status_of(message) == "Failed: nothing was charged\nNo admin approved this video in time."
    )
    assert not has_button(message, "job:approve:")
    assert not generate_requests(world), "never submitted"
    assert await money(world) == (0, 0)
    job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
    assert job.state is JobState.EXPIRED


async def test_only_an_admin_approves_and_the_video_then_runs(world: World) -> None:
    interaction, waiting = await _expensive_video(world, timeout_seconds=30)
    member = await click(world, waiting, "job:approve:", MEMBER)
    assert "Manage Server" in data(member)["content"]
    assert not generate_requests(world)

    admin = await click(world, waiting, "job:approve:", ADMIN)
    assert data(admin)["flags"] & EPHEMERAL
    assert data(admin)["content"].startswith("Approved")
    message = await world.final(interaction)
    assert status_of(message).startswith("Done")
    assert await money(world) == (PRICE, 0)

    late = await world.discord.click(
        message.id,
        next(c for c in message.custom_ids() if c.startswith("job:info:")),
        user_id=MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
    )
    await late.wait_response()
    assert fields(data(late)["embeds"][0])["Approved by"] == f"<@{ADMIN}>"


async def test_a_denied_video_is_released_and_the_member_sees_why(world: World) -> None:
    interaction, waiting = await _expensive_video(world, timeout_seconds=30)
    denied = await click(world, waiting, "job:deny:", ADMIN)
    assert data(denied)["content"].startswith("Denied")
    message = await world.final(interaction)
    assert status_of(message) == "Failed: nothing was charged\nAn admin declined this video."
    assert await money(world) == (0, 0)
    assert message.custom_ids()[0].startswith("job:reroll:"), "no Approve or Deny any more"
    assert not generate_requests(world)
    job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
    assert (job.state, job.error) == (JobState.CANCELLED, f"denied by admin {ADMIN}")


async def test_the_member_may_cancel_while_an_admin_has_not_decided(world: World) -> None:
    interaction, waiting = await _expensive_video(world, timeout_seconds=30)
    cancelled = await click(world, waiting, "job:cancel:", MEMBER)
    assert cancelled.response_type == 7
    message = await interaction.wait_message(lambda m: status_of(m).startswith("Cancelled"))
    assert not has_button(message, "job:approve:")
    assert await money(world) == (0, 0)
    job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
    assert job.state is JobState.CANCELLED
    with pytest.raises(DecisionRefused):  # an Approve still in flight finds nothing to approve
        world.bot.jobs.decide(job.id, GUILD, approved=True, by=ADMIN)
    assert not generate_requests(world)


async def test_a_restart_releases_a_job_waiting_for_approval(tmp_path: Path) -> None:
    async with running_world(tmp_path) as world:
        interaction, _ = await _expensive_video(world, timeout_seconds=300)
        await world.restart()
        message = await interaction.wait_message(lambda m: "restarted" in status_of(m))
        assert status_of(message).startswith("Failed: nothing was charged")
        assert await money(world) == (0, 0)
        assert not generate_requests(world)


# -- buttons on a finished video ------------------------------------------------------------


async def test_info_shows_every_parameter_the_prediction_and_the_money(world: World) -> None:
    message = await world.final(await world.video(prompt="a fox *with* stars", seed=42))
    info = await click(world, message, "job:info:", OTHER_MEMBER)
    assert data(info)["flags"] & EPHEMERAL
    embed = data(info)["embeds"][0]
    values = fields(embed)
    job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
    assert embed["description"] == "a fox \\*with\\* stars"
    assert values["Requested by"] == f"<@{MEMBER}>"
    assert values["Model"] == f"Gemini Omni Flash\n`{job.model}`"
    assert values["Options"] == "8 s · 16:9 · 1080p"
    assert values["Seed"] == "42"
    assert values["Prediction id"] == f"`{job.prediction_id}`"
    assert (values["Quoted"], values["Charged"]) == ("USD 1.00", "USD 1.00")
    assert values["Timings"].startswith("Requested <t:")
    assert "Sent to Atlas <t:" in values["Timings"]
    assert "Ended <t:" in values["Timings"]


async def test_edit_prompt_runs_a_new_job_with_the_same_options_and_seed(world: World) -> None:
    message = await world.final(await world.video(prompt="a red fox", seed=7, duration=4))
    opened = await click(world, message, "job:edit:", OTHER_MEMBER)
    assert opened.response_type == 9, "a modal"
    modal = data(opened)
    text_input = next(
        c for row in modal["components"] for c in row.get("components", [row.get("component")]) if c
    )
    assert text_input["value"] == "a red fox", "prefilled with the prompt"

    submitted = await world.discord.submit_modal(
        modal["custom_id"],
        {"prompt": "a blue fox"},
        user_id=OTHER_MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        message_id=message.id,
    )
    again = await world.final(submitted)
    assert status_of(again).startswith("Done")
    assert again.id != message.id
    first, second = generate_requests(world)
    assert (second["prompt"], second["seed"], second["duration"]) == ("a blue fox", 7, 4)
    assert first["prompt"] == "a red fox"
    # 4 s of Gemini Omni Flash at 1080p: USD 0.20 + 4 x 0.10, charged to whoever edited.
    assert await money(world, OTHER_MEMBER) == (600_000, 0)


async def test_delete_by_a_stranger_is_refused_the_requester_and_moderators_may(
    world: World,
) -> None:
    world.discord.add_member(
        GUILD, MODERATOR, name="dave", permissions=DEFAULT_EVERYONE_PERMISSIONS | MANAGE_MESSAGES
    )
    mine = await world.final(await world.video(prompt="my fox"))
    theirs = await world.final(await world.video(user_id=OTHER_MEMBER, prompt="bob's fox"))

    stranger = await click(world, mine, "job:delete:", OTHER_MEMBER)
    assert data(stranger)["flags"] & EPHEMERAL
    assert data(stranger)["content"].startswith("Only the member who asked for this video")
    assert not mine.deleted

    own = await click(world, mine, "job:delete:", MEMBER)
    assert own.response_type == 6
    followup = (await own.wait_followups(1))[0]
    assert mine.deleted
    assert followup.ephemeral
    assert followup.content == "Deleted. The job stays in the ledger and in /history."

    moderated = await click(world, theirs, "job:delete:", MODERATOR)
    assert moderated.response_type == 6
    await moderated.wait_followups(1)
    assert theirs.deleted

    assert await money(world) == (PRICE, 0), "the ledger keeps what was spent"
    job = (await world.bot.job_store.recent(MEMBER, GUILD))[0]
    assert job.state is JobState.DELIVERED
    assert job.meta.deleted_by == MEMBER
    settlement = await world.bot.ledger.settlement(job.id)
    assert settlement is not None
    assert settlement.amount == PRICE
    history = await world.discord.invoke(
        "history", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL
    )
    await history.wait_response()
    line = data(history)["embeds"][0]["description"]
    assert line.startswith("**1.** my fox (message deleted) · USD 1.00 charged · Delivered")


# -- /queue and /history --------------------------------------------------------------------


async def test_queue_lists_waiting_and_running_jobs_with_the_members_own_first(
    tmp_path: Path,
) -> None:
    async with running_world(tmp_path, max_in_flight=1) as world:
        world.sim.script_prompt("[slow]", generation_seconds=1.5)
        first = await world.video(prompt="a [slow] fox")
        await first.wait_message(lambda m: status_of(m).startswith(("Submitted", "Generating")))
        second = await world.video(user_id=OTHER_MEMBER, prompt="a waiting fox")
        await second.wait_message(lambda m: "in line" in status_of(m))

        shown = await world.discord.invoke(
            "queue", user_id=OTHER_MEMBER, guild_id=GUILD, channel_id=CHANNEL
        )
        await shown.wait_response()
        embed = data(shown)["embeds"][0]
        assert [f["name"] for f in embed["fields"]] == ["Yours", "Everyone else"]
        values = fields(embed)
        assert values["Yours"].startswith(f"`2.` <@{OTHER_MEMBER}> · Gemini Omni Flash")
        assert "number 1 in line · for " in values["Yours"]
        assert values["Everyone else"].startswith(f"`1.` <@{MEMBER}> · Gemini Omni Flash · running")
        assert data(shown)["allowed_mentions"] == {"parse": []}, "mentions never ping"

        await world.final(first)
        await world.final(second)
        empty = await world.discord.invoke(
            "queue", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL
        )
        await empty.wait_response()
        assert data(empty)["embeds"][0]["description"] == "Nothing is waiting or running right now."


async def test_history_links_each_result_and_admins_may_look_at_a_member(world: World) -> None:
    done = await world.final(await world.video(prompt="a [fox] in history"))
    world.sim.script_prompt("[forbidden]", outcome="reject")
    await world.final(await world.video(prompt="a [forbidden] fox"))

    mine = await world.discord.invoke("history", user_id=MEMBER, guild_id=GUILD, channel_id=CHANNEL)
    await mine.wait_response()
    assert data(mine)["flags"] & EPHEMERAL
    embed = data(mine)["embeds"][0]
    assert embed["title"] == "Your recent videos"
    newest, oldest = embed["description"].split("\n")
    assert newest.startswith("**1.** [a (forbidden) fox](https://discord.com/channels/")
    assert " · nothing charged · Rejected by moderation · <t:" in newest
    link = f"https://discord.com/channels/{GUILD}/{CHANNEL}/{done.id}"
    assert oldest.startswith(f"**2.** [a (fox) in history]({link}) · USD 1.00 charged · Delivered")

    nosy = await world.discord.invoke(
        "history",
        user_id=OTHER_MEMBER,
        guild_id=GUILD,
        channel_id=CHANNEL,
        options={"member": MEMBER},
    )
    await nosy.wait_response()
    assert "Manage Server" in data(nosy)["content"]

    admin = await world.discord.invoke(
        "history", user_id=ADMIN, guild_id=GUILD, channel_id=CHANNEL, options={"member": MEMBER}
    )
    await admin.wait_response()
    assert data(admin)["embeds"][0]["title"] == "Recent videos of alice"
    assert link in data(admin)["embeds"][0]["description"]

    empty = await world.discord.invoke(
        "history", user_id=OTHER_MEMBER, guild_id=GUILD, channel_id=CHANNEL
    )
    await empty.wait_response()
    assert data(empty)["embeds"][0]["description"] == "No videos yet."


# -- channels the bot must be able to post in ----------------------------------------------------

GALLERY_CHANNEL = 2010
LOG_CHANNEL = 2011
SEND_MESSAGES = 1 << 11
VIEW_CHANNEL = 1 << 10


async def test_a_gallery_the_bot_cannot_post_in_is_refused_naming_what_is_missing(
    world: World,
) -> None:
    bot = world.discord.bot_user_id
    world.discord.add_channel(GUILD, GALLERY_CHANNEL, name="gallery")
    # @everyone may not write there (Discord then also withholds Embed Links and Attach Files).
    world.discord.set_overwrite(GUILD, GALLERY_CHANNEL, GUILD, deny=SEND_MESSAGES)

    refused = await settings(world, "delivery", mode="gallery", gallery=GALLERY_CHANNEL)
    assert data(refused)["content"] == (
        f"I cannot post videos in <#{GALLERY_CHANNEL}>: I am missing Send Messages, Embed Links "
        "and Attach Files there. Allow them for me in the channel's permissions, then try again."
    )
    assert (await world.bot.server_settings.get(GUILD)).gallery_channel_id is None

    world.discord.set_overwrite(GUILD, GALLERY_CHANNEL, bot, allow=SEND_MESSAGES, member=True)
    saved = await settings(world, "delivery", mode="gallery", gallery=GALLERY_CHANNEL)
    assert data(saved)["content"] == "Saved."
    message = await world.final(await world.video(prompt="a gallery piece"))
    assert status_of(message).startswith("Done")
    [post] = [m for m in world.discord.messages.values() if m.channel_id == GALLERY_CHANNEL]
    assert post.attachments, "the video is in the gallery"


async def test_a_log_channel_the_bot_cannot_see_is_refused(world: World) -> None:
    world.discord.add_channel(GUILD, LOG_CHANNEL, name="mod-log")
    world.discord.set_overwrite(
        GUILD, LOG_CHANNEL, world.discord.bot_user_id, deny=VIEW_CHANNEL, member=True
    )
    refused = await settings(world, "safety", log_channel=LOG_CHANNEL)
    assert data(refused)["content"] == (
        f"I cannot post moderation events in <#{LOG_CHANNEL}>: I am missing View Channel "
        "there. Allow it for me in the channel's permissions, then try again."
    )
    assert (await world.bot.server_settings.get(GUILD)).log_channel_id is None
