"""Fixtures: a fresh database of each engine per test, a ledger on it with a hand-moved clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.db import Store
from bot.ledger import Ledger
from tests.engines import Target, target
from tests.ledger.helpers import Clock, budget

__all__ = ["target"]


@pytest.fixture
async def db(target: Target) -> AsyncIterator[Store]:
    database = await target.open()
    yield database
    await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(db: Store, clock: Clock) -> Ledger:
    return Ledger(db, budget(), clock=clock)
