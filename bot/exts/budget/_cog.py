"""/budget for members, /budget-admin for the people who pay the bill."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.budget._atlas import add_atlas_line
from bot.exts.budget._outlook import add_outlook
from bot.i18n import t
from bot.jobs.forecast import outlook
from bot.jobs.privacy import ForgetRefused
from bot.ledger.periods import PeriodRule
from bot.money import format_usd
from bot.ui.admin import AdminGroup
from bot.ui.amounts import BadAmount, parse_amount, parse_day
from bot.ui.render import timestamp

if TYPE_CHECKING:
    from bot.app import VideoBot

log = logging.getLogger(__name__)

BUDGET_CALLS_PER_MEMBER = 2
BUDGET_COOLDOWN_SECONDS = 10.0
"""/budget answers a member twice per 10 s (per server): its reads are cheap, but a member who
holds the key down must not take the database from every other server."""


def _member_here(interaction: discord.Interaction[Any]) -> tuple[int | None, int]:
    return (interaction.guild_id, interaction.user.id)


def _member(user_id: int, locale: str) -> str:
    """A mention, or what stands for a member the bot was told to forget (a pseudonym)."""
    return f"<@{user_id}>" if user_id > 0 else t("privacy.forgotten_member", locale)


class BudgetCog(commands.Cog):
    """Budgets: what members may spend, and the admin's levers."""

    def __init__(self, bot: VideoBot) -> None:
        self.bot = bot

    @app_commands.command(name="budget", description="See what you have spent and have left.")
    @app_commands.guild_only()
    @app_commands.checks.cooldown(
        BUDGET_CALLS_PER_MEMBER, BUDGET_COOLDOWN_SECONDS, key=_member_here
    )
    async def budget(self, interaction: discord.Interaction[Any]) -> None:
        """Ephemeral: spent, held, limit, remaining, reset time, recent jobs, and when the budget
        runs out at this pace, with a chart of daily spend."""
        locale = str(interaction.locale)
        user = interaction.user
        roles = tuple(r.id for r in user.roles) if isinstance(user, discord.Member) else ()
        guild_id = interaction.guild_id or 0
        summary = await self.bot.ledger.summary(user.id, guild_id, roles)
        embed = discord.Embed(title=t("budget.title", locale), colour=discord.Colour.blurple())
        embed.add_field(name=t("budget.spent", locale), value=format_usd(summary.spent))
        embed.add_field(name=t("budget.held", locale), value=format_usd(summary.held))
        embed.add_field(name=t("budget.limit", locale), value=format_usd(summary.limit))
        if summary.granted:
            embed.add_field(name=t("budget.granted", locale), value=format_usd(summary.granted))
        embed.add_field(name=t("budget.remaining", locale), value=format_usd(summary.remaining))
        embed.add_field(name=t("budget.resets", locale), value=timestamp(summary.resets_at))
        recent = await self.bot.job_store.recent(user.id, guild_id, limit=5)
        lines = [
            f"`{job.state.value}` {format_usd(job.actual_price or job.quote)} · "
            + (
                t("privacy.prompt_erased", locale)
                if job.meta.erased
                else discord.utils.escape_markdown(job.meta.prompt[:60])
            )
            for job in recent
        ]
        embed.add_field(
            name=t("budget.recent", locale),
            value="\n".join(lines) or t("budget.none", locale),
            inline=False,
        )
        ahead = await outlook(
            self.bot.ledger,
            self.bot.settings.budget,
            guild_id=guild_id,
            user_id=user.id,
            spent=summary.spent,
            remaining=summary.remaining,
            now=self.bot.clock(),
        )
        chart = await add_outlook(
            embed,
            ahead,
            locale,
            server=False,
            period=self.bot.settings.budget.period,
            budget=summary.limit + summary.granted,
        )
        extra: dict[str, Any] = {} if chart is None else {"file": chart}
        await interaction.response.send_message(embed=embed, ephemeral=True, **extra)


