"""The operator's view (#18), reconciliation: per UTC day and model, what the ledger captured
beside what Atlas's model-costs says; the difference, the uncertain jobs of those days, partial
days shown as partial; exit 1 beyond the tolerance; yesterday's line in /budget-admin report."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.atlas.account import parse_cost_page
from bot.jobs.record import JobState
from bot.money import usd
from bot.operator.reconcile import reconcile_command
from tests.e2e.conftest import ADMIN, CHANNEL, GUILD, MEMBER, World, running_world, status_of

GEMINI_T2V = "google/gemini-omni-flash/text-to-video-developer"


async def run(world: World, *, days: int = 1) -> tuple[int, str]:
    today = datetime.now(UTC).date()
    out = io.StringIO()
    code = await reconcile_command(
        world.settings,
        since=today - timedelta(days=days - 1),
        until=today + timedelta(days=1),
        out=out,
        db=world.bot.services.db,
    )
    return code, out.getvalue().rstrip("\n")


async def test_the_ledger_agrees_with_atlas_then_an_uncertain_job_explains_a_difference(
    tmp_path: Path,
) -> None:
    async with running_world(tmp_path) as world:
        today = datetime.now(UTC).date()
        for n in range(2):
            assert status_of(await world.final(await world.video(prompt=f"fox {n}"))).startswith(
                "Done"
            )
        code, text = await run(world)
        assert code == 0, "today is not over: Atlas marks it partial, never a difference"
        row = f"{today!s:<10}  {GEMINI_T2V:<50}  {'USD 2.00':>12}  {'USD 2.00':>12}"
        assert f"{row}  {'partial':>12}" in text

        world.sim.account.today = lambda: today + timedelta(days=1)  # the day is complete now
        code, text = await run(world)
        assert code == 0, text
        assert f"{row}  {'USD 0.00':>12}" in text
        assert text.endswith("every complete day agrees within USD 0.10")

        # A submit whose answer is lost: Atlas made (and billed) the video, the ledger holds it
        # as uncertain, charged nowhere.
        world.sim.fail_next("submit", "drop")
        lost = await world.final(await world.video(prompt="a lost fox"))
        assert status_of(lost).startswith("We could not confirm")
        [job] = [j for j in await world.bot.job_store.unfinished() if j.state is JobState.UNCERTAIN]
        sim_job = next(j for j in world.sim.jobs.values() if j.prompt == "a lost fox")
        world.sim.complete_now(sim_job.id)
        code, text = await run(world)
        assert code == 1, text
        assert f"{today!s:<10}  {GEMINI_T2V:<50}  {'USD 2.00':>12}  {'USD 3.00':>12}" in text
        assert f"  {today}  {job.id}  {GEMINI_T2V}  USD 1.00  uncertain" in text
        assert text.endswith(f"DIFFERS beyond USD 0.10: {today} by USD 1.00")

        # The admin checks Atlas's console and charges it: the two agree again.
        assert await world.bot.jobs.resolve(job.id, GUILD, charge=True, by=ADMIN)
        code, text = await run(world)
        assert code == 0, text
        assert f"  {today}  {job.id}  {GEMINI_T2V}  USD 1.00  charged by an admin" in text
        summary = await world.bot.ledger.summary(MEMBER, GUILD, [])
        assert summary.spent == usd("3.00")


async def test_a_key_that_may_not_read_billing_data_cannot_reconcile(tmp_path: Path) -> None:
    async with running_world(tmp_path) as world:
        world.sim.account.readable = False
        code, text = await run(world)
        assert code == 2
        assert "cannot read what Atlas billed" in text
        assert "may not read billing data" in text


async def test_the_report_shows_yesterdays_line(tmp_path: Path) -> None:
    async with running_world(tmp_path) as world:
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        world.sim.account.bill(yesterday, GEMINI_T2V, usd("1.00"))  # a job the ledger never saw
        report = await world.discord.invoke(
            "budget-admin", subcommand="report", user_id=ADMIN, guild_id=GUILD, channel_id=CHANNEL
        )
        await report.wait_response()
        embed = (report.response_data or {})["embeds"][0]
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields[f"Atlas Cloud, yesterday ({yesterday} UTC)"] == (
            "Ledger USD 0.00 · Atlas billed USD 1.00 · difference USD -1.00"
        )


def test_cost_pages_add_up_and_partial_days_stay_partial() -> None:
    days: dict = {}
    first = {
        "object": "list",
        "data": [
            {
                "date": "2026-05-01",
                "partial": False,
                "results": [{"model": "a", "amount": {"value": "0.240000", "currency": "usd"}}],
            }
        ],
        "has_more": True,
        "next_page": "cursor-2",
    }
    second = {
        "data": [
            {
                "date": "2026-05-02",
                "partial": True,
                "results": [
                    {"model": "a", "amount": {"value": "1.000000", "currency": "usd"}},
                    {"model": "b", "amount": {"value": "0.500000", "currency": "usd"}},
                ],
            }
        ],
        "has_more": False,
        "next_page": None,
    }
    assert parse_cost_page(first, days) == "cursor-2"
    assert parse_cost_page(second, days) is None
    assert [(d.day.isoformat(), d.partial, d.total) for d in days.values()] == [
        ("2026-05-01", False, 240_000),
        ("2026-05-02", True, 1_500_000),
    ]
