"""Stories of the budget forecast: from this period's spend, /budget says when a member's budget
runs out at their pace and /budget-admin report says the same of the server cap, each with a
chart of daily spend attached as a PNG. The bot's clock is frozen in March 2025 and moved by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.exts.budget._chart import BAR, HEIGHT, PLOT, TODAY, WIDTH
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
from tests.exts.settings.test_settings_stories import data, fields
from tests.fake_discord import FakeInteraction
from tests.png_reader import Picture, read_png

PERIOD_START = datetime(2025, 3, 1, tzinfo=UTC)
APRIL = datetime(2025, 4, 1, tzinfo=UTC)


class FrozenClock:
    """The bot's wall clock, standing still until the story moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)


def ts(moment: datetime) -> int:
    """A Discord timestamp's number."""
    return int(moment.timestamp())


def runs_out(now: datetime, spent: int, remaining: int) -> datetime:
    """When `remaining` is gone at the pace of `spent` since the period began."""
    elapsed_us = (now - PERIOD_START) // timedelta(microseconds=1)
    return now + timedelta(microseconds=remaining * elapsed_us // spent)


def chart_of(world: World, interaction: FakeInteraction) -> Picture:
    """The PNG attached to the bot's answer, decoded; the embed shows it as its image."""
    assert data(interaction)["embeds"][0]["image"]["url"] == "attachment://spend.png"
    [callback] = [r for r in world.discord.requests if f"/interactions/{interaction.id}/" in r.path]
    [(filename, png, _)] = callback.files
    assert filename == "spend.png"
    assert 500 < len(png) < 100_000, f"a small chart, not {len(png)} bytes"
    whole = read_png(png)
    assert (whole.width, whole.height) == (WIDTH, HEIGHT)
    return read_png(png, PLOT)


def bar_runs(picture: Picture, colour: tuple[int, int, int]) -> int:
    """How many separate bars of `colour` the chart shows."""
    columns = picture.columns_with(colour)
    return sum(1 for i, x in enumerate(columns) if i == 0 or columns[i - 1] != x - 1)


async def make(world: World, user_id: int, **options: object) -> None:
    """A member makes a video and it is delivered."""
    interaction = await world.video(user_id=user_id, **options)
    assert status_of(await world.final(interaction)).startswith("Done")


async def ask(world: World, command: str, user_id: int, **kw: object) -> FakeInteraction:
    interaction = await world.discord.invoke(
        command, user_id=user_id, guild_id=GUILD, channel_id=CHANNEL, **kw
    )
    await interaction.wait_response()
    return interaction


async def test_budget_says_when_the_money_runs_out_and_charts_each_day(tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2025, 3, 3, 12, tzinfo=UTC))
    async with running_world(tmp_path, clock=clock, default_user_limit_usd="2.50") as world:
        quiet = await ask(world, "budget", MEMBER)
        assert fields(data(quiet)["embeds"][0])["At this pace"] == ("Nothing spent yet this month.")
        assert "image" not in data(quiet)["embeds"][0], "no chart of nothing"

        await make(world, MEMBER, prompt="day three")  # USD 1.00 on 3 March
        clock.advance(days=2)
        await make(world, MEMBER, prompt="day five", duration=4)  # USD 0.60 on 5 March
        clock.advance(days=1)  # 6 March, noon: 5.5 days into the period

        mine = await ask(world, "budget", MEMBER)
        end = runs_out(clock.now, 1_600_000, 900_000)
        assert end == datetime(2025, 3, 9, 14, 15, tzinfo=UTC)
        assert fields(data(mine)["embeds"][0])["At this pace"] == (
            f"At your pace of USD 0.291 a day, your budget runs out around <t:{ts(end)}:D> "
            f"(<t:{ts(end)}:R>).\nDaily spend this month: the chart below."
        )
        chart = chart_of(world, mine)
        assert bar_runs(chart, BAR) == 2, "a bar on the 3rd and one on the 5th"
        assert not chart.columns_with(TODAY), "nothing spent today"


async def test_the_admin_report_forecasts_the_server_cap(tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2025, 3, 5, 12, tzinfo=UTC))
    async with running_world(tmp_path, clock=clock) as world:
        await make(world, MEMBER, prompt="for the record")  # USD 1.00 on 5 March
        clock.advance(days=1)
        await make(world, OTHER_MEMBER, prompt="bob's turn", duration=4)  # 0.60 on 6 March

        report = await ask(world, "budget-admin", ADMIN, subcommand="report")
        pace = "USD 0.291 a day"  # USD 1.60 in 5.5 days
        assert fields(data(report)["embeds"][0])["At this pace"] == (
            f"At this server's pace of {pace}, the server cap lasts until it resets "
            f"<t:{ts(APRIL)}:R>.\nDaily spend this month: the chart below."
        )
        chart = chart_of(world, report)
        assert bar_runs(chart, BAR) == 1, "the 5th"
        assert bar_runs(chart, TODAY) == 1, "and today, the 6th: bob's video counts too"

        await ask(
            world, "budget-admin", ADMIN, subcommand="set-server-cap", options={"amount": "2"}
        )
        capped = await ask(world, "budget-admin", ADMIN, subcommand="report")
        end = runs_out(clock.now, 1_600_000, 400_000)
        assert fields(data(capped)["embeds"][0])["At this pace"].startswith(
            f"At this server's pace of {pace}, the server cap is reached around "
            f"<t:{ts(end)}:D> (<t:{ts(end)}:R>)."
        )

        member = await ask(world, "budget", MEMBER)
        mine = chart_of(world, member)
        assert bar_runs(mine, BAR) == 1, "only alice's own spend on her chart"
        assert not mine.columns_with(TODAY)
