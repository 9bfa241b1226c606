"""The operator's view: the Atlas balance watched, budget alerts, spend reconciled with Atlas.

Below the job layer (which asks the balance watch before it holds money) and above the ledger,
the Atlas client and the server settings it reads. Knows nothing of Discord: what it says goes
to an `AlertSink` that the Discord layer provides (`bot.exts.operator`).
"""

from bot.operator.alerts import BudgetAlerts, CapturedJob
from bot.operator.balance import BalanceWatch
from bot.operator.sinks import Alert, AlertSink

__all__ = ["Alert", "AlertSink", "BalanceWatch", "BudgetAlerts", "CapturedJob"]
