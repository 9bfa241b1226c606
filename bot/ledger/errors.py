"""The ledger's own errors: money that cannot move as asked."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every money error: a limit, a hold that is missing or already settled."""
