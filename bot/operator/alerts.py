"""Budget alerts: people hear that money is running out before a refusal tells them.

After each capture (a delivered video, or an uncertain job an admin charged), the member's
spend is compared with their limit (plus grants), the server's with its cap and, with
`[budget] default_bot_cap_usd`, the whole bot's with that cap, at each of `[alerts]
thresholds_percent` (80 and 100 by default). The first capture past a threshold says so once
per period: to the member privately (in their language), to the server's log channel, to the
operator's alert channel. "Once" holds across restarts and processes: each alert is claimed
in the database (`SharedDeadlines.claim`, a key naming the period) before it is sent. A job
that jumps several thresholds at once says only the highest. Servers turn their alerts off
with /settings alerts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.db.deadlines import SharedDeadlines
from bot.db.times import to_micros
from bot.guilds.settings import GuildSettingsStore
from bot.ledger import Ledger
from bot.money import Micros
from bot.operator.sinks import Alert, AlertSink
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CapturedJob:
    """What the alerts need of a job whose money was just captured."""

    guild_id: int
    user_id: int
    role_ids: tuple[int, ...]
    locale: str


def crossed(spent: Micros, budget: Micros, thresholds: Sequence[int]) -> list[int]:
    """The thresholds (percent, ascending) that `spent` has reached of `budget`."""
    if budget <= 0:
        return []
    return [percent for percent in thresholds if spent * 100 >= percent * budget]


def level(percent: int) -> str:
    """Which message a threshold gets: "near" below 100%, "full" from 100% on."""
    return "full" if percent >= 100 else "near"


class BudgetAlerts:
    """Says once per period and threshold that a budget is running out."""

    def __init__(
        self,
        ledger: Ledger,
        guild_settings: GuildSettingsStore,
        marks: SharedDeadlines,
        settings: Settings,
    ) -> None:
        self._ledger = ledger
        self._guilds = guild_settings
        self._marks = marks
        self._thresholds = settings.alerts.thresholds_percent
        self._bot_cap = settings.budget.default_bot_cap
        self._operator_channel = settings.operator.alert_channel_id
        self.sink: AlertSink | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def captured(self, job: CapturedJob) -> None:
        """A job's money was captured: check its budgets in the background (never holding up
        the video's delivery, nor the transaction that captured it)."""
        task = asyncio.get_running_loop().create_task(self._check_quietly(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait until every check in progress is done (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stop the checks in progress."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _check_quietly(self, job: CapturedJob) -> None:
        try:
            await self.check(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not check the budget alerts", extra={"guild_id": job.guild_id})

    async def check(self, job: CapturedJob) -> None:
        """Compare the member's, the server's and the bot's spend with their thresholds."""
        guild = await self._guilds.get(job.guild_id)
        if guild.member_alerts is not False:
            summary = await self._ledger.summary(job.user_id, job.guild_id, job.role_ids)
            budget = summary.limit + summary.granted
            percent = await self._claim(
                f"member:{job.guild_id}:{job.user_id}", summary.spent, budget, summary.resets_at
            )
            if percent is not None:
                await self._post(
                    Alert(
                        "member",
                        f"alert.member.{level(percent)}",
                        guild_id=job.guild_id,
                        user_id=job.user_id,
                        locale=job.locale,
                        percent=percent,
                        amounts={"spent": summary.spent, "budget": budget},
                        resets_at=summary.resets_at,
                    )
                )
        if guild.cap_alerts is not False and guild.log_channel_id is not None:
            report = await self._ledger.report(job.guild_id, top=0)
            percent = await self._claim(
                f"server:{job.guild_id}", report.spent, report.cap, report.resets_at
            )
            if percent is not None:
                await self._post(
                    Alert(
                        "server",
                        f"alert.server.{level(percent)}",
                        channel_id=guild.log_channel_id,
                        guild_id=job.guild_id,
                        percent=percent,
                        amounts={"spent": report.spent, "budget": report.cap},
                        resets_at=report.resets_at,
                    )
                )
        if self._bot_cap is not None:
            spent, resets_at = await self._ledger.bot_spent()
            percent = await self._claim("bot", spent, self._bot_cap, resets_at)
            if percent is not None:
                log.warning(
                    "the bot-wide cap is %d%% used: %d of %d micro-USD",
                    percent,
                    spent,
                    self._bot_cap,
                )
                if self._operator_channel is not None:
                    await self._post(
                        Alert(
                            "operator",
                            f"alert.bot.{level(percent)}",
                            channel_id=self._operator_channel,
                            percent=percent,
                            amounts={"spent": spent, "budget": self._bot_cap},
                            resets_at=resets_at,
                        )
                    )

    async def _claim(
        self, who: str, spent: Micros, budget: Micros, resets_at: datetime
    ) -> int | None:
        """The highest threshold newly reached (each claimed for this period), or None."""
        until = to_micros(resets_at)
        newest = None
        for percent in crossed(spent, budget, self._thresholds):
            if await self._marks.claim(f"alert:{who}:{until}:{percent}", until):
                newest = percent
        return newest

    async def _post(self, alert: Alert) -> None:
        if self.sink is None:
            return
        try:
            await self.sink.post(alert)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not send a budget alert", extra={"guild_id": alert.guild_id})


__all__ = ["BudgetAlerts", "CapturedJob", "crossed", "level"]
