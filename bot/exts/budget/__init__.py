"""Budgets: /budget for members, /budget-admin for the server's admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.budget._cog import BudgetAdmin, BudgetCog

if TYPE_CHECKING:
    from bot.app import VideoBot


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    await bot.add_cog(BudgetCog(bot))
    bot.tree.add_command(BudgetAdmin(bot))
