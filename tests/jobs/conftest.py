"""Fixtures of the job service's unit tests (see `tests.jobs.rig`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.jobs.rig import Rig, running_rig


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    """The real job service over the Atlas simulator and SQLite, without Discord."""
    async with running_rig(tmp_path) as built:
        yield built
