"""Money: quotes held, captured or released per job, limits, grants and reports.

Knows nothing of Discord or Atlas, and reaches its tables through `bot.db`. The invariants it
keeps are listed in `bot.ledger.ledger`.
"""

from bot.ledger.erasure import MemberBusy, new_pseudonym
from bot.ledger.errors import LedgerError
from bot.ledger.ledger import Ledger
from bot.ledger.models import (
    BudgetExceeded,
    BudgetSummary,
    GuildReport,
    Hold,
    HoldNotFound,
    JobActivity,
    Settlement,
    SettlementConflict,
)
from bot.ledger.pg_money import SERVER_CODE

__all__ = [
    "SERVER_CODE",
    "BudgetExceeded",
    "BudgetSummary",
    "GuildReport",
    "Hold",
    "HoldNotFound",
    "JobActivity",
    "Ledger",
    "LedgerError",
    "MemberBusy",
    "Settlement",
    "SettlementConflict",
    "new_pseudonym",
]
