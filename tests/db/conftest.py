"""Fixtures: a fresh database of each engine per test (the same as the ledger tests use)."""

from __future__ import annotations

from tests.ledger.conftest import clock, db, ledger, target

__all__ = ["clock", "db", "ledger", "target"]
