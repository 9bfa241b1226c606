"""The forecast line and the daily-spend chart of /budget and /budget-admin report."""

from __future__ import annotations

import asyncio
import io

import discord

from bot.exts.budget._chart import spend_chart_png
from bot.i18n import t
from bot.jobs.forecast import Outlook
from bot.money import Micros, format_usd
from bot.ui.render import timestamp

CHART_FILENAME = "spend.png"


def forecast_text(outlook: Outlook, locale: str, *, server: bool, period: str) -> str:
    """ "At your pace of USD 0.29 a day, your budget runs out around ..." (or lasts, or is used
    up, or nothing was spent yet)."""
    ahead = outlook.forecast
    who = "server" if server else "member"
    if ahead.used_up:
        return t(f"forecast.{who}.used_up", locale, resets=timestamp(ahead.resets_at))
    if ahead.spent <= 0:
        return t("forecast.no_spend", locale, period=t(f"period.{period}", locale))
    pace = format_usd(ahead.daily_pace)
    if ahead.runs_out_at is not None:
        return t(
            f"forecast.{who}.runs_out",
            locale,
            pace=pace,
            date=timestamp(ahead.runs_out_at, "D"),
            when=timestamp(ahead.runs_out_at, "R"),
        )
    return t(f"forecast.{who}.lasts", locale, pace=pace, resets=timestamp(ahead.resets_at))


async def add_outlook(
    embed: discord.Embed,
    outlook: Outlook,
    locale: str,
    *,
    server: bool,
    period: str,
    budget: Micros | None,
) -> discord.File | None:
    """Add the forecast to `embed`, and the chart as its image when anything was spent; the
    chart's file, to send with the embed (or None)."""
    text = forecast_text(outlook, locale, server=server, period=period)
    if not any(day.amount for day in outlook.days):
        embed.add_field(name=t("forecast.field", locale), value=text, inline=False)
        return None
    png = await asyncio.to_thread(
        spend_chart_png,
        outlook.days,
        today=outlook.today,
        budget=budget,
        locale=locale,
        server=server,
    )
    chart = t("forecast.chart", locale, period=t(f"period.{period}", locale))
    embed.add_field(name=t("forecast.field", locale), value=f"{text}\n{chart}", inline=False)
    embed.set_image(url=f"attachment://{CHART_FILENAME}")
    return discord.File(io.BytesIO(png), filename=CHART_FILENAME)


__all__ = ["CHART_FILENAME", "add_outlook", "forecast_text"]
