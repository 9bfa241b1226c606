"""Money: quotes held, captured or released per job, limits, grants and reports.

Knows nothing of Discord or Atlas. The invariants it keeps are listed in `bot.ledger.ledger`.
"""

from bot.ledger.db import (
    Database,
    DatabaseCorrupt,
    DatabaseTooNew,
    DatabaseUnavailable,
    LedgerError,
)
from bot.ledger.engines import is_postgres, open_store
from bot.ledger.errors import ConstraintViolation
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
from bot.ledger.store import Conn, Store, Tx

__all__ = [
    "BudgetExceeded",
    "BudgetSummary",
    "Conn",
    "ConstraintViolation",
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
    "Store",
    "Tx",
    "is_postgres",
    "open_store",
]
