"""Stories of a download from Atlas's storage that fails (issue #19, item 6): the member sees
"fetching your video" while the bot tries again, gets the video when Atlas's storage comes
back, and otherwise reads that the download failed, with the link: never "too large".

End to end through discord.py, the fake Discord, the simulator's scripted faults on its output
route and the ledger; the retry window shrunk to 6 s (`[delivery] download_retry_minutes`).
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import GUILD, MEMBER, running_world, status_of
from tests.fake_discord import FakeMessage

RETRY = {"download_retry_minutes": 0.1}
PRICE = 1_000_000


def statuses(message: FakeMessage) -> list[str]:
    """The Status field of each version of the job message, in order."""
    shown = []
    for body in message.edits:
        for embed in body.get("embeds") or []:
            shown += [f["value"] for f in embed.get("fields", []) if f["name"] == "Status"]
    return shown


async def test_a_download_failing_a_few_times_is_retried_and_delivered(tmp_path: Path) -> None:
    async with running_world(tmp_path, delivery=RETRY) as world:
        world.sim.fail_next("download", 500, count=6)
        message = await world.final(await world.video(prompt="a lighthouse"), timeout=30)
        summary = await world.bot.ledger.summary(MEMBER, GUILD, [])

    assert status_of(message).startswith("Done")
    [video] = message.attachments
    assert video.data[4:8] == b"ftyp"
    retrying = [s for s in statuses(message) if s.startswith("Fetching your video: ")]
    assert len(retrying) == 1, statuses(message)
    assert retrying[0].startswith(
        "Fetching your video: Atlas's storage is not answering, so the bot keeps trying until <t:"
    )
    assert len(world.sim.requests_to(".mp4", "GET")) == 7
    assert (summary.spent, summary.held) == (PRICE, 0)


async def test_a_download_failing_for_good_says_it_failed_never_too_large(
    tmp_path: Path,
) -> None:
    async with running_world(tmp_path, delivery=RETRY) as world:
        world.sim.fail_next("download", 500, count=10_000)
        message = await world.final(await world.video(prompt="a lighthouse"), timeout=40)
        summary = await world.bot.ledger.summary(MEMBER, GUILD, [])

    assert status_of(message).startswith("Done")
    assert message.attachments == []
    content = message.content or ""
    assert content.startswith(
        "The download of the video from Atlas failed, so it could not be attached: "
        "[download it](http://127.0.0.1:"
    ), content
    assert "too large" not in content
    assert "It is charged all the same: Atlas made the video and billed it." in content
    assert (summary.spent, summary.held) == (PRICE, 0), "Atlas billed it"
