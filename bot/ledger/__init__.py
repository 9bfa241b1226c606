"""Money: quotes held, captured or released per job, limits, grants and reports (SQLite).

Knows nothing of Discord or Atlas. The invariants it keeps are listed in `bot.ledger.ledger`.
"""

from bot.ledger.db import (
    Database,
    DatabaseCorrupt,
    DatabaseTooNew,
    DatabaseUnavailable,
    LedgerError,
    Tx,
)
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

__all__ = [
    "BudgetExceeded",
    "BudgetSummary",
    "Database",
    "DatabaseCorrupt",
    "DatabaseTooNew",
    "DatabaseUnavailable",
    "GuildReport",
    "Hold",
    "HoldNotFound",
    "JobActivity",
    "Ledger",
    "LedgerError",
    "Settlement",
    "SettlementConflict",
    "Tx",
]