class BudgetAdmin(AdminGroup):
    """/budget-admin: limits, caps, grants, reports. Manage Server, checked again at run time."""

    def __init__(self, bot: VideoBot) -> None:
        super().__init__(
            name="budget-admin", description="Set video budgets and see what the server spends."
        )
        self.bot = bot

    @property
    def _period(self) -> str:
        return self.bot.settings.budget.period

    async def _reply(self, interaction: discord.Interaction[Any], key: str, **params: Any) -> None:
        locale = str(interaction.locale)
        await interaction.response.send_message(
            t(key, locale, period=t(f"period.{self._period}", locale), **params), ephemeral=True
        )

    @app_commands.command(name="set-user", description="Set one member's limit per period.")
    @app_commands.describe(member="Who", amount='USD per period, e.g. 2.50, or "default"')
    async def set_user(
        self, interaction: discord.Interaction[Any], member: discord.Member, amount: str
    ) -> None:
        """Per-member override; beats role limits."""
        value = parse_amount(amount, allow_clear=True)
        await self.bot.ledger.set_user_limit(
            interaction.guild_id or 0, member.id, value, by=interaction.user.id
        )
        if value is None:
            await self._reply(interaction, "admin.user_limit_cleared", user=member.mention)
        else:
            await self._reply(
                interaction, "admin.user_limit_set", user=member.mention, amount=format_usd(value)
            )

    @app_commands.command(name="set-role", description="Set the limit for members with a role.")
    @app_commands.describe(role="Which role", amount='USD per period, e.g. 10, or "default"')
    async def set_role(
        self, interaction: discord.Interaction[Any], role: discord.Role, amount: str
    ) -> None:
        """A member gets the highest limit among their roles."""
        value = parse_amount(amount, allow_clear=True)
        await self.bot.ledger.set_role_limit(
            interaction.guild_id or 0, role.id, value, by=interaction.user.id
        )
        if value is None:
            await self._reply(interaction, "admin.role_limit_cleared", role=role.mention)
        else:
            await self._reply(
                interaction, "admin.role_limit_set", role=role.mention, amount=format_usd(value)
            )

    @app_commands.command(name="set-server-cap", description="Set the whole server's ceiling.")
    @app_commands.describe(amount='USD per period, e.g. 100, or "default"')
    async def set_server_cap(self, interaction: discord.Interaction[Any], amount: str) -> None:
        """The owner's total bill ceiling per period."""
        value = parse_amount(amount, allow_clear=True)
        await self.bot.ledger.set_guild_cap(
            interaction.guild_id or 0, value, by=interaction.user.id
        )
        if value is None:
            await self._reply(interaction, "admin.cap_cleared")
        else:
            await self._reply(interaction, "admin.cap_set", amount=format_usd(value))

    @app_commands.command(name="grant", description="Give a member one-off extra credit.")
    @app_commands.describe(member="Who", amount="USD, e.g. 1.00", reason="Why (kept in the ledger)")
    async def grant(
        self,
        interaction: discord.Interaction[Any],
        member: discord.Member,
        amount: str,
        reason: app_commands.Range[str, 1, 200],
    ) -> None:
        """Extra credit for this period, recorded with who granted it and why."""
        value = parse_amount(amount, allow_clear=False) or 0
        await self.bot.ledger.grant(
            interaction.guild_id or 0, member.id, value, reason, by=interaction.user.id
        )
        await self._reply(
            interaction,
            "admin.granted",
            user=member.mention,
            amount=format_usd(value),
            reason=reason,
        )

    @app_commands.command(name="report", description="Totals and top spenders this period.")
    async def report(self, interaction: discord.Interaction[Any]) -> None:
        """Server totals for the current period, when the cap is reached at this pace, and a
        chart of the server's daily spend."""
        locale = str(interaction.locale)
        report = await self.bot.ledger.report(interaction.guild_id or 0)
        embed = discord.Embed(
            title=t("admin.report_title", locale, period=t(f"period.{self._period}", locale)),
            colour=discord.Colour.blurple(),
        )
        embed.add_field(name=t("budget.spent", locale), value=format_usd(report.spent))
        embed.add_field(name=t("budget.held", locale), value=format_usd(report.held))
        embed.add_field(name=t("budget.limit", locale), value=format_usd(report.cap))
        embed.add_field(name=t("budget.remaining", locale), value=format_usd(report.remaining))
        embed.add_field(name=t("budget.resets", locale), value=timestamp(report.resets_at))
        top = "\n".join(
            f"{_member(user_id, locale)} {format_usd(spent)}"
            for user_id, spent in report.top_spenders
        )
        embed.add_field(
            name=t("admin.report_top", locale), value=top or t("budget.none", locale), inline=False
        )
        period = PeriodRule(self.bot.settings.budget.period, self.bot.settings.budget.zone)
        since = period.period_at(self.bot.clock()).start
        confirmed = await self.bot.jobs.confirmed_by_call(interaction.guild_id or 0, since)
        if confirmed:
            embed.add_field(
                name=t("admin.report_confirmed", locale),
                value=t("admin.report_confirmed_count", locale, count=confirmed),
                inline=False,
            )
        uncertain = await self.bot.jobs.uncertain_jobs(interaction.guild_id or 0)
        if uncertain:
            lines = [
                f"`{job.id}` <@{job.user_id}> {format_usd(job.quote)} {timestamp(job.created_at)}"
                for job in uncertain[:10]
            ]
            embed.add_field(
                name=t("admin.report_uncertain", locale), value="\n".join(lines), inline=False
            )
        await add_atlas_line(embed, self.bot, locale, interaction.guild_id or 0)
        ahead = await outlook(
            self.bot.ledger,
            self.bot.settings.budget,
            guild_id=interaction.guild_id or 0,
            user_id=None,
            spent=report.spent,
            remaining=report.remaining,
            now=self.bot.clock(),
        )
        chart = await add_outlook(
            embed, ahead, locale, server=True, period=self._period, budget=report.cap
        )
        extra: dict[str, Any] = {} if chart is None else {"file": chart}
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none(), **extra
        )

    @app_commands.command(name="resolve", description="Settle a job whose submit is uncertain.")
    @app_commands.describe(
        job="The job id (from the report or the job message's footer)",
        outcome="What Atlas's console shows for it",
    )
    @app_commands.choices(
        outcome=[
            app_commands.Choice(name="Atlas billed it: charge", value="charge"),
            app_commands.Choice(name="Atlas did not run it: release", value="release"),
        ]
    )
    async def resolve(
        self, interaction: discord.Interaction[Any], job: str, outcome: app_commands.Choice[str]
    ) -> None:
        """Charge or release the hold of a job cut off in the middle of its submit."""
        settled = await self.bot.jobs.resolve(
            job.strip(),
            interaction.guild_id or 0,
            charge=outcome.value == "charge",
            by=interaction.user.id,
        )
        key = f"admin.resolved_{outcome.value}" if settled else "admin.resolve_unknown"
        await self._reply(interaction, key, job=job.strip())

    @app_commands.command(
        name="forget", description="Erase a member's prompts and history on this server."
    )
    @app_commands.describe(member="Who (they may have left the server)")
    async def forget(self, interaction: discord.Interaction[Any], member: discord.User) -> None:
        """Erase the member's prompts, links, held videos and history here; their money rows
        stay under a pseudonym, so the server's totals do not change."""
        try:
            forgotten = await self.bot.privacy.forget_member(
                interaction.guild_id or 0, member.id, by=interaction.user.id
            )
        except ForgetRefused:
            await self._reply(interaction, "admin.forget_busy", user=member.mention)
            return
        await self._reply(interaction, "admin.forgotten", user=member.mention, jobs=forgotten.jobs)

    @app_commands.command(name="export", description="Download the ledger as CSV.")
    @app_commands.describe(
        since="First day, YYYY-MM-DD (default: 30 days ago)",
        until="Day after the last, YYYY-MM-DD (default: now)",
    )
    async def export(
        self,
        interaction: discord.Interaction[Any],
        since: str | None = None,
        until: str | None = None,
    ) -> None:
        """Every ledger row of this server in the range, as a CSV attachment."""
        now = datetime.now(UTC)
        try:
            start = parse_day(since, now - timedelta(days=30))
            end = parse_day(until, now)
        except ValueError:
            raise BadAmount(f"{since} / {until}") from None
        csv_text = await self.bot.ledger.export_csv(interaction.guild_id or 0, start, end)
        file = discord.File(io.BytesIO(csv_text.encode()), filename="ledger.csv")
        await interaction.response.send_message(
            t("admin.export_done", str(interaction.locale), since=start.date(), until=end.date()),
            file=file,
            ephemeral=True,
        )
